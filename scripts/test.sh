#!/usr/bin/env bash
# Sets up a Debian 12 machine (run as root; installs what is missing), builds
# tinyc and runs every test, then summarizes the ONNX conformance results per
# target. The exit status is lit's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TINYC_BUILD_DIR:-$root/build}
bash "$root/scripts/setup.sh"
bash "$root/scripts/build.sh"
status=0
/usr/bin/python3 /usr/lib/llvm-19/build/utils/lit/lit.py -sv -j "${JOBS:-2}" \
  -o "$build/test-results.json" "$build/test" || status=$?
/usr/bin/python3 "$root/scripts/test-summary.py" "$build/test-results.json"
exit $status
