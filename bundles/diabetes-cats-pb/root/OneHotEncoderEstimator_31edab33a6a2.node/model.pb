
one_hot_encoderJ

category_sizes

handle_invalid
keep

	drop_last
