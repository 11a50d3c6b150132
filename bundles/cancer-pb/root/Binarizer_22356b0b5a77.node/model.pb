
sklearn_binarizer:

	threshold
	1š™™™™™¹?

input_shapesR

