#!/usr/bin/env bash
# Configures and builds tinyc in build/ (or $TINYC_BUILD_DIR): Release, Ninja,
# two jobs unless JOBS says otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TINYC_BUILD_DIR:-$root/build}
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
ninja -C "$build" -j "${JOBS:-2}" tinyc tinyc-opt
