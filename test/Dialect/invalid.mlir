// The verifiers report the values that disagree.
// RUN: tinyc-opt %s -split-input-file -verify-diagnostics

func.func @conv_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{input has 3 channels in 1 group(s), but the weight expects 2 per group}}
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_result(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{result shape 1x4x8x8 differs from the inferred 1x4x6x6}}
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

func.func @conv_group(%x: tensor<1x3x8x8xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{group 2 must divide the 3 input channels and the 4 output channels}}
  %y = tinyc.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 2 : i64} : (tensor<1x3x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) -> tensor<1x4x6x6xf32> {
  // expected-error @+1 {{bias of shape 3 does not match 4 output channels}}
  %y = tinyc.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x6x6xf32>
  return %y : tensor<1x4x6x6xf32>
}

// -----

func.func @pool_window(%x: tensor<1x1x2x2xf32>) -> tensor<1x1x1x1xf32> {
  // expected-error @+1 {{window of 3 elements (kernel 3, dilation 1) is larger than the padded input of 2}}
  %y = tinyc.pool %x <max> {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, ceil_mode = false, count_include_pad = false} : tensor<1x1x2x2xf32> -> tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}

// -----

func.func @broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{shapes 2x3 and 4 do not broadcast (dimension 3 against 4)}}
  %y = tinyc.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @element_types(%a: tensor<2xf32>, %b: tensor<2xf64>) -> tensor<2xf32> {
  // expected-error @+1 {{element type 'f64' differs from the result's 'f32'}}
  %y = tinyc.mul %a, %b : (tensor<2xf32>, tensor<2xf64>) -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @reshape(%a: tensor<2x3xf32>) -> tensor<7xf32> {
  // expected-error @+1 {{cannot reshape 2x3 (6 elements) into 7 (7 elements)}}
  %y = tinyc.reshape %a : tensor<2x3xf32> -> tensor<7xf32>
  return %y : tensor<7xf32>
}

// -----

func.func @transpose(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{perm [1, 1] is not a permutation of the 2 dimensions of 2x3}}
  %y = tinyc.transpose %a, [1, 1] : tensor<2x3xf32> -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

func.func @concat(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{cannot concatenate 2x4 with 2x3 along axis 0}}
  %y = tinyc.concat %a, %b {axis = 0 : i64} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return %y : tensor<4x3xf32>
}

// -----

func.func @gemm(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{inner dimensions differ: A is 2x3 and B is 4x5}}
  %y = tinyc.gemm %a, %b {trans_a = false, trans_b = false, alpha = 1.0 : f32, beta = 1.0 : f32} : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

func.func @matmul(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{inner dimensions differ: 2x3 times 4x5}}
  %y = tinyc.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

func.func @pad_reflect(%a: tensor<2x3xf32>, %v: tensor<f32>) -> tensor<6x3xf32> {
  // expected-error @+1 {{reflect padding of 2 and 2 needs more than the 2 elements of dimension 0}}
  %y = tinyc.pad %a, %v <reflect> [2, 0, 2, 0] : (tensor<2x3xf32>, tensor<f32>) -> tensor<6x3xf32>
  return %y : tensor<6x3xf32>
}

// -----

func.func @quant_axis(%x: tensor<2x3xf32>, %s: tensor<4xf32>, %z: tensor<4xi8>) -> tensor<2x3xi8> {
  // expected-error @+1 {{scale of shape 4 is neither per-tensor nor per-axis for axis 1 of input 2x3}}
  %y = tinyc.quantize %x, %s, %z {axis = 1 : i64} : (tensor<2x3xf32>, tensor<4xf32>, tensor<4xi8>) -> tensor<2x3xi8>
  return %y : tensor<2x3xi8>
}

// -----

func.func @softmax_axis(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %y = tinyc.softmax %x {axis = 2 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// -----

func.func @dynamic(%x: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{needs static shapes, got 'tensor<?x3xf32>'}}
  %y = tinyc.activation %x <relu> : tensor<?x3xf32> -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}

// -----

func.func @clip_bounds(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{clip bounds are inverted: min 6.000000e+00 > max 0.000000e+00}}
  %y = tinyc.activation %x <clip, 6.0, 0.0> : tensor<2xf32> -> tensor<2xf32>
  return %y : tensor<2xf32>
}

// -----

func.func @batch_norm_params(%x: tensor<1x4x2x2xf32>, %s: tensor<4xf32>, %v: tensor<3xf32>) -> tensor<1x4x2x2xf32> {
  // expected-error @+1 {{parameter of shape 3 does not match the 4 channels of the input}}
  %y = tinyc.batch_norm %x, %s, %s, %s, %v {epsilon = 1.0e-5 : f32} : (tensor<1x4x2x2xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<3xf32>) -> tensor<1x4x2x2xf32>
  return %y : tensor<1x4x2x2xf32>
}

// -----

func.func @scale_shift_channels(%x: tensor<4xf32>, %s: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{input must have a channel dimension, got 4}}
  %y = tinyc.scale_shift %x, %s, %s : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @scale_shift_result(%x: tensor<1x4xf32>, %s: tensor<4xf32>) -> tensor<1x2xf32> {
  // expected-error @+1 {{result shape differs from the input's}}
  %y = tinyc.scale_shift %x, %s, %s : (tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// tinyc.fused_elementwise: what its loop relies on.
func.func @bad_shape(%x: tensor<4xf32>, %c: tensor<f32>) -> tensor<4xf32> {
  %f = tinyc.fused_elementwise %x, %c : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %b: tensor<f32>):
    // expected-error @+1 {{result shape scalar differs from the fused result's 4}}
    %r = tinyc.activation %b <relu> : tensor<f32> -> tensor<f32>
    %s = tinyc.add %a, %r : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
    tinyc.yield %s : tensor<4xf32>
  }
  return %f : tensor<4xf32>
}

// -----

func.func @not_elementwise(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %f = tinyc.fused_elementwise %x : (tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x4xf32>):
    // expected-error @+1 {{is not an elementwise operation and cannot be fused}}
    %s = tinyc.softmax %a {axis = 1 : i64} : tensor<2x4xf32> -> tensor<2x4xf32>
    tinyc.yield %s : tensor<2x4xf32>
  }
  return %f : tensor<2x4xf32>
}
