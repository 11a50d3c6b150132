
StandardScaler_9b6420424b7f 

inputraw
outputscaled