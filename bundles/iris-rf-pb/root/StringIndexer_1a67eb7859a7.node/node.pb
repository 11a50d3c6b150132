
StringIndexer_1a67eb7859a7(

inputclass
outputindexedLabel