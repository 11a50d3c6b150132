
gbtB

featuresv
raw_predictiongbt_raw

predictiongbt_pred