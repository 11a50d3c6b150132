
VectorAssembler_6f175d37c2d7£

input0mean_smoothness

input1mean_compactness

input2mean_concavity

input3mean_concave_points
 
input4mean_fractal_dimension
outputshape