// RUN: tinyc-opt %s -pass-pipeline='builtin.module(func.func(tinyc-plan-memory{arm-dsp}))' | FileCheck %s
// RUN: tinyc-opt %s -pass-pipeline='builtin.module(func.func(tinyc-plan-memory))' | FileCheck %s --check-prefix=NODSP
// RUN: tinyc-opt %s -pass-pipeline='builtin.module(func.func(tinyc-plan-memory{arm-dsp redzone=32}))' | FileCheck %s --check-prefix=NODSP
// RUN: tinyc-opt %s -pass-pipeline='builtin.module(func.func(tinyc-plan-memory{arm-dsp alignment=2}))' | FileCheck %s --check-prefix=NODSP

// Three 1x1 int8 convolutions over 16 positions of 8 channels: with the DSP
// kernels each asks for the GEMM's scratch, 4 positions x 8 taps x 2 bytes =
// 64 bytes, live only while it runs. The tensors need 256 bytes (%a at 0,
// %b at 128, both live while %b is computed). The first convolution's
// scratch fits beside %a (at 128, where %b will be), the third's where %a
// was (at 0); the second would need bytes 256-320, beyond the tensors'
// arena, and runs without scratch. The arena stays 256 bytes.
// CHECK-LABEL: func.func @scratch
// CHECK-SAME: tinyc.arena_bytes = 256
// CHECK: tinyc.qconv {{.*}} tinyc.offset = 0 : i64, tinyc.scratch_offset = 128 : i64}
// CHECK: tinyc.qconv {{.*}} tinyc.offset = 128 : i64}
// CHECK: tinyc.qconv {{.*}} tinyc.output = 0 : i64, tinyc.scratch_offset = 0 : i64}
// Without the DSP kernels, with red zones, or with buffers aligned to less
// than a word (the GEMM's LDRD needs word alignment), no scratch is placed.
// NODSP-NOT: tinyc.scratch_offset
func.func @scratch(%x: tensor<1x4x4x8xi8>) -> tensor<1x4x4x8xi8> {
  %w = tinyc.constant dense<1> : tensor<8x1x1x8xi8>
  %bias = tinyc.constant dense<0> : tensor<8xi32>
  %m = tinyc.constant dense<0.5> : tensor<8xf32>
  %a = tinyc.qconv %x, %w, %bias, %m {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, input_zero_point = 0 : i64, output_zero_point = 0 : i64, qmin = -128 : i64, qmax = 127 : i64} : (tensor<1x4x4x8xi8>, tensor<8x1x1x8xi8>, tensor<8xi32>, tensor<8xf32>) -> tensor<1x4x4x8xi8>
  %b = tinyc.qconv %a, %w, %bias, %m {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, input_zero_point = 0 : i64, output_zero_point = 0 : i64, qmin = -128 : i64, qmax = 127 : i64} : (tensor<1x4x4x8xi8>, tensor<8x1x1x8xi8>, tensor<8xi32>, tensor<8xf32>) -> tensor<1x4x4x8xi8>
  %c = tinyc.qconv %b, %w, %bias, %m {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, input_zero_point = 0 : i64, output_zero_point = 0 : i64, qmin = -128 : i64, qmax = 127 : i64} : (tensor<1x4x4x8xi8>, tensor<8x1x1x8xi8>, tensor<8xi32>, tensor<8xf32>) -> tensor<1x4x4x8xi8>
  return %c : tensor<1x4x4x8xi8>
}
