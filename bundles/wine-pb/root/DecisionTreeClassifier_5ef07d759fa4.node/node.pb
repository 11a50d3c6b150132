
#DecisionTreeClassifier_5ef07d759fa4\

featuresnorm1
raw_predictiondt_raw
probabilitydt_prob

predictiondt_pred