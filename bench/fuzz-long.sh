#!/usr/bin/env bash
# A long fuzzing run (default 4 hours) of tinyc-fuzz in libFuzzer's fork mode
# (JOBS processes, default 2, that go on after a crash), continuing from the corpus earlier runs grew in
# build-fuzz/fuzz-corpus. Crashes land in build-fuzz/fuzz-artifacts; each one
# found becomes a test in test/Fuzz (the reproducer, and the diagnostic the
# fixed compiler gives for it).
#
#   bash bench/fuzz-long.sh [SECONDS] [JOBS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-14400}
jobs=${2:-2}
exec bash "$root/scripts/fuzz.sh" "$seconds" -fork="$jobs" -ignore_crashes=1 \
  -ignore_ooms=1 -ignore_timeouts=1
