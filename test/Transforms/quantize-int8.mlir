// RUN: not tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-quantize-int8))' 2>/dev/null | FileCheck %s
// RUN: not tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-quantize-int8))' 2>&1 >/dev/null | FileCheck %s --check-prefix=ERR
// RUN: not tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-quantize-int8{percentile=75}))' 2>/dev/null | FileCheck %s --check-prefix=P75

// Two calibration sets, x = [-1, 3] and [0, 2]. Hand-checked (numpy in float32):
// the input's range [-1, 3] gives scale 4/255 = 0.0156862754 and zero point
// round(-128 + 1/scale) = -64. The weights' columns (Gemm's output channels,
// axis 1) have scales 0.5/127 and 2/127; 0.25 and -1.0 are 63.5 and -63.5 steps,
// which round to even: 64 and -64. The bias is int32 in the accumulator's
// scale (0.0156862754 * 0.00393700786 = 6.17569895e-5, and 2.47027958e-4):
// 0.1 -> 1619.25 -> 1619, -0.2 -> -809.625 -> -810. The Relu stays inside the
// Gemm's island, so the quantization follows it: the Relu's outputs 0.35,
// 6.8 and 0.6, 3.8 widened to hold 0 give scale 6.8/255 and zero point -128.
// The Softmax's result is the graph's output and stays float.
// SQNR (numpy, simulating the same fake quantization): 52.22 dB at the Relu,
// 59.69 dB at the Softmax.
// CHECK-LABEL: func.func @gemm
// CHECK-SAME: tinyc.quantization_sqnr = {{\[\[}}#loc{{[0-9]*}}, 52.2222{{[0-9]*}}, false], [#loc{{[0-9]*}}, 59.6889{{[0-9]*}}, true]]
// CHECK-NOT: tinyc.calibration
// CHECK-DAG: %[[S:.*]] = tinyc.constant dense<0.0156862754> : tensor<f32>
// CHECK-DAG: %[[Z:.*]] = tinyc.constant dense<-64> : tensor<i8>
// CHECK: %[[Q:.*]] = tinyc.quantize %arg0, %[[S]], %[[Z]] {axis = 0 : i64} : (tensor<1x2xf32>, tensor<f32>, tensor<i8>) -> tensor<1x2xi8>
// CHECK: %[[X:.*]] = tinyc.dequantize %[[Q]], %[[S]], %[[Z]]
// CHECK-DAG: %[[WI:.*]] = tinyc.constant dense<{{\[\[}}127, -64], [64, 127]]> : tensor<2x2xi8>
// CHECK-DAG: %[[WS:.*]] = tinyc.constant dense<[0.00393700786, 0.0157480314]> : tensor<2xf32>
// CHECK-DAG: %[[WZ:.*]] = tinyc.constant dense<0> : tensor<2xi8>
// CHECK: %[[W:.*]] = tinyc.dequantize %[[WI]], %[[WS]], %[[WZ]] {axis = 1 : i64}
// CHECK-DAG: %[[BI:.*]] = tinyc.constant dense<[1619, -810]> : tensor<2xi32>
// CHECK-DAG: %[[BS:.*]] = tinyc.constant dense<[6.17569895E-5, 2.47027958E-4]> : tensor<2xf32>
// CHECK: %[[B:.*]] = tinyc.dequantize %[[BI]], %[[BS]], %{{.*}} {axis = 0 : i64} : (tensor<2xi32>, tensor<2xf32>, tensor<2xi32>) -> tensor<2xf32>
// CHECK: %[[Y:.*]] = tinyc.gemm %[[X]], %[[W]], %[[B]]
// CHECK-NEXT: %[[R:.*]] = tinyc.activation %[[Y]] <relu>
// CHECK-DAG: %[[OS:.*]] = tinyc.constant dense<0.0266666673> : tensor<f32>
// CHECK-DAG: %[[OZ:.*]] = tinyc.constant dense<-128> : tensor<i8>
// CHECK: %[[OQ:.*]] = tinyc.quantize %[[R]], %[[OS]], %[[OZ]]
// CHECK: %[[OD:.*]] = tinyc.dequantize %[[OQ]], %[[OS]], %[[OZ]]
// CHECK: %[[P:.*]] = tinyc.softmax %[[OD]]
// CHECK-NEXT: return %[[P]]
func.func @gemm(%x: tensor<1x2xf32>) -> tensor<1x2xf32> attributes {tinyc.calibration = [[dense<[[-1.0, 3.0]]> : tensor<1x2xf32>], [dense<[[0.0, 2.0]]> : tensor<1x2xf32>]]} {
  %w = tinyc.constant dense<[[0.5, -1.0], [0.25, 2.0]]> : tensor<2x2xf32>
  %b = tinyc.constant dense<[0.1, -0.2]> : tensor<2xf32>
  %y = tinyc.gemm %x, %w, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %r = tinyc.activation %y <relu> : tensor<1x2xf32> -> tensor<1x2xf32>
  %s = tinyc.softmax %r {axis = 1 : i64} : tensor<1x2xf32> -> tensor<1x2xf32>
  return %s : tensor<1x2xf32>
}

// -----

// Without calibration sets the pass refuses instead of guessing ranges.
// ERR: error: --quantize=int8 needs calibration inputs (--calibration=DIR); tinyc does not guess activation ranges
func.func @uncalibrated(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %r = tinyc.activation %x <relu> : tensor<1x2xf32> -> tensor<1x2xf32>
  return %r : tensor<1x2xf32>
}

// -----

// The range of an input read by a Softmax (a graph input is quantized too). With min/max,
// [-10, 100]: scale 110/255 = 0.431372553, zero point round(-128 + 10/scale) = -105.
// CHECK-LABEL: func.func @percentile
// CHECK-DAG: tinyc.constant dense<0.431372553> : tensor<f32>
// CHECK-DAG: tinyc.constant dense<-105> : tensor<i8>
// With the 75th percentile: the sorted values -10, 1, 2, 3, 100 give 3 at index
// round(0.75 * 4) = 3 and 1 at index 1; widened to hold 0, [0, 3]: scale 3/255 =
// 0.0117647061, zero point -128.
// P75-LABEL: func.func @percentile
// P75-DAG: tinyc.constant dense<0.0117647061> : tensor<f32>
// P75-DAG: tinyc.constant dense<-128> : tensor<i8>
// P75: tinyc.quantize %arg0
func.func @percentile(%x: tensor<1x5xf32>) -> tensor<1x5xf32> attributes {tinyc.calibration = [[dense<[[-10.0, 1.0, 2.0, 3.0, 100.0]]> : tensor<1x5xf32>]]} {
  %s = tinyc.softmax %x {axis = 1 : i64} : tensor<1x5xf32> -> tensor<1x5xf32>
  return %s : tensor<1x5xf32>
}
