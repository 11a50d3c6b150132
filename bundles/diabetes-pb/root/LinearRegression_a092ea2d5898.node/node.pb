
LinearRegression_a092ea2d5898,

featuresminmax

predictionlin_pred