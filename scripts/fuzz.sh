#!/usr/bin/env bash
# Builds the fuzz target (-DTINYC_FUZZ=ON, clang-19, in build-fuzz/ or
# $TINYC_FUZZ_BUILD_DIR; the same build has tinyc and tinyc-opt under ASan and
# UBSan) and runs it for SECONDS (default 60) over the seed corpus
# test/corpus with the dictionary of ONNX field tags. New inputs go to
# $build/fuzz-corpus (test/corpus is not written), crashes to
# $build/fuzz-artifacts; the exit status is nonzero when libFuzzer found one.
#
#   bash scripts/fuzz.sh [SECONDS] [extra libFuzzer flags]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TINYC_FUZZ_BUILD_DIR:-$root/build-fuzz}
seconds=${1:-60}
shift || true
cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 -DTINYC_FUZZ=ON \
  -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
ninja -C "$build" -j "${JOBS:-2}" tinyc-fuzz
mkdir -p "$build/fuzz-corpus" "$build/fuzz-artifacts"
# detect_container_overflow=0: see cmake/Sanitizers.cmake (Debian's LLVM and
# protobuf are not instrumented). The RSS and time limits make an input that
# makes the compiler allocate or loop without bound a finding as well.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_container_overflow=0:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
exec "$build/bin/tinyc-fuzz" "$build/fuzz-corpus" "$root/test/corpus" \
  -dict="$root/tools/tinyc-fuzz/onnx.dict" -max_total_time="$seconds" \
  -rss_limit_mb=2048 -timeout=60 -max_len=262144 -print_final_stats=1 \
  -artifact_prefix="$build/fuzz-artifacts/" "$@"
