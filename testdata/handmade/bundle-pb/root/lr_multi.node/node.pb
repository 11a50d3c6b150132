
lr_multiD

featuresv
probability
prob_multi

prediction
pred_multi