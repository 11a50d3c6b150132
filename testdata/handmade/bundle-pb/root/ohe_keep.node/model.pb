
one_hot_encoderH

category_sizes

handle_invalid
keep

	drop_last
