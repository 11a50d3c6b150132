
IndexToString_fe59fcf08da1*

inputlr_pred
outputlr_diagnosis