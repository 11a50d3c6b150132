
"RandomForestRegressor_bfec48efa8f52

featurestree_features

predictionrf_pred