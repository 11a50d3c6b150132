
MinMaxScaler_29b0ad61387b 

inputraw
outputminmax