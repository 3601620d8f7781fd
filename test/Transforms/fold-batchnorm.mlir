// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-fold-batchnorm))' | FileCheck %s

// s = scale / sqrt(var + eps) = 3 / sqrt(3 + 1) = 1.5, t = beta - mean * s =
// 0.5 - 1.5 = -1; the weight 2 becomes 3 and the bias 1 becomes 1 * 1.5 - 1.
// CHECK-LABEL: func.func @into_conv
// CHECK-DAG: %[[W:.*]] = tinyc.constant dense<3.000000e+00> : tensor<1x1x1x1xf32>
// CHECK-DAG: %[[B:.*]] = tinyc.constant dense<5.000000e-01> : tensor<1xf32>
// CHECK: tinyc.conv %arg0, %[[W]] bias %[[B]] {{.*}}tinyc.applied = ["fold-batchnorm"]
// CHECK-NOT: tinyc.batch_norm
func.func @into_conv(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w = tinyc.constant dense<2.0> : tensor<1x1x1x1xf32>
  %b = tinyc.constant dense<1.0> : tensor<1xf32>
  %y = tinyc.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  %scale = tinyc.constant dense<3.0> : tensor<1xf32>
  %beta = tinyc.constant dense<0.5> : tensor<1xf32>
  %mean = tinyc.constant dense<1.0> : tensor<1xf32>
  %var = tinyc.constant dense<3.0> : tensor<1xf32>
  %n = tinyc.batch_norm %y, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  return %n : tensor<1x1x4x4xf32>
}

// -----

// Over the columns of a 2-d product: s = [2, 0.5], t = [0, 1]; B's columns
// [1, 3] and [2, 4] scale to [2, 6] and [1, 2]; C = [1, 1] becomes
// [1 * 2 + 0, 1 * 0.5 + 1].
// CHECK-LABEL: func.func @into_gemm
// CHECK-DAG: %[[B:.*]] = tinyc.constant dense<{{\[}}[2.000000e+00, 1.000000e+00], [6.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[C:.*]] = tinyc.constant dense<[2.000000e+00, 1.500000e+00]> : tensor<2xf32>
// CHECK: tinyc.gemm %arg0, %[[B]], %[[C]] {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32
func.func @into_gemm(%a: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %b = tinyc.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %c = tinyc.constant dense<1.0> : tensor<2xf32>
  %y = tinyc.gemm %a, %b, %c {trans_a = false, trans_b = false, alpha = 1.0 : f32, beta = 1.0 : f32} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %scale = tinyc.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %beta = tinyc.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %mean = tinyc.constant dense<0.0> : tensor<2xf32>
  %var = tinyc.constant dense<[1.0, 4.0]> : tensor<2xf32>
  %n = tinyc.batch_norm %y, %scale, %beta, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %n : tensor<1x2xf32>
}

// -----

// The same product with B stored transposed ([N, K]): op(B)'s columns are
// B's rows, [1, 3] and [2, 4], and scale to [2, 6] and [1, 2].
// CHECK-LABEL: func.func @into_gemm_trans_b
// CHECK-DAG: %[[B:.*]] = tinyc.constant dense<{{\[}}[2.000000e+00, 6.000000e+00], [1.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[C:.*]] = tinyc.constant dense<[2.000000e+00, 1.500000e+00]> : tensor<2xf32>
// CHECK: tinyc.gemm %arg0, %[[B]], %[[C]] {alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32{{.*}}trans_a = false, trans_b = true
func.func @into_gemm_trans_b(%a: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %b = tinyc.constant dense<[[1.0, 3.0], [2.0, 4.0]]> : tensor<2x2xf32>
  %c = tinyc.constant dense<1.0> : tensor<2xf32>
  %y = tinyc.gemm %a, %b, %c {trans_a = false, trans_b = true, alpha = 1.0 : f32, beta = 1.0 : f32} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %scale = tinyc.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %beta = tinyc.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %mean = tinyc.constant dense<0.0> : tensor<2xf32>
  %var = tinyc.constant dense<[1.0, 4.0]> : tensor<2xf32>
  %n = tinyc.batch_norm %y, %scale, %beta, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  return %n : tensor<1x2xf32>
}

// -----

// Alone (its input is an argument), it becomes a per-channel scale and shift.
// CHECK-LABEL: func.func @alone
// CHECK-DAG: %[[S:.*]] = tinyc.constant dense<[2.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[T:.*]] = tinyc.constant dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK: tinyc.scale_shift %arg0, %[[S]], %[[T]]
func.func @alone(%x: tensor<1x2x3xf32>) -> tensor<1x2x3xf32> {
  %scale = tinyc.constant dense<[2.0, 1.0]> : tensor<2xf32>
  %beta = tinyc.constant dense<[0.0, 1.0]> : tensor<2xf32>
  %mean = tinyc.constant dense<0.0> : tensor<2xf32>
  %var = tinyc.constant dense<[1.0, 4.0]> : tensor<2xf32>
  %n = tinyc.batch_norm %x, %scale, %beta, %mean, %var {epsilon = 0.0 : f32} : (tensor<1x2x3xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x3xf32>
  return %n : tensor<1x2x3xf32>
}

// -----

// Left alone: statistics known only at run time; a convolution whose result
// is also read elsewhere (the BatchNorm becomes a scale_shift instead).
// CHECK-LABEL: func.func @keep
// CHECK: tinyc.batch_norm %arg0, %arg1
// CHECK: tinyc.conv
// CHECK: tinyc.scale_shift
func.func @keep(%x: tensor<1x1x2x2xf32>, %s: tensor<1xf32>) -> (tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>) {
  %n = tinyc.batch_norm %x, %s, %s, %s, %s {epsilon = 1.0e-5 : f32} : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  %w = tinyc.constant dense<2.0> : tensor<1x1x1x1xf32>
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x2x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x2x2xf32>
  %one = tinyc.constant dense<1.0> : tensor<1xf32>
  %m = tinyc.batch_norm %y, %one, %one, %one, %one {epsilon = 0.0 : f32} : (tensor<1x1x2x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2x2xf32>
  return %n, %y, %m : tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>, tensor<1x1x2x2xf32>
}
