
string_indexerb
D
labels:8age50sage60sage40sage30sage20sage70sage10s

handle_invalid
keep