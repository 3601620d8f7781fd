// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops{arm-dsp}, canonicalize)' | FileCheck %s --check-prefix=DSP
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops, canonicalize)' | FileCheck %s --check-prefix=SCALAR
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops{fixed-point-requant}, canonicalize)' | FileCheck %s --check-prefix=FIXED

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
