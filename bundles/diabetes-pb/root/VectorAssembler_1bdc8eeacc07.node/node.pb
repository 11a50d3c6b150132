
VectorAssembler_1bdc8eeacc07

input0age

input1sex

input2bmi

input3bp

input4s1

input5s2

input6s3

input7s4

input8s5

input9s6
outputraw