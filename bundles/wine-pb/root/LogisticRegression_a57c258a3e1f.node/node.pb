
LogisticRegression_a57c258a3e1f]

featuresscaled
raw_predictionlr_raw
probabilitylr_prob

predictionlr_pred