// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops{arm-dsp}, canonicalize)' | FileCheck %s --check-prefix=DSP
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops, canonicalize)' | FileCheck %s --check-prefix=SCALAR
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops{fixed-point-requant}, canonicalize)' | FileCheck %s --check-prefix=FIXED
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory{arm-dsp}), tinyc-lower-to-loops{arm-dsp}, canonicalize)' | FileCheck %s --check-prefix=GEMM

// A 3x3 int8 convolution over 8 channels (two words of four), channels last.
// With the DSP extension the loop over words loads one i32 of inputs and
// one of weights per step: SXTAB16 widens the input pairs and adds the
// negated zero point (-3 in both halves: 0xFFFDFFFD), SXTB16 the weights,
// SMLAD accumulates two products; 2 channels x 2 positions share them.
// DSP-LABEL: func.func @main
// DSP: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args
// DSP: llvm.load %{{.*}} {alignment = 1 : i64} : !llvm.ptr -> i32
// DSP: llvm.call_intrinsic "llvm.arm.sxtab16"(%c-131075_i32, %{{.*}}) : (i32, i32) -> i32
// DSP: llvm.call_intrinsic "llvm.arm.sxtb16"
// DSP: llvm.call_intrinsic "llvm.arm.smlad"
// The requantization: float(acc) * multiplier, rounded, a saturating
// conversion, the zero point, the clamp (Relu: qmin is the zero point -5).
// DSP: arith.sitofp
// DSP: arith.mulf
// DSP: call @tinyc_roundevenf
// DSP: llvm.call_intrinsic "llvm.fptosi.sat.i32.f32"
// DSP: arith.maxsi %{{.*}}, %c-5_i32
// DSP: arith.minsi %{{.*}}, %c127_i32
//
// Without it the reduction runs over the 8 channels one byte at a time.
// SCALAR-LABEL: func.func @main
// SCALAR-NOT: llvm.call_intrinsic "llvm.arm
// SCALAR: scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args
// SCALAR: arith.extsi %{{.*}} : i8 to i32
// SCALAR: arith.muli
// SCALAR-NOT: llvm.call_intrinsic "llvm.arm
//
// Without an FPU the multiplier's 24-bit mantissa multiplies the
// accumulator exactly in 64 bits, and the shift rounds half to even.
// FIXED-LABEL: func.func @main
// FIXED-NOT: arith.sitofp
// FIXED: arith.bitcast %{{.*}} : f32 to i32
// FIXED: arith.muli %{{.*}}, %{{.*}} : i64
// FIXED: arith.shrsi %{{.*}}, %{{.*}} : i64
// FIXED-NOT: arith.sitofp
func.func @main(%x: tensor<1x5x5x8xi8>) -> tensor<1x5x5x4xi8> {
  %w = tinyc.constant dense<1> : tensor<4x3x3x8xi8>
  %b = tinyc.constant dense<[1, 2, 3, 4]> : tensor<4xi32>
  %m = tinyc.constant dense<[0.01, 0.02, 0.03, 0.04]> : tensor<4xf32>
  %y = tinyc.qconv %x, %w, %b, %m {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, input_zero_point = 3 : i64, output_zero_point = -5 : i64, qmin = -5 : i64, qmax = 127 : i64} : (tensor<1x5x5x8xi8>, tensor<4x3x3x8xi8>, tensor<4xi32>, tensor<4xf32>) -> tensor<1x5x5x4xi8>
  return %y : tensor<1x5x5x4xi8>
}

// -----

