#!/usr/bin/env bash
# MLeap runtime goldens for the hand-made bundle testdata/handmade/bundle/.
#
# That bundle is written by hand (not by Spark): it holds the ops and
# attribute forms that mleap-spark 0.14 cannot write (imputer, the legacy
# one_hot_encoder `size` form, bucketizer handle_invalid, min_max_scaler
# minValue/maxValue, a general p normalizer) and classifier nodes with only
# some of their output ports. The real MLeap 0.16.0 runtime
# (scripts/mleap-oracle.sh) scores it and re-saves it as protobuf:
#
#   testdata/handmade/mleap-golden.jsonl     MLeap's output for input.csv
#   testdata/handmade/bundle-pb/             the bundle re-saved as protobuf by MLeap
#   testdata/handmade/mleap-golden-pb.jsonl  MLeap's output for that one
#
# These are MLeap-proven, not Spark-proven.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
D="$ROOT/testdata/handmade"
ORACLE="$ROOT/scripts/mleap-oracle.sh"
COLS=x_imp,z_imp,x_bucket,c_vec,c2_vec,v,v_n3,v_mm,c_bin,pred_bin,prob_multi,pred_multi,gbt_raw,gbt_pred
"$ORACLE" score --bundle "$D/bundle" --input "$D/input.csv" --columns "$COLS" --output "$D/mleap-golden.jsonl"
rm -rf "$D/bundle-pb"
"$ORACLE" convert --bundle "$D/bundle" --format protobuf --out "$D/bundle-pb"
"$ORACLE" score --bundle "$D/bundle-pb" --input "$D/input.csv" --columns "$COLS" --output "$D/mleap-golden-pb.jsonl"
