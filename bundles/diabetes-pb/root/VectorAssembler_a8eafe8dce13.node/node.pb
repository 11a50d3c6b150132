
VectorAssembler_a8eafe8dce13¯

input0
bmi_bucket

input1age

input2sex

input3bp

input4s1

input5s2

input6s3

input7s4

input8s5

input9s6
outputtree_features