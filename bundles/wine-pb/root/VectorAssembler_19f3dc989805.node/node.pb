
VectorAssembler_19f3dc989805Ë

input0alcohol

input1
malic_acid

input2ash

input3alcalinity_of_ash

input4	magnesium

input5total_phenols

input6
flavanoids

input7nonflavanoid_phenols

input8proanthocyanins

input9color_intensity

input10hue
'
input11od280_od315_of_diluted_wines

input12proline
outputraw