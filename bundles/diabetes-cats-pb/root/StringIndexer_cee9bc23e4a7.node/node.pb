
StringIndexer_cee9bc23e4a7&

inputage_band
outputage_idx