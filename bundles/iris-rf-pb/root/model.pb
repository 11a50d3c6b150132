
pipeline‰
†
nodes}{StringIndexer_1a67eb7859a7VectorAssembler_f869447aa065#RandomForestClassifier_684be0943d80IndexToString_f6672b945285