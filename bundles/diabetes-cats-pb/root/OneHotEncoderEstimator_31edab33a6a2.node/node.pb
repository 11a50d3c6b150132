
#OneHotEncoderEstimator_31edab33a6a2u

input0sex_idx

input1age_idx

input2bmi_idx
output0sex_vec
output1age_vec
output2bmi_vec