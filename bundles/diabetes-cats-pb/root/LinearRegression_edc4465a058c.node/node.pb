
LinearRegression_edc4465a058c0

features
cat_scaled

predictionlin_pred