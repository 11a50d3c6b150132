
Binarizer_73d3a9c31de0,

inputmean_radius
output
big_radius