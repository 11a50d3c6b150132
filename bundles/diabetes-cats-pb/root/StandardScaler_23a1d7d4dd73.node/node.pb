
StandardScaler_23a1d7d4dd73%

inputflags
output	flags_std