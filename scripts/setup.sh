#!/usr/bin/env bash
# Installs every Debian 12 package tinyc needs to build, test and benchmark.
# Idempotent: packages already present are left alone; safe to run repeatedly.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ git ca-certificates
  llvm-19-dev libmlir-19-dev mlir-19-tools llvm-19-tools clang-19 lld-19
  libonnx-dev libprotobuf-dev protobuf-compiler
  libflatbuffers-dev flatbuffers-compiler flatbuffers-compiler-dev
  libeigen3-dev
  # targets and their emulated boards
  gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf binutils-riscv64-unknown-elf
  qemu-system-arm qemu-system-misc
  # tests: references and model generation
  libonnx-testdata python3 python3-onnx python3-numpy
  libclang-rt-19-dev
)
# ONNX Runtime (a reference for models the tests generate) comes from npm; use the
# machine's Node.js if it has one, Debian's otherwise.
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

SUDO=
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# ONNX Runtime for Node.js: the independent reference that tools/ort-reference
# runs for models the tests generate. Its postinstall download cannot work
# offline and is not needed: the package ships the CPU library.
root=$(cd "$(dirname "$0")/.." && pwd)
ort_dir=${TINYC_ORT_DIR:-$root/build/ort}
if [ ! -d "$ort_dir/node_modules/onnxruntime-node" ]; then
  mkdir -p "$ort_dir"
  npm install --ignore-scripts --no-audit --no-fund --prefix "$ort_dir" onnxruntime-node@1.30.0
fi
