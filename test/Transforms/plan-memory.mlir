// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory))' | FileCheck %s
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory{alignment=4}))' | FileCheck %s --check-prefix=ALIGN4
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory{redzone=32}))' | FileCheck %s --check-prefix=REDZONE

// A buffer is reused once everything that reads it has run: %c takes the
// place of %a, which %b was the last to read. %d is the graph output and is
// written straight into the caller's buffer.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: tinyc.arena_bytes = 2008
// CHECK: tinyc.activation %arg0 <relu> {tinyc.offset = 0 : i64}
// CHECK: tinyc.activation %{{.*}} <relu> {tinyc.offset = 1008 : i64}
// CHECK: tinyc.activation %{{.*}} <relu> {tinyc.offset = 0 : i64}
// CHECK: tinyc.add %{{.*}} {tinyc.output = 0 : i64}
// ALIGN4-LABEL: func.func @chain
// ALIGN4-SAME: tinyc.arena_bytes = 2000
// ALIGN4: tinyc.offset = 1000
// With red zones nothing is shared and each 1000-byte buffer is followed by a
// gap up to the next multiple of 16 at least 32 bytes on: 1000 + 32 -> 1040.
// REDZONE-LABEL: func.func @chain
// REDZONE-SAME: tinyc.arena_bytes = 3120 : i64, tinyc.arena_redzones = array<i64: 1000, 40, 2040, 40, 3080, 40>
// REDZONE: tinyc.activation %arg0 <relu> {tinyc.offset = 0 : i64}
// REDZONE: tinyc.activation %{{.*}} <relu> {tinyc.offset = 1040 : i64}
// REDZONE: tinyc.activation %{{.*}} <relu> {tinyc.offset = 2080 : i64}
func.func @chain(%x: tensor<250xf32>) -> tensor<250xf32> {
  %a = tinyc.activation %x <relu> : tensor<250xf32> -> tensor<250xf32>
  %b = tinyc.activation %a <relu> : tensor<250xf32> -> tensor<250xf32>
  %c = tinyc.activation %b <relu> : tensor<250xf32> -> tensor<250xf32>
  %d = tinyc.add %c, %b : (tensor<250xf32>, tensor<250xf32>) -> tensor<250xf32>
  return %d : tensor<250xf32>
}

// -----

// A reshape shares its operand's buffer and keeps it alive: %a is read
// through %r after %b exists, so they must not overlap.
// CHECK-LABEL: func.func @alias
// CHECK-SAME: tinyc.arena_bytes = 88
// CHECK: tinyc.activation %arg0 <relu> {tinyc.offset = 0 : i64}
// CHECK: tinyc.reshape
// CHECK-NOT: tinyc.offset
// CHECK: tinyc.activation %arg0 <sigmoid> {tinyc.offset = 48 : i64}
func.func @alias(%x: tensor<2x5xf32>) -> tensor<10xf32> {
  %a = tinyc.activation %x <relu> : tensor<2x5xf32> -> tensor<2x5xf32>
  %r = tinyc.reshape %a : tensor<2x5xf32> -> tensor<10xf32>
  %b = tinyc.activation %x <sigmoid> : tensor<2x5xf32> -> tensor<2x5xf32>
  %s = tinyc.reshape %b : tensor<2x5xf32> -> tensor<10xf32>
  %y = tinyc.add %r, %s : (tensor<10xf32>, tensor<10xf32>) -> tensor<10xf32>
  return %y : tensor<10xf32>
}

// -----

// An output that is a reshape of a result gets that result written into the
// output buffer; an output returned twice is copied the second time, and a
// constant or input returned needs no arena.
// CHECK-LABEL: func.func @outputs
// CHECK-SAME: tinyc.arena_bytes = 0
// CHECK: tinyc.activation %arg0 <relu> {tinyc.output = 0 : i64}
func.func @outputs(%x: tensor<2x5xf32>) -> (tensor<10xf32>, tensor<2x5xf32>, tensor<2xf32>, tensor<2x5xf32>) {
  %a = tinyc.activation %x <relu> : tensor<2x5xf32> -> tensor<2x5xf32>
  %r = tinyc.reshape %a : tensor<2x5xf32> -> tensor<10xf32>
  %c = tinyc.constant dense<1.0> : tensor<2xf32>
  return %r, %a, %c, %x : tensor<10xf32>, tensor<2x5xf32>, tensor<2xf32>, tensor<2x5xf32>
}
