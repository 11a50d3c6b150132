
ohe_err!

input0c2
output0c2_vec