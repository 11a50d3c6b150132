
string_indexerF
'
labelsclass_1class_0class_2

handle_invalid	
error