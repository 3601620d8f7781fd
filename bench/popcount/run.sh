#!/usr/bin/env bash
# Instructions per word of three popcount sequences on the Cortex-M7 (no
# popcount instruction), compiled with clang-19 -O2 for the target, counted
# exactly by tools/qemu-insncount on QEMU's mps2-an500.
# usage: bench/popcount/run.sh   (prints a table; docs/bench.md has its output)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); root=$(cd "$here/../.." && pwd)
board=$root/targets/mps2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cc -O2 -shared -fPIC -o "$work/insncount.so" "$root/tools/qemu-insncount/insncount.c"
cat > "$work/markers.c" <<'C'
volatile int bench_state;
__attribute__((noinline)) void bench_marker_begin(void) { bench_state = 1; }
__attribute__((noinline)) void bench_marker_end(void) { bench_state = 2; }
C
flags=(-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard)
/usr/lib/llvm-19/bin/clang --target=thumbv7em-none-eabihf "${flags[@]}" --sysroot=/usr/lib/arm-none-eabi \
  -fshort-enums -O2 -c "$here/popcount.c" -o "$work/popcount.o"
arm-none-eabi-gcc "${flags[@]}" -O2 -c "$work/markers.c" -o "$work/markers.o"
arm-none-eabi-gcc "${flags[@]}" -nostartfiles -T "$board/mps2_an500.ld" -Wl,--gc-sections \
  -Wl,--no-warn-execstack -o "$work/popcount.elf" "$board/startup.S" "$board/semihost.c" \
  "$work/popcount.o" "$work/markers.o" -lm
addr() { /usr/lib/llvm-19/bin/llvm-nm "$work/popcount.elf" | awk -v s="$1" '$3==s{print "0x"$1}'; }
qemu-system-arm -M mps2-an500 -m 16M -display none -monitor none -serial none \
  -semihosting-config enable=on,target=native -kernel "$work/popcount.elf" \
  -plugin "$work/insncount.so,begin=$(addr bench_marker_begin),end=$(addr bench_marker_end),out=$work/report" >/dev/null
words=4096
mapfile -t regions < <(grep '^region\[' "$work/report" | awk '{print $2}')
printf '%-38s %12s %10s\n' "sequence (4096 words)" "instructions" "per word"
i=0
for name in "llvm.ctpop expansion (SWAR, per word)" "256-entry byte table" "SWAR, byte sums of 31 words batched"; do
  printf '%-38s %12d %10.2f\n' "$name" "${regions[$i]}" "$(echo "${regions[$i]} / $words" | bc -l)"
  i=$((i + 1))
done
