
LinearRegression_27bbe4654676*

featuresstd

prediction	enet_pred