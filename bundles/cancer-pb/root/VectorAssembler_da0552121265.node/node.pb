
VectorAssembler_da0552121265˜

input0mean_radius

input1mean_texture

input2mean_perimeter

input3	mean_area

input4mean_smoothness

input5mean_compactness

input6mean_concavity

input7mean_concave_points

input8mean_symmetry
 
input9mean_fractal_dimension
outputraw