
string_indexerY
:
labels0.Iris-setosaIris-versicolorIris-virginica

handle_invalid	
error