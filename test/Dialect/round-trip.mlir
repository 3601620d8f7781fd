// Every operator prints in a form that parses back to the same IR.
// RUN: tinyc-opt %s | tinyc-opt | FileCheck %s

// CHECK-LABEL: func.func @nn
func.func @nn(%x: tensor<1x3x8x8xf32>, %r: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  // CHECK: tinyc.constant dense<1.000000e+00> : tensor<4x3x3x3xf32>
  %w = tinyc.constant dense<1.0> : tensor<4x3x3x3xf32>
  %b = tinyc.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  // CHECK: tinyc.conv %{{.*}}, %{{.*}} bias %{{.*}} residual %{{.*}} {act = #tinyc.act<clip, 0.0, 6.0>, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>}
  %y = tinyc.conv %x, %w bias %b residual %r {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64, act = #tinyc.act<clip, 0.0, 6.0>} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  // CHECK: tinyc.pool %{{.*}} <max> {ceil_mode = false, count_include_pad = false
  %p = tinyc.pool %y <max> {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  // CHECK: tinyc.activation %{{.*}} <leaky_relu, 0.125>
  %a = tinyc.activation %p <leaky_relu, 0.125> : tensor<1x4x4x4xf32> -> tensor<1x4x4x4xf32>
  %s = tinyc.constant dense<1.0> : tensor<4xf32>
  // CHECK: tinyc.batch_norm
  %n = tinyc.batch_norm %a, %s, %s, %s, %s {epsilon = 1.0e-5 : f32} : (tensor<1x4x4x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %n : tensor<1x4x4x4xf32>
}

// CHECK-LABEL: func.func @dense
func.func @dense(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>, %m: tensor<5x3x7xf32>) -> (tensor<2x4xf32>, tensor<5x2x7xf32>) {
  %c = tinyc.constant dense<0.5> : tensor<4xf32>
  // CHECK: tinyc.gemm %{{.*}}, %{{.*}}, %{{.*}} {act = #tinyc.act<sigmoid>, alpha = 1.000000e+00 : f32, beta = 2.000000e+00 : f32, trans_a = false, trans_b = true}
  %g = tinyc.gemm %a, %b, %c {trans_a = false, trans_b = true, alpha = 1.0 : f32, beta = 2.0 : f32, act = #tinyc.act<sigmoid>} : (tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  // CHECK: tinyc.matmul
  %mm = tinyc.matmul %a, %m : (tensor<2x3xf32>, tensor<5x3x7xf32>) -> tensor<5x2x7xf32>
  // CHECK: tinyc.softmax %{{.*}} {axis = 1 : i64}
  %sm = tinyc.softmax %g {axis = 1 : i64} : tensor<2x4xf32> -> tensor<2x4xf32>
  return %sm, %mm : tensor<2x4xf32>, tensor<5x2x7xf32>
}

// CHECK-LABEL: func.func @data
func.func @data(%x: tensor<2x3xf32>, %i: tensor<2xi64>, %q: tensor<2x3xi8>) -> tensor<2x3xf32> {
  // CHECK: tinyc.reshape %{{.*}} : tensor<2x3xf32> -> tensor<6xf32>
  %r = tinyc.reshape %x : tensor<2x3xf32> -> tensor<6xf32>
  // CHECK: tinyc.transpose %{{.*}}, [1, 0]
  %t = tinyc.transpose %x, [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  // CHECK: tinyc.concat
  %c = tinyc.concat %x, %x {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %v = tinyc.constant dense<0.0> : tensor<f32>
  // CHECK: tinyc.pad %{{.*}}, %{{.*}} <reflect> [1, 1, 1, 1]
  %p = tinyc.pad %x, %v <reflect> [1, 1, 1, 1] : (tensor<2x3xf32>, tensor<f32>) -> tensor<4x5xf32>
  // CHECK: tinyc.gather
  %g = tinyc.gather %x, %i {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  // CHECK: tinyc.cast %{{.*}} : tensor<2x3xf32> -> tensor<2x3xui8>
  %k = tinyc.cast %x : tensor<2x3xf32> -> tensor<2x3xui8>
  %scale = tinyc.constant dense<0.5> : tensor<f32>
  %zp = tinyc.constant dense<3> : tensor<i8>
  // CHECK: tinyc.quantize
  %qq = tinyc.quantize %x, %scale, %zp {axis = 0 : i64} : (tensor<2x3xf32>, tensor<f32>, tensor<i8>) -> tensor<2x3xi8>
  // CHECK: tinyc.dequantize
  %d = tinyc.dequantize %q, %scale, %zp {axis = 0 : i64} : (tensor<2x3xi8>, tensor<f32>, tensor<i8>) -> tensor<2x3xf32>
  // CHECK: tinyc.clip
  %lo = tinyc.constant dense<1> : tensor<i8>
  %cl = tinyc.clip %q, %lo, %zp : (tensor<2x3xi8>, tensor<i8>, tensor<i8>) -> tensor<2x3xi8>
  // CHECK: tinyc.add %{{.*}}, %{{.*}} {act = #tinyc.act<relu>}
  %s = tinyc.add %d, %g {act = #tinyc.act<relu>} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %u = tinyc.sub %s, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %m = tinyc.mul %u, %v : (tensor<2x3xf32>, tensor<f32>) -> tensor<2x3xf32>
  // CHECK: tinyc.div
  %dv = tinyc.div %m, %x : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %dv : tensor<2x3xf32>
}
