//===- Passes.td - tinyc passes --------------------------------*- tablegen -*-===//
//
// Every pass of tinyc. The order they run in is decided in one place only:
// lib/Pipeline/Pipeline.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_TRANSFORMS_PASSES_TD
#define TINYC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TinycPlanMemory : Pass<"tinyc-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Places every intermediate tensor in one arena of known size";
  let description = [{
    Decides where each operator writes its result. A result that a graph
    output is (or is a reshape of) is written straight into the caller's output
    buffer (`tinyc.output = K`). Every other result gets an offset in the arena
    (`tinyc.offset = BYTES`): buffers whose lifetimes overlap never share
    memory, and the buffers are placed largest first at the lowest offset that
    fits, which keeps the arena close to the peak of live bytes. Reshapes move
    no data and share their operand's buffer; constants live in flash.

    The function gets `tinyc.arena_bytes`, the exact size one call needs.
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"16",
           "Byte alignment of every buffer in the arena (a power of two)">,
  ];
}

def TinycMarkLayers : Pass<"tinyc-mark-layers", "::mlir::ModuleOp"> {
  let summary = "Brackets each layer of @main with calls to profiling markers";
  let description = [{
    For measuring where the instructions go: numbers the operators of
    `@main` that compute (`tinyc.layer = I`) and calls
    `tinyc_layer_begin(I)` before and `tinyc_layer_end()` after each, external
    functions that a profiling harness provides. An instruction counter that
    snapshots at one and records at the other then gives every layer's cost.
  }];
}

def TinycLowerToLoops : Pass<"tinyc-lower-to-loops", "::mlir::ModuleOp"> {
  let summary = "Lowers planned tinyc operators to loops over memrefs";
  let description = [{
    `@main(tensors...) -> tensors` becomes
    `@main(inputs..., outputs..., arena)` on memrefs, and each operator becomes
    a loop nest specialised to its static shapes and attributes, writing
    where tinyc-plan-memory placed its result. Fused activations and residual
    additions are applied in the producing loop nest's epilogue. Constants
    become read-only globals. Transcendental functions call the freestanding
    runtime (runtime/tinyc_runtime.h), which the code generator links in.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect"
  ];
}

#endif // TINYC_TRANSFORMS_PASSES_TD
