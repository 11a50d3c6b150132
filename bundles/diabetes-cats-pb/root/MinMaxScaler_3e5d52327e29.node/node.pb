
MinMaxScaler_3e5d52327e29-

inputcat_features
output
cat_minmax