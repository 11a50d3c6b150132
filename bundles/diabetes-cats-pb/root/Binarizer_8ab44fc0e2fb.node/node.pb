
Binarizer_8ab44fc0e2fb(

input
cat_scaled
outputcat_bin