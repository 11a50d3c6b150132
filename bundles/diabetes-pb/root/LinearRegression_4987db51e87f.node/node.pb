
LinearRegression_4987db51e87f-

featuresminmax

prediction	lin0_pred