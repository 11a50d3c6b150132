
IndexToString_f6672b945285/

input
prediction
outputpredictedLabel