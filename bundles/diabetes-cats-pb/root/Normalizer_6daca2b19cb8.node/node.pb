
Normalizer_6daca2b19cb8+

inputcat_features
outputcat_norm