// The int8 GEMM, where tinyc-plan-memory gave the 3x3 convolution arena
// scratch (4 positions x 36 taps x 2 bytes, in the bytes of %a, which is
// dead by then). Per block of 4 positions the windows are filled in: inside
// the input SXTAB16 widens a word of 4 channels less the zero point (-3:
// 0xFFFDFFFD) into two int16 pairs, the second through the rotation by 8
// (a shift pair here; LLVM makes it the instruction's ROR), and padding
// taps are zero pairs. Then each output channel runs over its weight row
// (9 words: a loop of 9 steps of one word, the scratch pointer 32 bytes on
// and the weight pointer 4) with one LDRD per position, as inline assembly,
// and two SMLAD against the weight word's SXTB16 pairs.
// GEMM-LABEL: func.func @main
// GEMM: scf.if
// GEMM: llvm.call_intrinsic "llvm.arm.sxtab16"(%c-131075_i32, %{{.*}})
// GEMM: llvm.call_intrinsic "llvm.arm.sxtab16"(%c-131075_i32, %{{.*}})
// GEMM: } else {
// GEMM: llvm.store %c0_i32
// GEMM: scf.for %{{.*}} = %c0 to %c9 step %c1 iter_args
// GEMM: llvm.call_intrinsic "llvm.arm.sxtb16"
// GEMM: llvm.call_intrinsic "llvm.arm.sxtb16"
// GEMM: llvm.inline_asm has_side_effects "ldrd $0, $1, [$2, #0]", "=r,=r,r"
// GEMM: llvm.call_intrinsic "llvm.arm.smlad"
// GEMM: llvm.call_intrinsic "llvm.arm.smlad"
// GEMM: llvm.inline_asm has_side_effects "ldrd $0, $1, [$2, #8]", "=r,=r,r"
// GEMM: llvm.inline_asm has_side_effects "ldrd $0, $1, [$2, #16]", "=r,=r,r"
// GEMM: llvm.inline_asm has_side_effects "ldrd $0, $1, [$2, #24]", "=r,=r,r"
// GEMM: arith.addi %{{.*}}, %c32 : index
// GEMM: arith.addi %{{.*}}, %c4 : index
// GEMM: scf.yield
// GEMM: call @tinyc_roundevenf
func.func @main(%x: tensor<1x4x4x8xi8>) -> tensor<1x4x4x4xi8> {
  %w1 = tinyc.constant dense<1> : tensor<32x1x1x8xi8>
  %b1 = tinyc.constant dense<0> : tensor<32xi32>
  %m1 = tinyc.constant dense<0.5> : tensor<32xf32>
  %a = tinyc.qconv %x, %w1, %b1, %m1 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, input_zero_point = 0 : i64, output_zero_point = 0 : i64, qmin = -128 : i64, qmax = 127 : i64} : (tensor<1x4x4x8xi8>, tensor<32x1x1x8xi8>, tensor<32xi32>, tensor<32xf32>) -> tensor<1x4x4x32xi8>
  %w2 = tinyc.constant dense<1> : tensor<4x1x1x32xi8>
  %b2 = tinyc.constant dense<0> : tensor<4xi32>
  %m2 = tinyc.constant dense<0.5> : tensor<4xf32>
  %b = tinyc.qconv %a, %w2, %b2, %m2 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, input_zero_point = 0 : i64, output_zero_point = 0 : i64, qmin = -128 : i64, qmax = 127 : i64} : (tensor<1x4x4x32xi8>, tensor<4x1x1x32xi8>, tensor<4xi32>, tensor<4xf32>) -> tensor<1x4x4x4xi8>
  %w3 = tinyc.constant dense<1> : tensor<4x3x3x4xi8>
  %b3 = tinyc.constant dense<[1, 2, 3, 4]> : tensor<4xi32>
  %m3 = tinyc.constant dense<[0.01, 0.02, 0.03, 0.04]> : tensor<4xf32>
  %y = tinyc.qconv %b, %w3, %b3, %m3 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, input_zero_point = 3 : i64, output_zero_point = -5 : i64, qmin = -5 : i64, qmax = 127 : i64} : (tensor<1x4x4x4xi8>, tensor<4x3x3x4xi8>, tensor<4xi32>, tensor<4xf32>) -> tensor<1x4x4x4xi8>
  return %y : tensor<1x4x4x4xi8>
}
