
VectorAssembler_3f5d87e578aep

input0
big_radius

input1	shape_bin

input2mean_texture

input3	mean_area
outputgbt_features