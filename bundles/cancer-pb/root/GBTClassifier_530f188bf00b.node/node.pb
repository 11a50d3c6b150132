
GBTClassifier_530f188bf00bc

featuresmaxabs
raw_predictiongbt2_raw
probability	gbt2_prob

prediction	gbt2_pred