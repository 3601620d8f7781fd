//===- TinycShapes.h - static shape rules of tinyc operators ----*- C++ -*-===//
//
// One definition of each operator's result shape, shared by the ONNX importer
// (which needs the shape to build the operator) and the verifiers (which check
// it). Each function reports what is wrong through `emitError` and fails.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_DIALECT_TINYCSHAPES_H
#define TINYC_DIALECT_TINYCSHAPES_H

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Types.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <string>

namespace mlir::tinyc {

using Shape = llvm::SmallVector<int64_t, 6>;
using EmitErrorFn = llvm::function_ref<InFlightDiagnostic()>;

/// "1x3x224x224" ("scalar" for rank 0), for diagnostics and the header.
std::string formatShape(llvm::ArrayRef<int64_t> shape);

/// Number of elements of a static shape.
int64_t getNumElements(llvm::ArrayRef<int64_t> shape);

/// The same, or nullopt when it overflows int64 (or a dimension is negative).
std::optional<int64_t> getCheckedNumElements(llvm::ArrayRef<int64_t> shape);

/// Bytes of a tensor as tinyc stores it (booleans take a byte), or nullopt
/// when the size overflows int64.
std::optional<int64_t> getCheckedByteSize(llvm::ArrayRef<int64_t> shape, Type elementType);

/// How many of a sliding window's `output` positions along one dimension
/// have a window reaching into the padding (the convolution lowering's
/// border positions).
int64_t countBorderPositions(int64_t output, int64_t input, int64_t kernel, int64_t stride,
                             int64_t dilation, int64_t padBegin);

/// The most border positions a convolution may have along one dimension:
/// their number grows with the pads, and the lowering's work with them.
constexpr int64_t kMaxBorderPositions = 4096;

/// NumPy/ONNX multidirectional broadcasting.
FailureOr<Shape> broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                                 EmitErrorFn emitError);

/// Output extent of a sliding window along one axis.
FailureOr<int64_t> slidingWindowExtent(int64_t input, int64_t kernel, int64_t stride,
                                       int64_t dilation, int64_t padBegin, int64_t padEnd,
                                       bool ceilMode, EmitErrorFn emitError);

FailureOr<Shape> inferConvShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> weight,
                                llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> dilations,
                                llvm::ArrayRef<int64_t> pads, int64_t group, EmitErrorFn emitError);

FailureOr<Shape> inferPoolShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> kernel,
                                llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> dilations,
                                llvm::ArrayRef<int64_t> pads, bool ceilMode, EmitErrorFn emitError);

FailureOr<Shape> inferGemmShape(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                                bool transA, bool transB, EmitErrorFn emitError);

FailureOr<Shape> inferMatMulShape(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                                  EmitErrorFn emitError);

FailureOr<Shape> inferTransposeShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> perm,
                                     EmitErrorFn emitError);

FailureOr<Shape> inferConcatShape(llvm::ArrayRef<llvm::ArrayRef<int64_t>> inputs, int64_t axis,
                                  EmitErrorFn emitError);

FailureOr<Shape> inferPadShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> pads,
                               EmitErrorFn emitError);

FailureOr<Shape> inferGatherShape(llvm::ArrayRef<int64_t> data, llvm::ArrayRef<int64_t> indices,
                                  int64_t axis, EmitErrorFn emitError);

FailureOr<Shape> inferReduceShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> axes,
                                  bool keepdims, EmitErrorFn emitError);

/// Checks that `param` (0-d or 1-d of size dim(axis)) fits per-tensor or per-axis
/// quantization of `input`.
LogicalResult verifyQuantParam(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> param,
                               int64_t axis, llvm::StringRef what, EmitErrorFn emitError);

} // namespace mlir::tinyc

#endif // TINYC_DIALECT_TINYCSHAPES_H
