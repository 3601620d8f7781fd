// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-sparsify-weights{kernel=arrays}))' | FileCheck %s --check-prefix=ARRAYS
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-sparsify-weights))' | FileCheck %s --check-prefix=AUTO
// RUN: not tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-sparsify-weights{kernel=csr}))' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: sparse kernel 'csr' is not one of auto, dense, arrays, unrolled

// Three nonzero weights of 16. Offsets are c * 16 + kh * 4 + kw in the 4x4
// input: (c0, 1, 1) -> 5 for channel 0; (c1, 0, 0) -> 16 and (c1, 1, 1) -> 21
// for channel 1. The cost model unrolls a layer this small.
// ARRAYS-LABEL: func.func @conv
// ARRAYS-DAG: %[[V:.*]] = tinyc.constant dense<[3.000000e+00, 2.000000e+00, -1.000000e+00]> : tensor<3xf32>
// ARRAYS-DAG: %[[O:.*]] = tinyc.constant dense<[5, 16, 21]> : tensor<3xi16>
// ARRAYS-DAG: %[[R:.*]] = tinyc.constant dense<[0, 1, 3]> : tensor<3xi32>
// ARRAYS: tinyc.sparse_conv %arg0, %[[V]], %[[O]], %[[R]] bias %{{.*}} {act = #tinyc.act<relu>, dilations = array<i64: 1, 1>, group = 1 : i64, kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>, tinyc.applied = ["sparsify-weights: arrays, 81.2% zeros, weights 64 -> 30 bytes, estimated instructions {{.*}}"], unroll = false}
// AUTO-LABEL: func.func @conv
// AUTO: tinyc.sparse_conv {{.*}}unroll = true
func.func @conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x3x3xf32> {
  %w = tinyc.constant dense<[[[[0.0, 0.0], [0.0, 3.0]], [[0.0, 0.0], [0.0, 0.0]]], [[[0.0, 0.0], [0.0, 0.0]], [[2.0, 0.0], [0.0, -1.0]]]]> : tensor<2x2x2x2xf32>
  %b = tinyc.constant dense<[0.5, -0.5]> : tensor<2xf32>
  %y = tinyc.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, act = #tinyc.act<relu>} : (tensor<1x2x4x4xf32>, tensor<2x2x2x2xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  return %y : tensor<1x2x3x3xf32>
}

// -----

// A padded convolution reads a padded copy of its input.
// ARRAYS-LABEL: func.func @padded
// ARRAYS: %[[P:.*]] = tinyc.pad %arg0, %{{.*}} <constant> [0, 0, 1, 1, 0, 0, 1, 1] : (tensor<1x1x4x4xf32>, tensor<f32>) -> tensor<1x1x6x6xf32>
// ARRAYS: tinyc.sparse_conv %[[P]]
func.func @padded(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w = tinyc.constant dense<[[[[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]]]> : tensor<1x1x3x3xf32>
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x3x3xf32>) -> tensor<1x1x4x4xf32>
  return %y : tensor<1x1x4x4xf32>
}

// -----

// Gemm: alpha scales the values, beta the bias; column 2 has no weights.
// ARRAYS-LABEL: func.func @gemm
// ARRAYS-DAG: %[[V:.*]] = tinyc.constant dense<[4.000000e+00, 2.000000e+00]> : tensor<2xf32>
// ARRAYS-DAG: %[[O:.*]] = tinyc.constant dense<[2, 0]> : tensor<2xi16>
// ARRAYS-DAG: %[[R:.*]] = tinyc.constant dense<[0, 1, 2, 2]> : tensor<4xi32>
// ARRAYS-DAG: %[[C:.*]] = tinyc.constant dense<5.000000e-01> : tensor<3xf32>
// ARRAYS: tinyc.sparse_gemm %arg0, %[[V]], %[[O]], %[[R]], %[[C]]
func.func @gemm(%a: tensor<1x4xf32>) -> tensor<1x3xf32> {
  %b = tinyc.constant dense<[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]> : tensor<4x3xf32>
  %c = tinyc.constant dense<1.0> : tensor<3xf32>
  %y = tinyc.gemm %a, %b, %c {trans_a = false, trans_b = false, alpha = 2.0 : f32, beta = 0.5 : f32} : (tensor<1x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// A 2-d MatMul: column 0 of B has no nonzero, column 1 one (3 at row 0).
// ARRAYS-LABEL: func.func @matmul
// ARRAYS-DAG: %[[V:.*]] = tinyc.constant dense<3.000000e+00> : tensor<1xf32>
// ARRAYS-DAG: %[[O:.*]] = tinyc.constant dense<0> : tensor<1xi16>
// ARRAYS-DAG: %[[R:.*]] = tinyc.constant dense<[0, 0, 1]> : tensor<3xi32>
// ARRAYS: tinyc.sparse_gemm %arg0, %[[V]], %[[O]], %[[R]] {
func.func @matmul(%a: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %b = tinyc.constant dense<[[0.0, 3.0], [0.0, 0.0]]> : tensor<2x2xf32>
  %y = tinyc.matmul %a, %b : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// A transposed A is left alone, even when forced: sparse_gemm reads A as is.
// ARRAYS-LABEL: func.func @trans_a
// ARRAYS: tinyc.gemm
// ARRAYS-NOT: sparse_gemm
func.func @trans_a(%a: tensor<4x1xf32>) -> tensor<1x3xf32> {
  %b = tinyc.constant dense<[[0.0, 1.0, 0.0], [0.0, 0.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]]> : tensor<4x3xf32>
  %y = tinyc.gemm %a, %b {trans_a = true, trans_b = false, alpha = 1.0 : f32, beta = 1.0 : f32} : (tensor<4x1xf32>, tensor<4x3xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// Left alone by the cost model: no zeros (dense code is faster and the
// arrays would be larger).
// AUTO-LABEL: func.func @dense
// AUTO: tinyc.conv
// AUTO-NOT: sparse
func.func @dense(%x: tensor<1x2x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = tinyc.constant dense<0.5> : tensor<4x2x1x1xf32>
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x8x8xf32>, tensor<4x2x1x1xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// Structured: the first convolution's channel 1 is zero (filter and bias),
// so it goes from both; channel 2 is never read by the second one, so it
// goes too.
// AUTO-LABEL: func.func @channels
// AUTO: %[[P:.*]] = tinyc.conv %arg0, %{{.*}} bias %{{.*}} {{.*}}tinyc.applied = ["sparsify-weights: removed 2 of 4 channels"]} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
// AUTO: tinyc.conv %[[P]], %{{.*}} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
func.func @channels(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w1 = tinyc.constant dense<[[[[1.0]], [[2.0]]], [[[0.0]], [[0.0]]], [[[3.0]], [[4.0]]], [[[5.0]], [[6.0]]]]> : tensor<4x2x1x1xf32>
  %b1 = tinyc.constant dense<[1.0, 0.0, 1.0, 1.0]> : tensor<4xf32>
  %y = tinyc.conv %x, %w1 bias %b1 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64, act = #tinyc.act<relu>} : (tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %w2 = tinyc.constant dense<[[[[1.0]], [[1.0]], [[0.0]], [[1.0]]], [[[2.0]], [[2.0]], [[0.0]], [[2.0]]]]> : tensor<2x4x1x1xf32>
  %z = tinyc.conv %y, %w2 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x4x4xf32>, tensor<2x4x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %z : tensor<1x2x4x4xf32>
}
