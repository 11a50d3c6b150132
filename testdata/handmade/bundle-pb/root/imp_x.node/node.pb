
imp_x


inputx
outputx_imp