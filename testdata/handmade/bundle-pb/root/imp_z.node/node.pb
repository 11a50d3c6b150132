
imp_z


inputz
outputz_imp