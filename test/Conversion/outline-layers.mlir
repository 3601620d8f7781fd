// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops, canonicalize, cse, tinyc-outline-layers{max-ops=1})' | FileCheck %s
// RUN: tinyc-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(tinyc-plan-memory), tinyc-lower-to-loops, canonicalize, cse, tinyc-outline-layers)' | FileCheck %s --check-prefix=WHOLE
// RUN: rm -rf %t && %onnx-python %S/Inputs/chain_folder.py %t 600
// RUN: tinyc %t/model.onnx -target=cortex-m7 -name=chain -emit=llvm -o - | FileCheck %s --check-prefix=LLVM
// RUN: %tinyc-run %t -target=x86-64 | FileCheck %s --check-prefix=EXEC --implicit-check-not=FAIL
// RUN: %tinyc-run %t -target=cortex-m7 | FileCheck %s --check-prefix=EXEC --implicit-check-not=FAIL

// With max-ops=1 every loop nest gets a function of its own, taking @main's
// arguments; what a nest uses from an earlier one (the view of the arena
// holding its input) is recomputed in its function. @main only calls them.
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: memref<1x8xf32>, %[[Y:.*]]: memref<1x8xf32>, %[[ARENA:.*]]: memref<32xi8>)
// CHECK-NEXT: call @main_part0(%[[X]], %[[Y]], %[[ARENA]])
// CHECK-NEXT: call @main_part1(%[[X]], %[[Y]], %[[ARENA]])
// CHECK-NEXT: return
// CHECK: func.func private @main_part0(%[[X0:.*]]: memref<1x8xf32> {llvm.noalias}, %{{.*}}: memref<1x8xf32> {llvm.noalias}, %[[A0:.*]]: memref<32xi8> {llvm.noalias})
// CHECK-SAME: passthrough = ["noinline"]
// CHECK: %[[T0:.*]] = memref.view %[[A0]]
// CHECK: scf.for
// CHECK: memref.load %[[X0]]
// CHECK: memref.store %{{.*}}, %[[T0]]
// CHECK: return
// CHECK: func.func private @main_part1(%{{.*}}: memref<1x8xf32> {llvm.noalias}, %[[Y1:.*]]: memref<1x8xf32> {llvm.noalias}, %[[A1:.*]]: memref<32xi8> {llvm.noalias})
// CHECK: %[[T1:.*]] = memref.view %[[A1]]
// CHECK: scf.for
// CHECK: memref.load %[[T1]]
// CHECK: memref.store %{{.*}}, %[[Y1]]
// CHECK: return

// Under the default size the graph stays one function.
// WHOLE-LABEL: func.func @main
// WHOLE-NOT: call @main_part
// WHOLE-NOT: func.func private @main_part
func.func @main(%x: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %a = tinyc.activation %x <sigmoid> : tensor<1x8xf32> -> tensor<1x8xf32>
  %b = tinyc.activation %a <tanh> : tensor<1x8xf32> -> tensor<1x8xf32>
  return %b : tensor<1x8xf32>
}

// A chain of 600 element-wise ops is cut into functions that LLVM keeps
// apart (noinline), each with its own loops; its answers are those of numpy
// in double precision.
// LLVM: define internal {{.*}}void @main_part0(
// LLVM: define internal {{.*}}void @main_part1(
// LLVM: define {{.*}} @chain_run(
// LLVM: attributes #{{[0-9]+}} = { {{.*}}noinline
// EXEC: y {{.*}} PASS
