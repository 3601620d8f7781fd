#!/usr/bin/env bash
# Sets up a Debian 12 machine (run as root; installs what is missing), builds
# tinyc, compiles the bundled keyword-spotting model (MLPerf Tiny DS-CNN, int8
# QDQ) for the Cortex-M7 and runs it on QEMU's mps2-an500 board, printing its
# outputs beside ONNX Runtime's reference and the instructions one inference
# took. Another model folder or target: scripts/demo.sh [MODEL_DIR] [TARGET].
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TINYC_BUILD_DIR:-$root/build}
model=${1:-$root/examples/mlperf/mlperf_kws_dscnn_qdq}
target=${2:-cortex-m7}
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
echo "== tinyc $(basename "$model") -target=$target, run on its board:"
exec /usr/bin/python3 "$root/tools/tinyc-run/tinyc-run" "$model" -target="$target" \
  --tinyc "$build/bin/tinyc" --print --count
