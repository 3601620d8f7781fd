// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-fuse-quantize-pairs))' | FileCheck %s

// A quantize -> dequantize round trip with the same per-tensor parameters is
// one fake quantization; the range is the quantized type's.
// CHECK-LABEL: func.func @pair
// CHECK: %[[FQ:.*]] = tinyc.fake_quant %arg0 <0.25, -3, [-128, 127]>
// CHECK-SAME: tinyc.applied = ["fuse-quantize-pairs"]
// CHECK-NOT: tinyc.dequantize
// CHECK: return %[[FQ]]
func.func @pair(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = tinyc.constant dense<0.25> : tensor<f32>
  %z = tinyc.constant dense<-3> : tensor<i8>
  %q = tinyc.quantize %x, %s, %z {axis = 0 : i64} : (tensor<4xf32>, tensor<f32>, tensor<i8>) -> tensor<4xi8>
  %d = tinyc.dequantize %q, %s, %z {axis = 0 : i64} : (tensor<4xi8>, tensor<f32>, tensor<i8>) -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// uint8 gives [0, 255].
// CHECK-LABEL: func.func @unsigned
// CHECK: tinyc.fake_quant %arg0 <0.5, 128, [0, 255]>
func.func @unsigned(%x: tensor<4xf32>) -> tensor<4xf32> {
  %s = tinyc.constant dense<0.5> : tensor<f32>
  %z = tinyc.constant dense<128> : tensor<ui8>
  %q = tinyc.quantize %x, %s, %z {axis = 0 : i64} : (tensor<4xf32>, tensor<f32>, tensor<ui8>) -> tensor<4xui8>
  %d = tinyc.dequantize %q, %s, %z {axis = 0 : i64} : (tensor<4xui8>, tensor<f32>, tensor<ui8>) -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// Left alone: different scales, per-axis parameters, parameters known only
// at run time. The quantized tensor stays for its other reader.
// CHECK-LABEL: func.func @mismatch
// CHECK-NOT: tinyc.fake_quant
// CHECK-COUNT-3: tinyc.dequantize
func.func @mismatch(%x: tensor<2x3xf32>, %rs: tensor<f32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %s = tinyc.constant dense<0.25> : tensor<f32>
  %s2 = tinyc.constant dense<0.5> : tensor<f32>
  %z = tinyc.constant dense<0> : tensor<i8>
  %q = tinyc.quantize %x, %s, %z {axis = 0 : i64} : (tensor<2x3xf32>, tensor<f32>, tensor<i8>) -> tensor<2x3xi8>
  %d1 = tinyc.dequantize %q, %s2, %z {axis = 0 : i64} : (tensor<2x3xi8>, tensor<f32>, tensor<i8>) -> tensor<2x3xf32>
  %sa = tinyc.constant dense<[0.25, 0.5]> : tensor<2xf32>
  %za = tinyc.constant dense<0> : tensor<2xi8>
  %qa = tinyc.quantize %x, %sa, %za {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x3xi8>
  %d2 = tinyc.dequantize %qa, %sa, %za {axis = 0 : i64} : (tensor<2x3xi8>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x3xf32>
  %qr = tinyc.quantize %x, %rs, %z {axis = 0 : i64} : (tensor<2x3xf32>, tensor<f32>, tensor<i8>) -> tensor<2x3xi8>
  %d3 = tinyc.dequantize %qr, %rs, %z {axis = 0 : i64} : (tensor<2x3xi8>, tensor<f32>, tensor<i8>) -> tensor<2x3xf32>
  return %d1, %d2, %d3 : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}
