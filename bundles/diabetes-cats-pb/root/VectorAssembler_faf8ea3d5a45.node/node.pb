
VectorAssembler_faf8ea3d5a45l

input0flags

input1age_vec

input2bmi_vec

input3bmi

input4s6
outputcat_features