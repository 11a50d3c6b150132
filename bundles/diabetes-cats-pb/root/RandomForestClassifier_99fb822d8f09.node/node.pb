
#RandomForestClassifier_99fb822d8f09d

featurestree_features
raw_predictionrf_raw
probabilityrf_prob

predictionrf_pred