// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-pack-binary-weights))' | FileCheck %s

// Filter 0 is 0.5 * [+1, -1], filter 1 is 2 * [-1, -1]: alpha [0.5, 2] and a
// bit per negative weight (input channel c is bit c): words 0b10 and 0b11,
// 8 bytes, and 8 bytes of alpha, against 16 bytes of float weights.
// The input comes from Sign, so it is packed (sign word, nonzero word per
// position) from the value before the Sign.
// CHECK-LABEL: func.func @xnor
// CHECK-DAG: %[[BITS:.*]] = tinyc.constant dense<{{\[}}[{{\[}}[2]]], [{{\[}}[3]]]]> : tensor<2x1x1x1xi32>
// CHECK-DAG: %[[ALPHA:.*]] = tinyc.constant dense<[5.000000e-01, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[P:.*]] = tinyc.pack_bits %arg0 {axis = 1 : i64} : tensor<1x2x4x4xf32> -> tensor<1x4x4x2xi32>
// CHECK: tinyc.binary_conv %[[P]], %[[BITS]], %[[ALPHA]] bias %{{.*}} {{.*}}tinyc.applied = ["pack-binary-weights: XNOR/popcount, weights 16 -> 16 bytes"]{{.*}} -> tensor<1x2x4x4xf32>
func.func @xnor(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %s = tinyc.sign %x : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %w = tinyc.constant dense<[[[[0.5]], [[-0.5]]], [[[-2.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32>
  %b = tinyc.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %y = tinyc.conv %s, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// Real-valued input: the same bits, read by additions and subtractions.
// CHECK-LABEL: func.func @real
// CHECK-NOT: tinyc.pack_bits
// CHECK: tinyc.binary_conv %arg0, {{.*}}"pack-binary-weights: add/subtract, weights 16 -> 16 bytes"
func.func @real(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = tinyc.constant dense<[[[[0.5]], [[-0.5]]], [[[-2.0]], [[-2.0]]]]> : tensor<2x2x1x1xf32>
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// A max pool between the Sign and the layer moves below the Sign; a Gemm
// reading the Sign through a reshape packs the reshaped value, and alpha
// and beta fold into alpha and the bias.
// CHECK-LABEL: func.func @pool_and_gemm
// CHECK: %[[POOL:.*]] = tinyc.pool %arg0 <max>
// CHECK: %[[FLAT:.*]] = tinyc.reshape %[[POOL]] : tensor<1x2x2x2xf32> -> tensor<1x8xf32>
// CHECK: %[[P:.*]] = tinyc.pack_bits %[[FLAT]] {axis = 1 : i64} : tensor<1x8xf32> -> tensor<1x2xi32>
// CHECK: tinyc.binary_gemm %[[P]], %{{.*}}, %{{.*}}, %{{.*}} {{.*}}XNOR/popcount
func.func @pool_and_gemm(%x: tensor<1x2x4x4xf32>) -> tensor<1x3xf32> {
  %s = tinyc.sign %x : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %p = tinyc.pool %s <max> {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  %f = tinyc.reshape %p : tensor<1x2x2x2xf32> -> tensor<1x8xf32>
  %b = tinyc.constant dense<1.0> : tensor<3x8xf32>
  %c = tinyc.constant dense<2.0> : tensor<3xf32>
  %y = tinyc.gemm %f, %b, %c {trans_a = false, trans_b = true, alpha = 0.5 : f32, beta = 0.5 : f32} : (tensor<1x8xf32>, tensor<3x8xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// Left alone: weights of different magnitudes in one filter, and a zero.
// CHECK-LABEL: func.func @not_binary
// CHECK-COUNT-2: tinyc.conv
// CHECK-NOT: binary
func.func @not_binary(%x: tensor<1x2x4x4xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  %w = tinyc.constant dense<[[[[0.5]], [[-0.25]]]]> : tensor<1x2x1x1xf32>
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
  %z = tinyc.constant dense<[[[[0.5]], [[0.0]]]]> : tensor<1x2x1x1xf32>
  %v = tinyc.conv %x, %z {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x1x4x4xf32>
  return %y, %v : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// Left alone: a transposed A (binary_gemm reads A as is).
// CHECK-LABEL: func.func @trans_a
// CHECK: tinyc.gemm
// CHECK-NOT: binary
func.func @trans_a(%a: tensor<2x1xf32>) -> tensor<1x2xf32> {
  %b = tinyc.constant dense<[[1.0, -1.0], [-1.0, -1.0]]> : tensor<2x2xf32>
  %y = tinyc.gemm %a, %b {trans_a = true, trans_b = false, alpha = 1.0 : f32, beta = 1.0 : f32} : (tensor<2x1xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
