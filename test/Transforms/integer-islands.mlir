// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-integer-islands))' | FileCheck %s

// A Conv island with a Relu: int8 weights re-laid out [M, kh, kw, C],
// multipliers x_scale * w_scale[m] / y_scale = 0.5 * (0.25, 0.125) / 0.25 =
// (0.5, 0.25), the int32 bias in the accumulator's scale (0.125, 0.0625)
// taken as is, and the Relu as the lower bound: the output's zero point -3.
// Transposes to and from channels last surround it.
// CHECK-LABEL: func.func @conv_relu
// CHECK-DAG: %[[W:.*]] = tinyc.constant dense<{{\[\[\[\[}}1, 3, 5, 7]]], {{\[\[\[}}2, 4, 6, 8]]]]> : tensor<2x1x1x4xi8>
// CHECK-DAG: %[[B:.*]] = tinyc.constant dense<[10, -20]> : tensor<2xi32>
// CHECK-DAG: %[[M:.*]] = tinyc.constant dense<[5.000000e-01, 2.500000e-01]> : tensor<2xf32>
// CHECK: %[[Q:.*]] = tinyc.quantize %arg0
// CHECK: %[[T:.*]] = tinyc.transpose %[[Q]], [0, 2, 3, 1] : tensor<1x4x3x3xi8> -> tensor<1x3x3x4xi8>
// CHECK: %[[C:.*]] = tinyc.qconv %[[T]], %[[W]], %[[B]], %[[M]] {dilations = array<i64: 1, 1>, group = 1 : i64, input_zero_point = 1 : i64, output_zero_point = -3 : i64, pads = array<i64: 0, 0, 0, 0>, qmax = 127 : i64, qmin = -3 : i64, strides = array<i64: 1, 1>, tinyc.applied = ["integer-islands"]} : (tensor<1x3x3x4xi8>, tensor<2x1x1x4xi8>, tensor<2xi32>, tensor<2xf32>) -> tensor<1x3x3x2xi8>
// CHECK: %[[U:.*]] = tinyc.transpose %[[C]], [0, 3, 1, 2]
// CHECK: tinyc.dequantize %[[U]]
// CHECK-NOT: tinyc.conv
func.func @conv_relu(%x: tensor<1x4x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %s = tinyc.constant dense<0.5> : tensor<f32>
  %z = tinyc.constant dense<1> : tensor<i8>
  %q = tinyc.quantize %x, %s, %z {axis = 0 : i64} : (tensor<1x4x3x3xf32>, tensor<f32>, tensor<i8>) -> tensor<1x4x3x3xi8>
  %dx = tinyc.dequantize %q, %s, %z {axis = 0 : i64} : (tensor<1x4x3x3xi8>, tensor<f32>, tensor<i8>) -> tensor<1x4x3x3xf32>
  %w = tinyc.constant dense<[[[[1]], [[3]], [[5]], [[7]]], [[[2]], [[4]], [[6]], [[8]]]]> : tensor<2x4x1x1xi8>
  %ws = tinyc.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %wz = tinyc.constant dense<0> : tensor<2xi8>
  %dw = tinyc.dequantize %w, %ws, %wz {axis = 0 : i64} : (tensor<2x4x1x1xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x4x1x1xf32>
  %b = tinyc.constant dense<[10, -20]> : tensor<2xi32>
  %bs = tinyc.constant dense<[0.125, 0.0625]> : tensor<2xf32>
  %bz = tinyc.constant dense<0> : tensor<2xi32>
  %db = tinyc.dequantize %b, %bs, %bz {axis = 0 : i64} : (tensor<2xi32>, tensor<2xf32>, tensor<2xi32>) -> tensor<2xf32>
  %c = tinyc.conv %dx, %dw bias %db {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x3x3xf32>, tensor<2x4x1x1xf32>, tensor<2xf32>) -> tensor<1x2x3x3xf32>
  %r = tinyc.activation %c <relu> : tensor<1x2x3x3xf32> -> tensor<1x2x3x3xf32>
  %ys = tinyc.constant dense<0.25> : tensor<f32>
  %yz = tinyc.constant dense<-3> : tensor<i8>
  %y = tinyc.quantize %r, %ys, %yz {axis = 0 : i64} : (tensor<1x2x3x3xf32>, tensor<f32>, tensor<i8>) -> tensor<1x2x3x3xi8>
  %dy = tinyc.dequantize %y, %ys, %yz {axis = 0 : i64} : (tensor<1x2x3x3xi8>, tensor<f32>, tensor<i8>) -> tensor<1x2x3x3xf32>
  return %dy : tensor<1x2x3x3xf32>
}

// -----

// A Sigmoid alone in an island is a table of its 256 outputs: entry i is
// quantize(sigmoid((i - 128 - 0) * 0.0625), 1/256, -128): entry 0 (x = -8) is
// sigmoid(-8) = 0.000335 -> 0 - 128 = 0x80; entries 127..130 (x = -0.0625, 0,
// 0.0625, 0.125) are 0.4844, 0.5, 0.5156, 0.5312 -> -4, 0, 4, 8.
// CHECK-LABEL: func.func @sigmoid
// CHECK: %[[T:.*]] = tinyc.constant dense<"0x80{{[0-9A-F]*}}FC000408{{[0-9A-F]*}}"> : tensor<256xi8>
// CHECK: tinyc.qtable %{{.*}}, %[[T]] {tinyc.applied = ["integer-islands"]} : (tensor<8xi8>, tensor<256xi8>) -> tensor<8xi8>
// CHECK-NOT: tinyc.activation
func.func @sigmoid(%x: tensor<8xi8>) -> tensor<8xi8> {
  %s = tinyc.constant dense<0.0625> : tensor<f32>
  %z = tinyc.constant dense<0> : tensor<i8>
  %dx = tinyc.dequantize %x, %s, %z {axis = 0 : i64} : (tensor<8xi8>, tensor<f32>, tensor<i8>) -> tensor<8xf32>
  %a = tinyc.activation %dx <sigmoid> : tensor<8xf32> -> tensor<8xf32>
  %ys = tinyc.constant dense<0.00390625> : tensor<f32>
  %yz = tinyc.constant dense<-128> : tensor<i8>
  %y = tinyc.quantize %a, %ys, %yz {axis = 0 : i64} : (tensor<8xf32>, tensor<f32>, tensor<i8>) -> tensor<8xi8>
  return %y : tensor<8xi8>
}

// -----

// Softmax has no integer form: it stays float, and the report says why.
// CHECK-LABEL: func.func @softmax
// CHECK: tinyc.softmax %{{.*}} {axis = 0 : i64, tinyc.applied = ["stays float: no integer form of softmax with these operands"]}
func.func @softmax(%x: tensor<8xi8>) -> tensor<8xi8> {
  %s = tinyc.constant dense<0.0625> : tensor<f32>
  %z = tinyc.constant dense<0> : tensor<i8>
  %dx = tinyc.dequantize %x, %s, %z {axis = 0 : i64} : (tensor<8xi8>, tensor<f32>, tensor<i8>) -> tensor<8xf32>
  %a = tinyc.softmax %dx {axis = 0 : i64} : tensor<8xf32> -> tensor<8xf32>
  %ys = tinyc.constant dense<0.00390625> : tensor<f32>
  %yz = tinyc.constant dense<-128> : tensor<i8>
  %y = tinyc.quantize %a, %ys, %yz {axis = 0 : i64} : (tensor<8xf32>, tensor<f32>, tensor<i8>) -> tensor<8xi8>
  return %y : tensor<8xi8>
}
