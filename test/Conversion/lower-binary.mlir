// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-pack-binary-weights, tinyc-plan-memory), tinyc-lower-to-loops, canonicalize)' | FileCheck %s
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-pack-binary-weights, tinyc-plan-memory), tinyc-lower-to-loops{optimize-for-size}, canonicalize)' | FileCheck %s --check-prefix=SIZE

// A binary convolution walks the convolutions' window schedule: with a 3x3
// window and pad 1 over 6x6, each border position's taps are constants, so
// padding is neither read nor tested. Per position, the window's nonzero
// inputs are counted once (word 1 of the packed input), then each output
// channel counts the differing signs (XOR, AND, popcount) over the same taps.
// The corner (0, 0) takes taps [1, 3) in both dimensions.
// CHECK-LABEL: func.func @main
// CHECK: memref.store %{{.*}}, %[[PACKED0:.*]][%c0, %{{.*}}, %{{.*}}, %c1] : memref<1x6x6x2xi32>
// CHECK-NOT: arith.maxsi
// CHECK: %[[NONZERO:.*]] = scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args
// CHECK: memref.load %[[PACKED:.*]][%c0, %{{.*}}, %{{.*}}, %c1]
// CHECK-NEXT: math.ctpop
// CHECK: scf.for %[[M:.*]] = %c0 to %c2 step %c1 {
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args
// CHECK: arith.xori
// CHECK-NEXT: arith.andi
// CHECK-NEXT: math.ctpop
// CHECK: arith.subi %[[NONZERO]]
// CHECK: memref.store %{{.*}}, %arg1[%c0, %[[M]], %c0, %c0]
// The rest of the top row takes rows [1, 3) and columns [0, 3); the interior
// every tap, [0, 3) in both.
// CHECK: scf.for %[[TOP:.*]] = %c1 to %c5 step %c1 {
// CHECK: scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args
// CHECK: memref.store %{{.*}}, %arg1[%c0, %{{.*}}, %c0, %[[TOP]]]
// CHECK: scf.for %[[ROW:.*]] = %c1 to %c5 step %c1 {
// CHECK: scf.for %[[COL:.*]] = %c1 to %c5 step %c1 {
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args
// CHECK: math.ctpop
// CHECK: scf.for %[[M2:.*]] = %c0 to %c2 step %c1 {
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args
// CHECK: math.ctpop
// CHECK: memref.store %{{.*}}, %arg1[%c0, %[[M2]], %[[ROW]], %[[COL]]]
// CHECK-NOT: arith.maxsi
// CHECK: return
// For size, one loop per dimension; a run-time test picks the constant taps
// inside and computed bounds at the border.
// SIZE-LABEL: func.func @main
// SIZE: scf.if
// SIZE: arith.maxsi
// SIZE: math.ctpop
func.func @main(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32> {
  %s = tinyc.sign %x : tensor<1x2x6x6xf32> -> tensor<1x2x6x6xf32>
  %w = tinyc.constant dense<[[[[1.0, 1.0, -1.0], [1.0, -1.0, -1.0], [-1.0, -1.0, 1.0]], [[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]]], [[[1.0, -1.0, 1.0], [1.0, 1.0, 1.0], [-1.0, 1.0, -1.0]], [[1.0, 1.0, -1.0], [-1.0, 1.0, -1.0], [1.0, 1.0, -1.0]]]]> : tensor<2x2x3x3xf32>
  %y = tinyc.conv %s, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x2x6x6xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return %y : tensor<1x2x6x6xf32>
}

// -----

// Float inputs: per tap, each input channel is added where its weight bit is
// clear and subtracted where it is set, over the same constant-tap regions.
// CHECK-LABEL: func.func @main
// CHECK-NOT: memref<1x6x6x2xi32>
// CHECK-NOT: arith.maxsi
// CHECK: scf.for %[[M:.*]] = %c0 to %c2 step %c1 {
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args
// CHECK: scf.for %[[C:.*]] = %c0 to %c2 step %c1 iter_args
// CHECK: memref.load %arg0[%c0, %[[C]],
// CHECK: arith.shrui
// CHECK: arith.subf
// CHECK: arith.select
// CHECK: memref.store %{{.*}}, %arg1[%c0, %[[M]], %c0, %c0]
// CHECK: scf.for %{{.*}} = %c1 to %c5 step %c1 {
// CHECK: scf.for %{{.*}} = %c1 to %c5 step %c1 {
// CHECK: scf.for %{{.*}} = %c1 to %c5 step %c1 {
// CHECK: scf.for %{{.*}} = %c0 to %c2 step %c1 {
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args
// CHECK-NOT: arith.maxsi
// CHECK: return
func.func @main(%x: tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32> {
  %w = tinyc.constant dense<[[[[1.0, 1.0, -1.0], [1.0, -1.0, -1.0], [-1.0, -1.0, 1.0]], [[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]]], [[[1.0, -1.0, 1.0], [1.0, 1.0, 1.0], [-1.0, 1.0, -1.0]], [[1.0, 1.0, -1.0], [-1.0, 1.0, -1.0], [1.0, 1.0, -1.0]]]]> : tensor<2x2x3x3xf32>
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x2x6x6xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  return %y : tensor<1x2x6x6xf32>
}
