
ohe_keep

input0c
output0c_vec