
lr_bin'

featuresv

predictionpred_bin