
GBTRegressor_b43ab1401b433

featurestree_features

predictiongbt_pred