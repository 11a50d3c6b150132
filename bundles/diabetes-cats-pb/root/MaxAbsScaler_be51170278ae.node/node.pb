
MaxAbsScaler_be51170278ae-

inputcat_features
output
cat_maxabs