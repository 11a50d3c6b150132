
Normalizer_6d478a2f637c

inputraw
outputnorm2