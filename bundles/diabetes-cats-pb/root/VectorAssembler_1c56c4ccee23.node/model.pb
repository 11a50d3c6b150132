
vector_assembler(
&
input_shapesR

RR