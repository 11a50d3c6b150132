
linear_regressionˆ
l
coefficients\Z

P¿ü‡­ÊI>À"eÕ`/@8û¶ıØX@-İ.Ø\À$¸ú%™q@nõÇL™À"¤nte™?Ş'¨oü0@;8§Ùæ2t@umxı

	intercept
	1ã³qÄàµoÀ