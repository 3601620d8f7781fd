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
# The fuzz target (its own ASan+UBSan build, build-fuzz/) for FUZZ_SECONDS
# over the seed corpus; a crash, leak, timeout or sanitizer report fails the
# run and leaves its reproducer in build-fuzz/fuzz-artifacts. FUZZ_SECONDS=0
# skips it.
fuzz_seconds=${FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" != 0 ]; then
  fuzz_log="$build/fuzz.log"
  if bash "$root/scripts/fuzz.sh" "$fuzz_seconds" >"$fuzz_log" 2>&1; then
    echo "fuzzing: $(grep -o 'number_of_executed_units: [0-9]*' "$fuzz_log" | tail -1), no crash" \
      "(${fuzz_seconds} s; log in $fuzz_log)"
  else
    status=1
    echo "fuzzing FAILED (log in $fuzz_log; reproducers in build-fuzz/fuzz-artifacts):"
    grep -E 'ERROR|SUMMARY|Test unit written|error:' "$fuzz_log" | head -20 || tail -30 "$fuzz_log"
  fi
fi
exit $status
