
bin_neg!

inputc_vec
outputc_bin