
Binarizer_22356b0b5a77%

inputshape
output	shape_bin