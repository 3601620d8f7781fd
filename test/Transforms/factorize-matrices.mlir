// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-factorize-matrices))' | FileCheck %s

// A 4x6 Gemm weight (transB) of rank 1, [1 2 3 4]^T [1 1 2 2 3 3] read as 6 outputs of 4
// inputs: gemm(x, P[4x1]) then gemm(t, Q[1x6]) with alpha, C and the activation.
// CHECK-LABEL: func.func @gemm_rank1
// CHECK: %[[P:.*]] = tinyc.constant dense<{{.*}}> : tensor<4x1xf32>
// CHECK: %[[Q:.*]] = tinyc.constant dense<{{.*}}> : tensor<1x6xf32>
// CHECK: %[[T:.*]] = tinyc.gemm %arg0, %[[P]] {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32, {{.*}}trans_a = false, trans_b = false} : (tensor<2x4xf32>, tensor<4x1xf32>) -> tensor<2x1xf32>
// CHECK: %[[Y:.*]] = tinyc.gemm %[[T]], %[[Q]], %arg1 {act = #tinyc.act<relu>, alpha = 5.000000e-01 : f32, {{.*}}"factorize-matrices: 4x6 weights to rank 1, weight error {{.*}}, MACs 48 -> 20"{{.*}}} : (tensor<2x1xf32>, tensor<1x6xf32>, tensor<6xf32>) -> tensor<2x6xf32>
// CHECK: return %[[Y]]
func.func @gemm_rank1(%x: tensor<2x4xf32>, %c: tensor<6xf32>) -> tensor<2x6xf32> {
  %w = tinyc.constant dense<[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [2.0, 4.0, 6.0, 8.0], [2.0, 4.0, 6.0, 8.0], [3.0, 6.0, 9.0, 12.0], [3.0, 6.0, 9.0, 12.0]]> : tensor<6x4xf32>
  %y = tinyc.gemm %x, %w, %c {alpha = 0.5 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true, act = #tinyc.act<relu>} : (tensor<2x4xf32>, tensor<6x4xf32>, tensor<6xf32>) -> tensor<2x6xf32>
  return %y : tensor<2x6xf32>
}

// -----

// Full rank: no factorization saves anything.
// CHECK-LABEL: func.func @full_rank
// CHECK: tinyc.matmul %arg0, %{{.*}} : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
// CHECK-NOT: tinyc.matmul
func.func @full_rank(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = tinyc.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %y = tinyc.matmul %x, %w : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// A 1x1 convolution of rank 1: the first carries the stride and padding, the second the bias.
// CHECK-LABEL: func.func @pointwise
// CHECK: %[[A:.*]] = tinyc.conv %arg0, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>{{.*}}} : (tensor<1x4x5x5xf32>, tensor<1x4x1x1xf32>) -> tensor<1x1x4x4xf32>
// CHECK: tinyc.conv %[[A]], %{{.*}} bias %arg1 {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>{{.*}}} : (tensor<1x1x4x4xf32>, tensor<6x1x1x1xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
func.func @pointwise(%x: tensor<1x4x5x5xf32>, %b: tensor<6xf32>) -> tensor<1x6x4x4xf32> {
  %w = tinyc.constant dense<[[[[1.0]], [[2.0]], [[3.0]], [[4.0]]], [[[1.0]], [[2.0]], [[3.0]], [[4.0]]], [[[2.0]], [[4.0]], [[6.0]], [[8.0]]], [[[2.0]], [[4.0]], [[6.0]], [[8.0]]], [[[3.0]], [[6.0]], [[9.0]], [[12.0]]], [[[3.0]], [[6.0]], [[9.0]], [[12.0]]]]> : tensor<6x4x1x1xf32>
  %y = tinyc.conv %x, %w bias %b {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x4x5x5xf32>, tensor<6x4x1x1xf32>, tensor<6xf32>) -> tensor<1x6x4x4xf32>
  return %y : tensor<1x6x4x4xf32>
}
