
StringIndexer_ce0231d68f61'

input	sex_group
outputsex_idx