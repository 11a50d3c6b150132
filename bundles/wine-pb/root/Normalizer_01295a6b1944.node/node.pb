
Normalizer_01295a6b1944

inputraw
outputnorm1