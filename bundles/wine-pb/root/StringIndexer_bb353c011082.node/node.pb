
StringIndexer_bb353c011082$

inputcultivar
outputlabel