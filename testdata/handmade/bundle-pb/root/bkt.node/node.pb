
bkt 


inputx
outputx_bucket