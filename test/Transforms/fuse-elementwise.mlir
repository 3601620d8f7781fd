// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-fuse-elementwise))' | FileCheck %s
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-fuse-elementwise{max-ops=2}))' | FileCheck %s --check-prefix=TWO

// A chain becomes one fused operation where its last member was; the
// broadcast constant and the clip bounds (parameters) are its inputs.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: tensor<2x4xf32>, %[[C:.*]]: tensor<4xf32>, %[[LO:.*]]: tensor<f32>, %[[HI:.*]]: tensor<f32>)
// CHECK: %[[F:.*]] = tinyc.fused_elementwise %[[X]], %[[C]], %[[LO]], %[[HI]] {tinyc.applied = ["fuse-elementwise: 3 elementwise operations in one loop"]}
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<2x4xf32>, %[[B:.*]]: tensor<4xf32>, %[[L:.*]]: tensor<f32>, %[[H:.*]]: tensor<f32>):
// CHECK-NEXT: %[[S:.*]] = tinyc.add %[[A]], %[[B]]
// CHECK-NEXT: %[[R:.*]] = tinyc.activation %[[S]] <relu>
// CHECK-NEXT: %[[K:.*]] = tinyc.clip %[[R]], %[[L]], %[[H]]
// CHECK-NEXT: tinyc.yield %[[K]]
// CHECK: return %[[F]]
// With at most two operations a loop, the chain is two.
// TWO-LABEL: func.func @chain
// TWO: tinyc.fused_elementwise
// TWO-NEXT: ^bb0
// TWO-NEXT: tinyc.add
// TWO-NEXT: tinyc.activation
// TWO-NEXT: tinyc.yield
// TWO: tinyc.clip %{{.*}} : (tensor<2x4xf32>, tensor<f32>, tensor<f32>)
func.func @chain(%x: tensor<2x4xf32>, %c: tensor<4xf32>, %lo: tensor<f32>, %hi: tensor<f32>) -> tensor<2x4xf32> {
  %0 = tinyc.add %x, %c : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %1 = tinyc.activation %0 <relu> : tensor<2x4xf32> -> tensor<2x4xf32>
  %2 = tinyc.clip %1, %lo, %hi : (tensor<2x4xf32>, tensor<f32>, tensor<f32>) -> tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}

// -----

// A value read twice (by an operation and by the return) is stored: the
// chain ends at it, and a new one starts after it.
// CHECK-LABEL: func.func @two_readers
// CHECK: %[[F:.*]] = tinyc.fused_elementwise %arg0 {
// CHECK: tinyc.activation %{{.*}} <relu>
// CHECK: tinyc.activation %{{.*}} <sigmoid>
// CHECK: tinyc.yield
// CHECK: %[[G:.*]] = tinyc.fused_elementwise %[[F]] {
// CHECK: tinyc.activation %{{.*}} <tanh>
// CHECK: tinyc.activation %{{.*}} <relu>
// CHECK: return %[[G]], %[[F]]
func.func @two_readers(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %0 = tinyc.activation %x <relu> : tensor<8xf32> -> tensor<8xf32>
  %1 = tinyc.activation %0 <sigmoid> : tensor<8xf32> -> tensor<8xf32>
  %2 = tinyc.activation %1 <tanh> : tensor<8xf32> -> tensor<8xf32>
  %3 = tinyc.activation %2 <relu> : tensor<8xf32> -> tensor<8xf32>
  return %3, %1 : tensor<8xf32>, tensor<8xf32>
}

// -----

// A producer of another shape (broadcast into its consumer) would be
// computed once per consumer element: it keeps its own loop. So does an
// operation that is not elementwise (softmax) and its lone neighbours.
// CHECK-LABEL: func.func @shapes
// CHECK: %[[S:.*]] = tinyc.activation %arg1 <relu> : tensor<4xf32>
// CHECK-NEXT: %[[M:.*]] = tinyc.mul %arg0, %[[S]]
// CHECK-NEXT: %[[X:.*]] = tinyc.softmax %[[M]]
// CHECK-NEXT: %[[E:.*]] = tinyc.activation %[[X]] <sigmoid>
// CHECK-NEXT: return %[[E]]
// CHECK-NOT: fused_elementwise
func.func @shapes(%x: tensor<3x4xf32>, %v: tensor<4xf32>) -> tensor<3x4xf32> {
  %s = tinyc.activation %v <relu> : tensor<4xf32> -> tensor<4xf32>
  %m = tinyc.mul %x, %s : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %x2 = tinyc.softmax %m {axis = 1 : i64} : tensor<3x4xf32> -> tensor<3x4xf32>
  %e = tinyc.activation %x2 <sigmoid> : tensor<3x4xf32> -> tensor<3x4xf32>
  return %e : tensor<3x4xf32>
}

// -----

// A tree: both operands of the select come from the chain; booleans and
// integers stay in registers like floats.
// CHECK-LABEL: func.func @tree
// CHECK: tinyc.fused_elementwise %arg0, %arg2, %arg1 {tinyc.applied = ["fuse-elementwise: 5 elementwise operations in one loop"]}
// CHECK-NOT: tinyc.fused_elementwise
func.func @tree(%x: tensor<6xf32>, %y: tensor<6xf32>, %zero: tensor<f32>) -> tensor<6xi32> {
  %g = tinyc.compare <gt> %x, %zero : (tensor<6xf32>, tensor<f32>) -> tensor<6xi1>
  %n = tinyc.sub %zero, %y : (tensor<f32>, tensor<6xf32>) -> tensor<6xf32>
  %a = tinyc.activation %y <tanh> : tensor<6xf32> -> tensor<6xf32>
  %s = tinyc.select %g, %n, %a : (tensor<6xi1>, tensor<6xf32>, tensor<6xf32>) -> tensor<6xf32>
  %i = tinyc.cast %s : tensor<6xf32> -> tensor<6xi32>
  return %i : tensor<6xi32>
}

