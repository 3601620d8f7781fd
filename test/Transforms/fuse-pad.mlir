// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-fuse-pad))' | FileCheck %s

// Zero padding of the spatial dimensions joins the convolution's own.
// CHECK-LABEL: func.func @fold
// CHECK-NOT: tinyc.pad
// CHECK: tinyc.conv %arg0, %arg1 {{.*}}pads = array<i64: 2, 1, 1, 3>
// CHECK-SAME: tinyc.applied = ["fuse-pad"]
func.func @fold(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>) -> tensor<1x3x6x7xf32> {
  %zero = tinyc.constant dense<0.0> : tensor<f32>
  %p = tinyc.pad %x, %zero <constant> [0, 0, 1, 0, 0, 0, 0, 2] : (tensor<1x2x5x5xf32>, tensor<f32>) -> tensor<1x2x6x7xf32>
  %y = tinyc.conv %p, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, group = 1 : i64} : (tensor<1x2x6x7xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x6x7xf32>
  return %y : tensor<1x3x6x7xf32>
}

// -----

// Left alone: a nonzero value, another mode, channel padding, cropping.
// CHECK-LABEL: func.func @keep
// CHECK-COUNT-4: tinyc.pad
func.func @keep(%x: tensor<1x2x5x5xf32>, %w: tensor<3x2x3x3xf32>, %w4: tensor<3x4x3x3xf32>) -> (tensor<1x3x5x5xf32>, tensor<1x3x5x5xf32>, tensor<1x3x3x3xf32>, tensor<1x3x2x3xf32>) {
  %one = tinyc.constant dense<1.0> : tensor<f32>
  %zero = tinyc.constant dense<0.0> : tensor<f32>
  %p1 = tinyc.pad %x, %one <constant> [0, 0, 1, 1, 0, 0, 1, 1] : (tensor<1x2x5x5xf32>, tensor<f32>) -> tensor<1x2x7x7xf32>
  %y1 = tinyc.conv %p1, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x7x7xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x5x5xf32>
  %p2 = tinyc.pad %x, %zero <reflect> [0, 0, 1, 1, 0, 0, 1, 1] : (tensor<1x2x5x5xf32>, tensor<f32>) -> tensor<1x2x7x7xf32>
  %y2 = tinyc.conv %p2, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x7x7xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x5x5xf32>
  %p3 = tinyc.pad %x, %zero <constant> [0, 1, 0, 0, 0, 1, 0, 0] : (tensor<1x2x5x5xf32>, tensor<f32>) -> tensor<1x4x5x5xf32>
  %y3 = tinyc.conv %p3, %w4 {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x4x5x5xf32>, tensor<3x4x3x3xf32>) -> tensor<1x3x3x3xf32>
  %p4 = tinyc.pad %x, %zero <constant> [0, 0, -1, 0, 0, 0, 0, 0] : (tensor<1x2x5x5xf32>, tensor<f32>) -> tensor<1x2x4x5xf32>
  %y4 = tinyc.conv %p4, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, group = 1 : i64} : (tensor<1x2x4x5xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x2x3xf32>
  return %y1, %y2, %y3, %y4 : tensor<1x3x5x5xf32>, tensor<1x3x5x5xf32>, tensor<1x3x3x3xf32>, tensor<1x3x2x3xf32>
}
