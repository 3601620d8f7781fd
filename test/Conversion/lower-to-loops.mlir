// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops, canonicalize)' | FileCheck %s
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops{optimize-for-size}, canonicalize)' | FileCheck %s --check-prefix=SIZE

// @main takes inputs, outputs and the arena; intermediate tensors are views
// of the arena at their planned offsets; activations call the runtime; the
// graph output is computed in place in the caller's buffer.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: memref<1x8xf32>, %[[Y:.*]]: memref<1x8xf32>, %[[ARENA:.*]]: memref<32xi8>)
// CHECK-NOT: = tinyc.
// CHECK: %[[T:.*]] = memref.view %[[ARENA]][%{{.*}}][] : memref<32xi8> to memref<1x8xf32>
// CHECK: scf.for
// CHECK: call @tinyc_sigmoidf
// CHECK: memref.store %{{.*}}, %[[T]]
// CHECK: memref.load %[[T]]
// CHECK: memref.store %{{.*}}, %[[Y]]
// CHECK: return
// CHECK: func.func private @tinyc_sigmoidf(f32) -> f32
// CHECK-NOT: func.func private @tinyc_tanhf
func.func @main(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %a = tinyc.activation %x <sigmoid> : tensor<1x8xf32> -> tensor<1x8xf32>
  %b = tinyc.activation %a <relu> : tensor<1x8xf32> -> tensor<1x8xf32>
  return %b : tensor<1x8xf32>
}

// -----

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

// Returning an input or returning one result twice copies into the output.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: memref<4xf32>, %[[O0:.*]]: memref<4xf32>, %[[O1:.*]]: memref<4xf32>, %[[O2:.*]]: memref<4xf32>, %{{.*}}: memref<1xi8>)
// CHECK: memref.copy %[[O0]], %[[O1]]
// CHECK: memref.copy %[[X]], %[[O2]]
func.func @main(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %a = tinyc.activation %x <tanh> : tensor<4xf32> -> tensor<4xf32>
  return %a, %a, %x : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
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
