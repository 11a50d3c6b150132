
Bucketizer_8934150ee5e2$

inputbmi
output
bmi_bucket