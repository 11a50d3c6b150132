
logistic_regression·

num_classes
 
l
coefficients\Z

P@PVm-„η@&lτ¬®@εΨB6Ι—@ί!!EΣ@!l¬r=Έ?δ³ηϊ€2†@lZρ @™ε='*?ρΩl‰γωΐn7ϋ

	intercept
	1s½ÿΉ[y4ΐ

	threshold
	1™™™™™Ω?