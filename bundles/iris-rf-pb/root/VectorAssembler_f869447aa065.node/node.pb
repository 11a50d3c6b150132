
VectorAssembler_f869447aa065~

input0sepal_length_cm

input1sepal_width_cm

input2petal_length_cm

input3petal_width_cm
outputfeatures