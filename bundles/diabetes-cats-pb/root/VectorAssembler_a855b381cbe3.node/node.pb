
VectorAssembler_a855b381cbe3}

input0sex_idx

input1age_idx

input2bmi_idx

input3bmi

input4bp

input5s5
outputtree_features