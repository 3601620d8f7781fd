// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-fuse-ops))' | FileCheck %s

// An activation and a fake quantization join the producer's epilogue.
// CHECK-LABEL: func.func @epilogue
// CHECK: %[[C:.*]] = tinyc.conv {{.*}}act = #tinyc.act<clip, 0.0, 6.0>
// CHECK-SAME: quant = #tinyc.fake_quant<0.5, 0, [-128, 127]>
// CHECK-SAME: tinyc.applied = ["fuse-ops: activation", "fuse-ops: quantization"]
// CHECK-NOT: tinyc.activation
// CHECK-NOT: tinyc.fake_quant %
// CHECK: return %[[C]]
func.func @epilogue(%x: tensor<1x1x4x4xf32>, %w: tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %a = tinyc.activation %y <clip, 0.0, 6.0> : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %q = tinyc.fake_quant %a <0.5, 0, [-128, 127]> : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %q : tensor<1x2x4x4xf32>
}

// -----

// A residual add (and the activation after it) joins the convolution that
// produces one of its operands.
// CHECK-LABEL: func.func @residual
// CHECK: %[[C:.*]] = tinyc.conv %arg0, %arg1 residual %arg2 {act = #tinyc.act<relu>
// CHECK-NOT: tinyc.add
// CHECK: return %[[C]]
func.func @residual(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x3x3xf32>, %r: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x4x4xf32>
  %s = tinyc.add %r, %y : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %a = tinyc.activation %s <relu> : tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// -----

// MatMul followed by a bias row is one Gemm.
// CHECK-LABEL: func.func @bias
// CHECK: tinyc.gemm %arg0, %arg1, %{{.*}} {act = #tinyc.act<tanh>, alpha = 1.000000e+00 : f32, beta = 1.000000e+00 : f32
// CHECK-NOT: tinyc.matmul
func.func @bias(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %m = tinyc.matmul %a, %b : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %c = tinyc.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %s = tinyc.add %m, %c : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %t = tinyc.activation %s <tanh> : tensor<2x4xf32> -> tensor<2x4xf32>
  return %t : tensor<2x4xf32>
}

// -----

// Left alone: a producer read twice (the activation would change what the
// other reader sees), a producer without an epilogue (pooling and
// activations), an activation after a fake quantization (the order would
// change), and a broadcasting add.
// CHECK-LABEL: func.func @keep
// CHECK: tinyc.conv
// CHECK-NOT: act =
// CHECK: tinyc.activation
// CHECK: tinyc.pool
// CHECK: tinyc.activation
// CHECK: tinyc.activation
// CHECK: tinyc.gemm {{.*}}quant =
// CHECK: tinyc.activation
// CHECK: tinyc.add
func.func @keep(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x1x1xf32>, %b: tensor<1xf32>, %g: tensor<2x2xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>, tensor<2x2xf32>, tensor<1x1x4x4xf32>) {
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %r = tinyc.activation %y <relu> : tensor<1x1x4x4xf32> -> tensor<1x1x4x4xf32>
  %p = tinyc.pool %x <max> {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : tensor<1x1x4x4xf32> -> tensor<1x1x2x2xf32>
  %pr = tinyc.activation %p <relu> : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %pp = tinyc.activation %pr <sigmoid> : tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %q = tinyc.gemm %g, %g {trans_a = false, trans_b = false, alpha = 1.0 : f32, beta = 1.0 : f32, quant = #tinyc.fake_quant<0.5, 0, [-128, 127]>} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %qa = tinyc.activation %q <relu> : tensor<2x2xf32> -> tensor<2x2xf32>
  %z = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %s = tinyc.add %z, %b : (tensor<1x1x4x4xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  return %y, %r, %pp, %qa, %s : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, tensor<1x1x2x2xf32>, tensor<2x2xf32>, tensor<1x1x4x4xf32>
}
