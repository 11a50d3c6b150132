
#RandomForestClassifier_684be0943d80m

featuresfeatures
raw_predictionrawPrediction
probabilityprobability

prediction
prediction