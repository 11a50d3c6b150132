
LogisticRegression_156db8ff201da

features
cat_scaled
raw_predictionlr_raw
probabilitylr_prob

predictionlr_pred