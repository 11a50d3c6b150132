
string_indexer>

labelsbenign	malignant

handle_invalid	
error