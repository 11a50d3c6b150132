
StandardScaler_dd3d8f406e4a-

inputcat_features
output
cat_scaled