
pipeline¹
¶
nodes¬©VectorAssembler_1bdc8eeacc07MinMaxScaler_29b0ad61387bLinearRegression_a092ea2d5898LinearRegression_4987db51e87fStandardScaler_45dd7ee43e00LinearRegression_27bbe4654676Bucketizer_8934150ee5e2VectorAssembler_a8eafe8dce13GBTRegressor_b43ab1401b43"RandomForestRegressor_bfec48efa8f5