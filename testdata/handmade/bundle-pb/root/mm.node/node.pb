
mm


inputv
outputv_mm