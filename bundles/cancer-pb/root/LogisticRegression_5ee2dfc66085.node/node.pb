
LogisticRegression_5ee2dfc66085]

featuresmaxabs
raw_predictionlr_raw
probabilitylr_prob

predictionlr_pred