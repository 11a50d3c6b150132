
norm3


inputv
outputv_n3