
Binarizer_fa11ec546192

inputs5
outputs5_hi