
StringIndexer_59600b3a1f2a%

input	diagnosis
outputlabel