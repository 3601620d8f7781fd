#!/usr/bin/env bash
# Builds tinyc and tinyc-opt with ASan and UBSan (-DTINYC_SANITIZE=ON, clang-19,
# in build-sanitize/ or $TINYC_SANITIZE_BUILD_DIR) and runs the whole lit suite
# with them. Run it before each resolve: it is not part of scripts/test.sh
# (see docs/testing.md for why and for its time). The exit status is lit's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TINYC_SANITIZE_BUILD_DIR:-$root/build-sanitize}
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 -DTINYC_SANITIZE=ON \
  -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
ninja -C "$build" -j "${JOBS:-2}" tinyc tinyc-opt
exec /usr/bin/python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv -j "${JOBS:-2}" "$build/test"
