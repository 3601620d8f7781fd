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

/// GatherElements: the indices' shape, of the data's rank, no dimension but
/// `axis` larger than the data's.
FailureOr<Shape> inferGatherElementsShape(llvm::ArrayRef<int64_t> data,
                                          llvm::ArrayRef<int64_t> indices, int64_t axis,
                                          EmitErrorFn emitError);

/// The indices ONNX Slice reads along a dimension of `extent`: `start` and
/// `end` (negative ones count from the end) clamped as the specification
/// says for the sign of `step` (nonzero), then every step-th index from start
/// towards end, end excluded.
FailureOr<llvm::SmallVector<int64_t>> computeSliceIndices(int64_t extent, int64_t start,
                                                          int64_t end, int64_t step,
                                                          EmitErrorFn emitError);

/// The extents of ONNX Split's outputs along a dimension of `extent`: `sizes`
/// when given (they must sum to the extent), else `count` parts of
/// ceil(extent / count) with a smaller last one when `unevenLast` (opset 18's
/// num_outputs), else `count` equal parts.
FailureOr<llvm::SmallVector<int64_t>> inferSplitSizes(int64_t extent,
                                                      std::optional<llvm::ArrayRef<int64_t>> sizes,
                                                      int64_t count, bool unevenLast,
                                                      EmitErrorFn emitError);

/// ONNX Tile: each dimension times its (non-negative) repeat count.
FailureOr<Shape> inferTileShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> repeats,
                                EmitErrorFn emitError);

/// ONNX DepthToSpace ([N, C, H, W] -> [N, C / b^2, H * b, W * b]) and its
/// inverse SpaceToDepth.
FailureOr<Shape> inferDepthToSpaceShape(llvm::ArrayRef<int64_t> input, int64_t blocksize,
                                        EmitErrorFn emitError);
FailureOr<Shape> inferSpaceToDepthShape(llvm::ArrayRef<int64_t> input, int64_t blocksize,
                                        EmitErrorFn emitError);

/// The element count of ONNX Range: max(ceil((limit - start) / delta), 0).
FailureOr<int64_t> inferRangeCount(double start, double limit, double delta,
                                   EmitErrorFn emitError);

/// Checks that `param` (0-d or 1-d of size dim(axis)) fits per-tensor or per-axis
/// quantization of `input`.
LogicalResult verifyQuantParam(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> param,
                               int64_t axis, llvm::StringRef what, EmitErrorFn emitError);

} // namespace mlir::tinyc

#endif // TINYC_DIALECT_TINYCSHAPES_H
