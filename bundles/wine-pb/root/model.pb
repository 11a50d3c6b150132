
pipelineú
ô
nodesèåStringIndexer_bb353c011082VectorAssembler_19f3dc989805StandardScaler_9b6420424b7fLogisticRegression_a57c258a3e1fIndexToString_fa80fc459ac2Normalizer_6d478a2f637cLogisticRegression_83dff8602b2aNormalizer_01295a6b1944#DecisionTreeClassifier_5ef07d759fa4