
Binarizer_b1ebc265efb5

inputbp
outputbp_hi