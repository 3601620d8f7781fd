// Constant folding: what the ONNX importer and the canonicalizer rely on.
// RUN: tinyc-opt %s -canonicalize -split-input-file | FileCheck %s

// Dequantized int8 weights become float constants: (q - zp) * scale.
// CHECK-LABEL: func.func @dequantize_weights
// CHECK: %[[W:.*]] = tinyc.constant dense<[-3.000000e+00, 2.000000e+00, 6.250000e+01]> : tensor<3xf32>
// CHECK-NOT: tinyc.dequantize
// CHECK: tinyc.mul %arg0, %[[W]]
func.func @dequantize_weights(%x: tensor<3xf32>) -> tensor<3xf32> {
  %q = tinyc.constant dense<[-4, 6, 127]> : tensor<3xi8>
  %s = tinyc.constant dense<0.5> : tensor<f32>
  %z = tinyc.constant dense<2> : tensor<i8>
  %w = tinyc.dequantize %q, %s, %z {axis = 0 : i64} : (tensor<3xi8>, tensor<f32>, tensor<i8>) -> tensor<3xf32>
  %y = tinyc.mul %x, %w : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

// Per-axis quantization of a constant: round half to even, then saturate.
// CHECK-LABEL: func.func @quantize_per_axis
// CHECK: tinyc.constant dense<{{\[}}[2, 4, -128], [6, 127, 0]]> : tensor<2x3xi8>
func.func @quantize_per_axis() -> tensor<2x3xi8> {
  %x = tinyc.constant dense<[[2.5, 3.5, -1000.0], [1.5, 1000.0, 0.0]]> : tensor<2x3xf32>
  %s = tinyc.constant dense<[1.0, 0.25]> : tensor<2xf32>
  %z = tinyc.constant dense<[0, 0]> : tensor<2xi8>
  %q = tinyc.quantize %x, %s, %z {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2xf32>, tensor<2xi8>) -> tensor<2x3xi8>
  return %q : tensor<2x3xi8>
}

// -----

// Negative ties, the floats next to them, and an odd zero point, which is added after the
// rounding: roundeven(x) = [-0, -2, -2, -2, -0, -1, 0, -1], plus 1 (roundeven(x + 1) would
// give 0 for -0.5 and -1.5).
// CHECK-LABEL: func.func @quantize_ties
// CHECK: tinyc.constant dense<[1, -1, -1, -1, 1, 0, 1, 0]> : tensor<8xi8>
func.func @quantize_ties() -> tensor<8xi8> {
  %x = tinyc.constant dense<[-0.5, -1.5, -2.5, -1.50000012, -0.49999997, -0.50000006, 0.49999997, -0.75]> : tensor<8xf32>
  %s = tinyc.constant dense<1.0> : tensor<f32>
  %z = tinyc.constant dense<1> : tensor<i8>
  %q = tinyc.quantize %x, %s, %z {axis = 0 : i64} : (tensor<8xf32>, tensor<f32>, tensor<i8>) -> tensor<8xi8>
  return %q : tensor<8xi8>
}

// -----

// A fake quantization of a constant folds through FakeQuantAttr::apply, ties to even:
// (clamp(roundeven(x / 0.5) + 1, -128, 127) - 1) * 0.5 for x / 0.5 = 0.5, 1.5, 2.5, -0.5,
// -1.5, -2.5, 253.5, -128.5: q = 1, 3, 3, 1, -1, -1, 255 -> 127 (saturated), -127.
// CHECK-LABEL: func.func @fake_quant_ties
// CHECK: tinyc.constant dense<[0.000000e+00, 1.000000e+00, 1.000000e+00, 0.000000e+00, -1.000000e+00, -1.000000e+00, 6.300000e+01, -6.400000e+01]> : tensor<8xf32>
// CHECK-NOT: tinyc.fake_quant
func.func @fake_quant_ties() -> tensor<8xf32> {
  %x = tinyc.constant dense<[0.25, 0.75, 1.25, -0.25, -0.75, -1.25, 126.75, -64.25]> : tensor<8xf32>
  %y = tinyc.fake_quant %x <0.5, 1, [-128, 127]> : tensor<8xf32> -> tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

// The same rounding in a binary operator's epilogue: 0.125 + 0.125 = 0.25 and 0.375 + 0.375
// = 0.75 are the ties 0.5 and 1.5 of the scale 0.5, rounded to 0 and 2 (and their negatives
// to -0 and -2; an integer has no -0, so -0.5 dequantizes to +0).
// CHECK-LABEL: func.func @add_fake_quant_ties
// CHECK: tinyc.constant dense<[0.000000e+00, 1.000000e+00, 0.000000e+00, -1.000000e+00]> : tensor<4xf32>
func.func @add_fake_quant_ties() -> tensor<4xf32> {
  %a = tinyc.constant dense<[0.125, 0.375, -0.125, -0.375]> : tensor<4xf32>
  %y = tinyc.add %a, %a {quant = #tinyc.fake_quant<0.5, 0, [-128, 127]>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Shape arithmetic: gather, cast, concat and integer math on constants.
// CHECK-LABEL: func.func @shape_math
// CHECK: %[[C:.*]] = tinyc.constant dense<[6, -1]> : tensor<2xi64>
// CHECK: return %[[C]]
func.func @shape_math() -> tensor<2xi64> {
  %shape = tinyc.constant dense<[2, 3, 4]> : tensor<3xi64>
  %idx = tinyc.constant dense<[0, 1]> : tensor<2xi64>
  %dims = tinyc.gather %shape, %idx {axis = 0 : i64} : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  %one = tinyc.constant dense<[1]> : tensor<1xi64>
  %first = tinyc.gather %dims, %one {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %two = tinyc.constant dense<[2]> : tensor<1xi64>
  %prod = tinyc.mul %first, %two : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %m = tinyc.constant dense<[-1.7]> : tensor<1xf32>
  %mi = tinyc.cast %m : tensor<1xf32> -> tensor<1xi64>
  %r = tinyc.concat %prod, %mi {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  return %r : tensor<2xi64>
}

// -----

// Casts saturate and wrap as the generated code does.
// CHECK-LABEL: func.func @casts
// CHECK: tinyc.constant dense<[0, -128, 127, 0]> : tensor<4xi8>
// CHECK: tinyc.constant dense<[255, 44]> : tensor<2xui8>
func.func @casts() -> (tensor<4xi8>, tensor<2xui8>) {
  %f = tinyc.constant dense<[0.9, -300.0, 1.0e10, 0x7FC00000]> : tensor<4xf32>
  %a = tinyc.cast %f : tensor<4xf32> -> tensor<4xi8>
  %i = tinyc.constant dense<[-1, 300]> : tensor<2xi32>
  %b = tinyc.cast %i : tensor<2xi32> -> tensor<2xui8>
  return %a, %b : tensor<4xi8>, tensor<2xui8>
}

// -----

// Clip with constant float bounds is an activation; [0, inf) is Relu.
// CHECK-LABEL: func.func @clip
// CHECK: tinyc.activation %arg0 <clip, -1.0, 6.0>
// CHECK: tinyc.activation %{{.*}} <relu>
func.func @clip(%x: tensor<4xf32>) -> tensor<4xf32> {
  %lo = tinyc.constant dense<-1.0> : tensor<f32>
  %hi = tinyc.constant dense<6.0> : tensor<f32>
  %y = tinyc.clip %x, %lo, %hi : (tensor<4xf32>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
  %zero = tinyc.constant dense<0.0> : tensor<f32>
  %inf = tinyc.constant dense<0x7F800000> : tensor<f32>
  %z = tinyc.clip %y, %zero, %inf : (tensor<4xf32>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
  return %z : tensor<4xf32>
}

// -----

// Integer clips stay clips (only float bounds become activations).
// CHECK-LABEL: func.func @int_clip
// CHECK: tinyc.clip
func.func @int_clip(%x: tensor<4xi8>) -> tensor<4xi8> {
  %lo = tinyc.constant dense<0> : tensor<i8>
  %hi = tinyc.constant dense<6> : tensor<i8>
  %y = tinyc.clip %x, %lo, %hi : (tensor<4xi8>, tensor<i8>, tensor<i8>) -> tensor<4xi8>
  return %y : tensor<4xi8>
}

// -----

// Reshape chains collapse; transposes of constants fold; identities vanish.
// CHECK-LABEL: func.func @movement
// CHECK-DAG: tinyc.reshape %arg0 : tensor<2x3xf32> -> tensor<6xf32>
// CHECK-DAG: tinyc.constant dense<{{\[}}[1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
func.func @movement(%x: tensor<2x3xf32>) -> (tensor<6xf32>, tensor<2x2xf32>, tensor<2x3xf32>) {
  %a = tinyc.reshape %x : tensor<2x3xf32> -> tensor<3x2xf32>
  %b = tinyc.reshape %a : tensor<3x2xf32> -> tensor<6xf32>
  %c = tinyc.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %t = tinyc.transpose %c, [1, 0] : tensor<2x2xf32> -> tensor<2x2xf32>
  %i = tinyc.transpose %x, [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %b, %t, %i : tensor<6xf32>, tensor<2x2xf32>, tensor<2x3xf32>
}

// -----

// Transposes compose; a pair that cancels disappears.
// CHECK-LABEL: func.func @transposes
// CHECK: %[[T:.*]] = tinyc.transpose %arg0, [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
// CHECK: return %arg0, %[[T]]
func.func @transposes(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x2x3xf32>) {
  %a = tinyc.transpose %x, [0, 2, 1] : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %b = tinyc.transpose %a, [0, 2, 1] : tensor<2x4x3xf32> -> tensor<2x3x4xf32>
  %c = tinyc.transpose %x, [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %d = tinyc.transpose %c, [2, 1, 0] : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  return %b, %d : tensor<2x3x4xf32>, tensor<4x2x3xf32>
}

// -----

// Comparisons are ordered (NaN compares false), unsigned where ONNX says so,
// and broadcast; their results feed logic, selection and classification.
// By hand: x = [1, NaN, 3], y = 2: x < y = [1, 0, 0], x >= y = [0, 0, 1];
// u8 [200, 1] > [100, 100] = [1, 0]; and([1,0,0], [0,0,1]) = [0,0,0],
// or = [1,0,1], xor = [1,0,1]; not([1,0,0]) = [0,1,1];
// select([1,0,0], x, -x) picks [1, -NaN, -3]; isnan(x) = [0,1,0];
// isinf([inf, -inf, 1]) = [1,1,0], its neg_inf class [0,1,0].
// CHECK-LABEL: func.func @predicates
// CHECK-DAG: tinyc.constant dense<[true, false, false]> : tensor<3xi1>
// CHECK-DAG: tinyc.constant dense<[false, false, true]> : tensor<3xi1>
// CHECK-DAG: tinyc.constant dense<[true, false]> : tensor<2xi1>
// CHECK-DAG: tinyc.constant dense<false> : tensor<3xi1>
// CHECK-DAG: tinyc.constant dense<[true, false, true]> : tensor<3xi1>
// CHECK-DAG: tinyc.constant dense<[false, true, true]> : tensor<3xi1>
// CHECK-DAG: tinyc.constant dense<[1.000000e+00, 0xFFC00000, -3.000000e+00]> : tensor<3xf32>
// CHECK-DAG: tinyc.constant dense<[false, true, false]> : tensor<3xi1>
// CHECK-DAG: tinyc.constant dense<[true, true, false]> : tensor<3xi1>
// CHECK-NOT: tinyc.compare
// CHECK-NOT: tinyc.logic
// CHECK-NOT: tinyc.not
// CHECK-NOT: tinyc.select
// CHECK-NOT: tinyc.classify
func.func @predicates() -> (tensor<3xi1>, tensor<3xi1>, tensor<2xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xf32>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>) {
  %x = tinyc.constant dense<[1.0, 0x7FC00000, 3.0]> : tensor<3xf32>
  %nx = tinyc.constant dense<[-1.0, 0xFFC00000, -3.0]> : tensor<3xf32>
  %y = tinyc.constant dense<2.0> : tensor<f32>
  %lt = tinyc.compare <lt> %x, %y : (tensor<3xf32>, tensor<f32>) -> tensor<3xi1>
  %ge = tinyc.compare <ge> %x, %y : (tensor<3xf32>, tensor<f32>) -> tensor<3xi1>
  %a = tinyc.constant dense<[200, 1]> : tensor<2xui8>
  %b = tinyc.constant dense<100> : tensor<ui8>
  %gt = tinyc.compare <gt> %a, %b : (tensor<2xui8>, tensor<ui8>) -> tensor<2xi1>
  %and = tinyc.logic <and> %lt, %ge : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  %or = tinyc.logic <or> %lt, %ge : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  %xor = tinyc.logic <xor> %lt, %ge : (tensor<3xi1>, tensor<3xi1>) -> tensor<3xi1>
  %not = tinyc.not %lt : tensor<3xi1> -> tensor<3xi1>
  %sel = tinyc.select %lt, %x, %nx : (tensor<3xi1>, tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
  %nan = tinyc.classify <nan> %x : tensor<3xf32> -> tensor<3xi1>
  %inf = tinyc.constant dense<[0x7F800000, 0xFF800000, 1.0]> : tensor<3xf32>
  %isinf = tinyc.classify <inf> %inf : tensor<3xf32> -> tensor<3xi1>
  %isneg = tinyc.classify <neg_inf> %inf : tensor<3xf32> -> tensor<3xi1>
  return %lt, %ge, %gt, %and, %or, %xor, %not, %sel, %nan, %isinf, %isneg : tensor<3xi1>, tensor<3xi1>, tensor<2xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>, tensor<3xf32>, tensor<3xi1>, tensor<3xi1>, tensor<3xi1>
}

// -----

// Remainders of constants, checked by hand against NumPy's mod (floored: the
// divisor's sign) and fmod (truncated: the dividend's sign); a zero divisor
// gives 0 for integers and MIN % -1 is 0; float fmod by 0 is NaN.
// CHECK-LABEL: func.func @remainders
// CHECK-DAG: tinyc.constant dense<[2, -2, 2, -2, 0, 0, 0]> : tensor<7xi8>
// CHECK-DAG: tinyc.constant dense<[2, 1, -1, -2, 0, 0, 0]> : tensor<7xi8>
// CHECK-DAG: tinyc.constant dense<[1, 0, 0]> : tensor<3xui8>
// CHECK-DAG: tinyc.constant dense<[2.000000e+00, -2.000000e+00, 5.000000e-01, -0.000000e+00, 0x7FC00000]> : tensor<5xf32>
func.func @remainders() -> (tensor<7xi8>, tensor<7xi8>, tensor<3xui8>, tensor<5xf32>) {
  %a = tinyc.constant dense<[5, -5, 5, -5, 7, -128, 0]> : tensor<7xi8>
  %b = tinyc.constant dense<[3, 3, -3, -3, 0, -1, 5]> : tensor<7xi8>
  %fmod = tinyc.fmod %a, %b : (tensor<7xi8>, tensor<7xi8>) -> tensor<7xi8>
  %mod = tinyc.mod %a, %b : (tensor<7xi8>, tensor<7xi8>) -> tensor<7xi8>
  %u = tinyc.constant dense<[250, 7, 255]> : tensor<3xui8>
  %v = tinyc.constant dense<[249, 0, 0]> : tensor<3xui8>
  %umod = tinyc.mod %u, %v : (tensor<3xui8>, tensor<3xui8>) -> tensor<3xui8>
  %x = tinyc.constant dense<[5.0, -5.0, 5.5, -6.0, 1.0]> : tensor<5xf32>
  %y = tinyc.constant dense<[3.0, 3.0, -2.5, 3.0, 0.0]> : tensor<5xf32>
  %f = tinyc.fmod %x, %y : (tensor<5xf32>, tensor<5xf32>) -> tensor<5xf32>
  return %fmod, %mod, %umod, %f : tensor<7xi8>, tensor<7xi8>, tensor<3xui8>, tensor<5xf32>
}

// -----

// Shifts of unsigned constants; a shift by the width or more gives 0 (C would
// leave it undefined). By hand: 0xB4 << 1 = 0x68 (wrapped), 0xB4 >> 2 = 0x2D.
// CHECK-LABEL: func.func @shifts
// CHECK-DAG: tinyc.constant dense<[104, 180, 0, 0]> : tensor<4xui8>
// CHECK-DAG: tinyc.constant dense<[90, 45, 0, 180]> : tensor<4xui8>
func.func @shifts() -> (tensor<4xui8>, tensor<4xui8>) {
  %x = tinyc.constant dense<[180, 180, 180, 180]> : tensor<4xui8>
  %s = tinyc.constant dense<[1, 0, 8, 200]> : tensor<4xui8>
  %l = tinyc.shift_left %x, %s : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %t = tinyc.constant dense<[1, 2, 9, 0]> : tensor<4xui8>
  %r = tinyc.shift_right %x, %t : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  return %l, %r : tensor<4xui8>, tensor<4xui8>
}
