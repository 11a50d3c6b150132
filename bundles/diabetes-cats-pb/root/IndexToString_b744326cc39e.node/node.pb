
IndexToString_b744326cc39e%

inputlr_pred
outputlr_risk