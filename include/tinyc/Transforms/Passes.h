//===- Passes.h - tinyc passes ----------------------------------*- C++ -*-===//

#ifndef TINYC_TRANSFORMS_PASSES_H
#define TINYC_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::tinyc {

#define GEN_PASS_DECL
#include "tinyc/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tinyc/Transforms/Passes.h.inc"

/// Attribute names shared by the memory planner and its consumers.
inline constexpr llvm::StringLiteral kArenaOffsetAttr = "tinyc.offset";
inline constexpr llvm::StringLiteral kOutputAttr = "tinyc.output";
inline constexpr llvm::StringLiteral kArenaBytesAttr = "tinyc.arena_bytes";
/// With red zones: the poisoned gaps of the arena, as offset, bytes pairs.
inline constexpr llvm::StringLiteral kArenaRedzonesAttr = "tinyc.arena_redzones";
inline constexpr llvm::StringLiteral kNameAttr = "tinyc.name";
inline constexpr llvm::StringLiteral kLayerAttr = "tinyc.layer";
/// Testing only (tinyc --debug-overrun): an elementwise loop also writes the
/// element just past its result, an overrun for -sanitize=address to catch.
inline constexpr llvm::StringLiteral kDebugOverrunAttr = "tinyc.debug_overrun";

/// tinyc-quantize-int8: the calibration sets on the function (an array per
/// set of one tensor per argument, put there by the driver), and what the
/// pass leaves for --report: per layer [location, SQNR in dB, whether the
/// value is a float graph output rather than a quantized activation].
inline constexpr llvm::StringLiteral kCalibrationAttr = "tinyc.calibration";
inline constexpr llvm::StringLiteral kQuantizationSqnrAttr = "tinyc.quantization_sqnr";

/// The values tinyc-sparsify-weights' `kernel` option takes: the cost model's
/// choice, then the forms it can force.
inline constexpr llvm::StringLiteral kSparseKernelForms[] = {"auto", "dense", "arrays",
                                                             "unrolled"};

} // namespace mlir::tinyc

#endif // TINYC_TRANSFORMS_PASSES_H
