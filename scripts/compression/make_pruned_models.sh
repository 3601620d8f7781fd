#!/usr/bin/env bash
# Writes magnitude-pruned versions of three MLPerf Tiny models into OUT (one backend-test folder
# each, see prune_model.py): 50, 75 and 90 % per-layer sparsity of the float VWW MobileNetV1,
# of ResNet-8 and of DS-CNN (both int8 QDQ, turned into float first), and a 90 % VWW with 25 % of
# each Conv's output channels zeroed whole.
#
# usage: make_pruned_models.sh OUT
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 OUT" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
models=$(cd "$here/../../examples/mlperf" && pwd)
out=$1
mkdir -p "$out"
# Debian's interpreter has python3-onnx and python3-numpy; a python3 earlier on PATH may not.
python=/usr/bin/python3

for source in mlperf_vww_mobilenetv1_f32 mlperf_ic_resnet8_qdq mlperf_kws_dscnn_qdq; do
  short=${source#mlperf_}
  short=${short%_f32}
  short=${short%_qdq}
  for percent in 50 75 90; do
    "$python" "$here/prune_model.py" "$models/$source/model.onnx" "$out/${short}_sparse$percent" \
      --sparsity "0.$percent"
  done
done
"$python" "$here/prune_model.py" "$models/mlperf_vww_mobilenetv1_f32/model.onnx" \
  "$out/vww_mobilenetv1_sparse90_channels25" --sparsity 0.9 --structured-channels 0.25
