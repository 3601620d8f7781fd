// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops, canonicalize)' | FileCheck %s
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops{optimize-for-size}, canonicalize)' | FileCheck %s --check-prefix=SIZE

// Pooling walks the convolutions' window schedule: a 3x3 max pool with pad 1
// over 6x6 has 3x3 regions (top/bottom row, left/right column, interior),
// each with constant tap bounds, so no tap is tested and no padding is read.
// The corner (0, 0) takes taps [1, 3) in both dimensions, stored at (0, 0)
// without a loop over positions; the rest of the top row takes rows [1, 3)
// and columns [0, 3); the interior takes [0, 3) in both.
// CHECK-LABEL: func.func @main
// CHECK-NOT: arith.maxsi
// CHECK-NOT: arith.minsi
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args(%{{.*}} = %[[NEGINF]])
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args
// CHECK: arith.cmpf uno
// CHECK: arith.select
// CHECK: memref.store %{{.*}}, %arg1[%c0, %c0, %c0, %c0]
// CHECK: scf.for %[[TOP:.*]] = %c1 to %c5 step %c1 {
// CHECK: scf.for %{{.*}} = %c1 to %c3 step %c1 iter_args
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args
// CHECK: memref.store %{{.*}}, %arg1[%c0, %c0, %c0, %[[TOP]]]
// CHECK: scf.for %[[ROW:.*]] = %c1 to %c5 step %c1 {
// CHECK: scf.for %[[COL:.*]] = %c1 to %c5 step %c1 {
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c3 step %c1 iter_args
// CHECK: memref.store %{{.*}}, %arg1[%c0, %c0, %[[ROW]], %[[COL]]]
// CHECK-NOT: arith.maxsi
// CHECK: return
// For size, one loop per dimension; a run-time test picks the constant taps
// inside and computed bounds at the border.
// SIZE-LABEL: func.func @main
// SIZE: scf.for
// SIZE: scf.for
// SIZE: scf.if
// SIZE: arith.maxsi
// SIZE: arith.minsi
func.func @main(%x: tensor<1x1x6x6xf32>) -> tensor<1x1x6x6xf32> {
  %m = tinyc.pool %x <max> {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = false} : tensor<1x1x6x6xf32> -> tensor<1x1x6x6xf32>
  return %m : tensor<1x1x6x6xf32>
}

// -----

// Average pooling without count_include_pad divides by the taps inside the
// input, a constant per region: 4 in a corner, 6 on an edge, 9 inside.
// CHECK-LABEL: func.func @main
// CHECK-NOT: arith.maxsi
// CHECK-DAG: %[[NINE:.*]] = arith.constant 9.000000e+00 : f32
// CHECK-DAG: %[[SIX:.*]] = arith.constant 6.000000e+00 : f32
// CHECK-DAG: %[[FOUR:.*]] = arith.constant 4.000000e+00 : f32
// CHECK: scf.for %{{.*}} = %c1 to %c3 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1
// CHECK: arith.addf
// CHECK: arith.divf %{{.*}}, %[[FOUR]] : f32
// CHECK-NEXT: memref.store %{{.*}}, %arg1[%c0, %c0, %c0, %c0]
// CHECK: scf.for %{{.*}} = %c1 to %c5 step %c1 {
// CHECK: scf.for %{{.*}} = %c1 to %c3 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK: arith.divf %{{.*}}, %[[SIX]] : f32
// CHECK: scf.for %{{.*}} = %c1 to %c5 step %c1 {
// CHECK: scf.for %{{.*}} = %c1 to %c5 step %c1 {
// CHECK: scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c0 to %c3 step %c1
// CHECK: arith.divf %{{.*}}, %[[NINE]] : f32
// CHECK-NOT: arith.sitofp
// CHECK: return
func.func @main(%x: tensor<1x1x6x6xf32>) -> tensor<1x1x6x6xf32> {
  %a = tinyc.pool %x <avg> {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = false} : tensor<1x1x6x6xf32> -> tensor<1x1x6x6xf32>
  return %a : tensor<1x1x6x6xf32>
}

// -----

// With count_include_pad the corner still reads taps [1, 3) only, but
// divides by the 9 taps of the padded window.
// CHECK-LABEL: func.func @main
// CHECK-NOT: arith.maxsi
// CHECK: %[[NINE:.*]] = arith.constant 9.000000e+00 : f32
// CHECK: scf.for %{{.*}} = %c1 to %c3 step %c1
// CHECK-NEXT: scf.for %{{.*}} = %c1 to %c3 step %c1
// CHECK: arith.divf %{{.*}}, %[[NINE]] : f32
// CHECK-NEXT: memref.store %{{.*}}, %arg1[%c0, %c0, %c0, %c0]
// CHECK-NOT: arith.sitofp
// CHECK: return
func.func @main(%x: tensor<1x1x6x6xf32>) -> tensor<1x1x3x3xf32> {
  %c = tinyc.pool %x <avg> {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, ceil_mode = false, count_include_pad = true} : tensor<1x1x6x6xf32> -> tensor<1x1x3x3xf32>
  return %c : tensor<1x1x3x3xf32>
}
