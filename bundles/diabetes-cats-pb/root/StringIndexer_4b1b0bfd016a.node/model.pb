
string_indexerF
(
labelsnormaloverobeseunder

handle_invalid
keep