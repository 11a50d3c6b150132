
va@

input0x_imp

input1z_imp

input2c_vec
outputv