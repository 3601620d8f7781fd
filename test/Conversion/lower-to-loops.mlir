// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops, canonicalize)' | FileCheck %s

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

// A fused chain is one loop: each input element is loaded once (the
// broadcast constant at the column), the values in between stay scalars,
// and only the result is stored; it takes no arena.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: memref<2x4xf32>, %[[C:.*]]: memref<4xf32>, %[[Y:.*]]: memref<2x4xf32>, %{{.*}}: memref<1xi8>)
// CHECK: scf.for %[[I:.*]] =
// CHECK-NEXT: scf.for %[[J:.*]] =
// CHECK-NEXT: %[[A:.*]] = memref.load %[[X]][%[[I]], %[[J]]]
// CHECK-NEXT: %[[B:.*]] = memref.load %[[C]][%[[J]]]
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[A]], %[[B]]
// CHECK-NEXT: %[[E:.*]] = {{(func.)?}}call @tinyc_sigmoidf(%[[S]])
// CHECK-NEXT: %[[M:.*]] = arith.mulf %[[E]], %[[A]]
// CHECK-NEXT: memref.store %[[M]], %[[Y]][%[[I]], %[[J]]]
// CHECK-NOT: memref.store
// CHECK: return
func.func @main(%x: tensor<2x4xf32>, %c: tensor<4xf32>) -> tensor<2x4xf32> {
  %f = tinyc.fused_elementwise %x, %c : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>, %b: tensor<4xf32>):
    %s = tinyc.add %a, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
    %e = tinyc.activation %s <sigmoid> : tensor<2x4xf32> -> tensor<2x4xf32>
    %m = tinyc.mul %e, %a : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
    tinyc.yield %m : tensor<2x4xf32>
  }
  return %f : tensor<2x4xf32>
}
