
IndexToString_fa80fc459ac2)

inputlr_pred
outputlr_cultivar