
string_indexer6

labelslowhigh

handle_invalid	
error