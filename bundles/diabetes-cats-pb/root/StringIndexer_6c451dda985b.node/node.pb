
StringIndexer_6c451dda985b 

inputrisk
outputlabel