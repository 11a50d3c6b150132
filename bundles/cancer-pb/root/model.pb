
pipelineÆ
Ã
nodes¹¶StringIndexer_59600b3a1f2aVectorAssembler_da0552121265MaxAbsScaler_a193625ed514LogisticRegression_5ee2dfc66085IndexToString_fe59fcf08da1Binarizer_73d3a9c31de0VectorAssembler_6f175d37c2d7Binarizer_22356b0b5a77VectorAssembler_3f5d87e578aeGBTClassifier_e033fe005362GBTClassifier_530f188bf00b