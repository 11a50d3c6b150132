
MaxAbsScaler_a193625ed514 

inputraw
outputmaxabs