
VectorAssembler_1c56c4ccee23F

input0sex_vec

input1bp_hi

input2s5_hi
outputflags