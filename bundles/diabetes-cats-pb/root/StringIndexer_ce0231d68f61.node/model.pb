
string_indexer6

labelssex1sex2

handle_invalid
keep