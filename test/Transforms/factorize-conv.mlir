// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-factorize-conv))' | FileCheck %s
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-factorize-conv{tolerance=0.05}))' 2> %t.remarks | FileCheck %s --check-prefix=TOL
// RUN: FileCheck %s --check-prefix=REMARK < %t.remarks
// RUN: not tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-factorize-conv{tolerance=1.5}))' 2>&1 | FileCheck %s --check-prefix=BAD

// The Sobel filter is [1 2 1]^T [1 0 -1]: a 3x1 convolution into one channel,
// then a 1x3 one that carries the bias, the padding along its axis and the
// activation. 3x3 -> 3x1 + 1x3 MACs: 576 -> 384 on 8x8.
// CHECK-LABEL: func.func @sobel
// CHECK: %[[V:.*]] = tinyc.conv %arg0, %{{.*}} {{{.*}}pads = array<i64: 1, 0, 1, 0>, strides = array<i64: 1, 1>, tinyc.applied = ["factorize-conv: 3x3 rank 1, weight error 0.0e+00, MACs 576 -> 384"]} : (tensor<1x1x8x8xf32>, tensor<1x1x3x1xf32>) -> tensor<1x1x8x8xf32>
// CHECK: tinyc.conv %[[V]], %{{.*}} bias %{{.*}} {act = #tinyc.act<relu>, {{.*}}pads = array<i64: 0, 1, 0, 1>{{.*}} : (tensor<1x1x8x8xf32>, tensor<1x1x1x3xf32>, tensor<1xf32>) -> tensor<1x1x8x8xf32>
// BAD: error: factorization tolerance 1.500000e+00 is not in [0, 1)
func.func @sobel(%x: tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32> {
  %w = tinyc.constant dense<[[[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]]]> : tensor<1x1x3x3xf32>
  %b = tinyc.constant dense<0.5> : tensor<1xf32>
  %y = tinyc.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, act = #tinyc.act<relu>} : (tensor<1x1x8x8xf32>, tensor<1x1x3x3xf32>, tensor<1xf32>) -> tensor<1x1x8x8xf32>
  return %y : tensor<1x1x8x8xf32>
}

// -----

// Strides and dilations split by axis too: stride 2 along the height goes
// to the first convolution, stride 1 and dilation 2 along the width to the
// second. Each output channel is a scaled copy of one separable filter.
// CHECK-LABEL: func.func @strided
// CHECK: tinyc.conv %arg0, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 1>{{.*}} -> tensor<1x1x3x9xf32>
// CHECK: tinyc.conv %{{.*}} {dilations = array<i64: 1, 2>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>{{.*}} -> tensor<1x2x3x5xf32>
func.func @strided(%x: tensor<1x1x7x9xf32>) -> tensor<1x2x3x5xf32> {
  %w = tinyc.constant dense<[[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]], [[[-2.0, -4.0, -2.0], [-4.0, -8.0, -4.0], [-2.0, -4.0, -2.0]]]]> : tensor<2x1x3x3xf32>
  %y = tinyc.conv %x, %w {strides = array<i64: 2, 1>, dilations = array<i64: 1, 2>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x7x9xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x3x5xf32>
  return %y : tensor<1x2x3x5xf32>
}

// -----

// Full rank (the middle tap breaks separability): left alone, also with a
// small tolerance, whose approximation would be off by more.
// CHECK-LABEL: func.func @full_rank
// CHECK: tinyc.conv %arg0, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x8x8xf32>, tensor<1x1x3x3xf32>)
// CHECK-NOT: tinyc.conv
// TOL-LABEL: func.func @full_rank
// TOL: tinyc.conv %arg0, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x1x8x8xf32>, tensor<1x1x3x3xf32>)
func.func @full_rank(%x: tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32> {
  %w = tinyc.constant dense<[[[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]]]> : tensor<1x1x3x3xf32>
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x1x8x8xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x8x8xf32>
  return %y : tensor<1x1x8x8xf32>
}

// -----

// Nearly separable: [1 2 1]^T [1 2 1] with d = 0.01 added to the centre. Exact
// factorization leaves it alone; a 5% tolerance takes rank 1 and says so. The
// error: the second singular value over the norm (numpy.linalg.svd): 5.54e-4.
// CHECK-LABEL: func.func @nearly
// CHECK-COUNT-1: tinyc.conv
// REMARK: remark: factorized the 3x3 convolution to rank 1 (relative weight error 5.54e-04): 576 -> 384 MACs
// TOL-LABEL: func.func @nearly
// TOL: tinyc.conv {{.*}}tensor<1x1x3x1xf32>
// TOL: tinyc.conv {{.*}}tensor<1x1x1x3xf32>
func.func @nearly(%x: tensor<1x1x8x8xf32>) -> tensor<1x1x8x8xf32> {
  %w = tinyc.constant dense<[[[[1.0, 2.0, 1.0], [2.0, 4.01, 2.0], [1.0, 2.0, 1.0]]]]> : tensor<1x1x3x3xf32>
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x1x8x8xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x8x8xf32>
  return %y : tensor<1x1x8x8xf32>
}
