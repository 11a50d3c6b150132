
"DecisionTreeRegressor_6eb67e6f1b2d2

featurestree_features

predictiondt_pred