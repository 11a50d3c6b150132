
GBTClassifier_e033fe005362q

featuresgbt_features
raw_predictionrawPrediction
probabilityprobability

prediction
prediction