// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-sparsify-weights{kernel=arrays}, tinyc-plan-memory), tinyc-lower-to-loops, canonicalize)' | FileCheck %s
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-sparsify-weights{kernel=unrolled}, tinyc-plan-memory), tinyc-lower-to-loops, canonicalize)' | FileCheck %s --check-prefix=UNROLLED

// A sparse convolution's taps are its (offset, value) pairs, so on the
// window schedule it has one region, whose positions along the last dimension
// come in blocks: 13 outputs per row are 3 blocks of 4 (SparseConvOp::
// getPositionBlock) and one more. A block's 4 accumulators start at the bias
// and share each pair: one offset, one value, four loads at constant
// distances. Then each output gets the epilogue (relu) and is stored.
// Offsets are c * 70 + kh * 14 + kw in the 2x5x14 input.
// CHECK: memref.global "private" constant @{{.*}} : memref<3xi16> = dense<[15, 70, 85]>
// CHECK-LABEL: func.func @main
// CHECK: %[[X:.*]] = memref.reinterpret_cast %arg0 to offset: [0], sizes: [140], strides: [1]
// CHECK: scf.for %[[M:.*]] = %c0 to %c2 step %c1 {
// CHECK-NEXT: scf.for %[[H:.*]] = %c0 to %c4 step %c1 {
// CHECK-NEXT: scf.for %[[W:.*]] = %c0 to %c12 step %c4 {
// CHECK: %[[BIAS:.*]] = memref.load %{{.*}}[%[[M]]] : memref<2xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 iter_args(%{{.*}} = %[[BIAS]], %{{.*}} = %[[BIAS]], %{{.*}} = %[[BIAS]], %{{.*}} = %[[BIAS]]) -> (f32, f32, f32, f32) {
// CHECK: %[[AT:.*]] = arith.addi
// CHECK: memref.load %[[X]][%[[AT]]]
// CHECK: arith.mulf
// CHECK: %[[AT1:.*]] = arith.addi %[[AT]], %c1
// CHECK: memref.load %[[X]][%[[AT1]]]
// CHECK: %[[AT2:.*]] = arith.addi %[[AT]], %c2
// CHECK: %[[AT3:.*]] = arith.addi %[[AT]], %c3
// CHECK: scf.yield
// CHECK-COUNT-4: memref.store %{{.*}}, %arg1[%c0, %[[M]], %[[H]], %{{.*}}]
// CHECK-NOT: memref.store
// CHECK: scf.for
// CHECK-SAME: -> (f32)
// CHECK: memref.store %{{.*}}, %arg1[%c0, %[[M]], %[[H]], %c12]
// CHECK: return
// Unrolled: one loop nest per output channel, the taps straight-line code
// with the offsets and weights as constants (channel 0: offset 15, weight 3).
// UNROLLED-LABEL: func.func @main
// UNROLLED-NOT: memref.global "private" constant @{{.*}} : memref<3xi16>
// UNROLLED: scf.for %[[H:.*]] = %c0 to %c4 step %c1 {
// UNROLLED-NEXT: scf.for %[[W:.*]] = %c0 to %c12 step %c4 {
// UNROLLED: %[[AT:.*]] = arith.addi %{{.*}}, %c15
// UNROLLED: memref.load %{{.*}}[%[[AT]]]
// UNROLLED: arith.mulf %{{.*}}, %cst{{.*}} fastmath<contract>
// UNROLLED-NOT: scf.for
// UNROLLED: memref.store %{{.*}}, %arg1[%c0, %c0, %[[H]], %[[W]]]
// UNROLLED: memref.store %{{.*}}, %arg1[%c0, %c0, %[[H]], %c12]
// UNROLLED: scf.for %{{.*}} = %c0 to %c4 step %c1 {
// UNROLLED: memref.store %{{.*}}, %arg1[%c0, %c1, %{{.*}}, %{{.*}}]
// UNROLLED: return
func.func @main(%x: tensor<1x2x5x14xf32>) -> tensor<1x2x4x13xf32> {
  %w = tinyc.constant dense<[[[[0.0, 0.0], [0.0, 3.0]], [[0.0, 0.0], [0.0, 0.0]]], [[[0.0, 0.0], [0.0, 0.0]], [[2.0, 0.0], [0.0, -1.0]]]]> : tensor<2x2x2x2xf32>
  %b = tinyc.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = tinyc.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, act = #tinyc.act<relu>} : (tensor<1x2x5x14xf32>, tensor<2x2x2x2xf32>, tensor<2xf32>) -> tensor<1x2x4x13xf32>
  return %y : tensor<1x2x4x13xf32>
}
