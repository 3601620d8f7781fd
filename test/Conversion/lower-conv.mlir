// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops, canonicalize)' | FileCheck %s
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops{optimize-for-size}, canonicalize)' | FileCheck %s --check-prefix=SIZE

// Without padding the window loops have constant bounds. With it, each
// border position gets its own region whose tap bounds are constants too
// (3x3 regions here), so no tap is tested and no padding is multiplied.
// Weights are a read-only global.
// CHECK: memref.global "private" constant @__tinyc_const_0 : memref<2x1x3x3xf32> = dense<1.000000e+00> {alignment = 16 : i64}
// CHECK-LABEL: func.func @main
// CHECK: memref.get_global @__tinyc_const_0
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args
// CHECK-NOT: arith.maxsi
// CHECK: arith.mulf %{{.*}}, %{{.*}} fastmath<contract>
// The padded convolution's corner (0, 0) takes taps [1, 3) in both dimensions.
// CHECK: scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args
// CHECK-NOT: arith.maxsi
// CHECK: return
func.func @main(%x: tensor<1x1x6x6xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x6x6xf32>) {
  %w = tinyc.constant dense<1.0> : tensor<2x1x3x3xf32>
  %valid = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x4x4xf32>
  %same = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x6x6xf32>
  return %valid, %same : tensor<1x2x4x4xf32>, tensor<1x2x6x6xf32>
}

// -----

// Register blocking: 4 output channels times 4 adjacent positions share each
// load, 16 accumulators that start at the bias (0 here) and run over the
// input channels [0, 2) and the taps. The top row's interior columns 1..8 are
// two blocks of 4; the corner (0, 0) is one position of 4 channels with taps
// [1, 3) x [1, 3), the last column (0, 9) one with [1, 3) x [0, 2). The 4
// channels are one block: no loop over channels.
// CHECK-LABEL: func.func @main
// CHECK-NOT: arith.maxsi
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args({{[^)]*}}) -> (f32, f32, f32, f32) {
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1
// CHECK-COUNT-4: memref.store %{{.*}}, %arg1[%c0, %c{{[0-3]}}, %c0, %c0]
// CHECK: scf.for %[[W:.*]] = %c1 to %c9 step %c4 {
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args({{[^)]*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK-COUNT-16: arith.mulf
// CHECK: memref.store %{{.*}}, %arg1[%c0, %c0, %c0, %[[W]]]
// CHECK-COUNT-15: memref.store
// CHECK-NEXT: }
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 iter_args({{[^)]*}}) -> (f32, f32, f32, f32) {
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c2 step %c1
// CHECK: memref.store %{{.*}}, %arg1[%c0, %c0, %c0, %c9]
// CHECK-NOT: arith.maxsi
// CHECK: return
func.func @main(%x: tensor<1x2x6x10xf32>) -> tensor<1x4x6x10xf32> {
  %w = tinyc.constant dense<1.0> : tensor<4x2x3x3xf32>
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x2x6x10xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x10xf32>
  return %y : tensor<1x4x6x10xf32>
}

// -----

// For size (-Os), one loop over every position; a run-time test picks the
// constant-tap body inside and computed bounds at the border.
// SIZE-LABEL: func.func @main
// SIZE: scf.if
// SIZE: arith.maxsi
// SIZE: arith.minsi
func.func @main(%x: tensor<1x1x6x6xf32>) -> tensor<1x2x6x6xf32> {
  %w = tinyc.constant dense<1.0> : tensor<2x1x3x3xf32>
  %same = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x1x6x6xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x6x6xf32>
  return %same : tensor<1x2x6x6xf32>
}
