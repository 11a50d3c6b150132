
LogisticRegression_83dff8602b2a_

featuresnorm2
raw_predictionlr2_raw
probabilitylr2_prob

predictionlr2_pred