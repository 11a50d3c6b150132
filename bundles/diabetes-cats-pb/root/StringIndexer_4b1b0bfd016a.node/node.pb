
StringIndexer_4b1b0bfd016a&

inputbmi_band
outputbmi_idx