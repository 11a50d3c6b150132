
StandardScaler_45dd7ee43e00

inputraw
outputstd