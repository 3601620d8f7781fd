//===- Lowering.h - shared pieces of the tinyc-to-loops lowering -*- C++ -*-===//
//
// Private to tinyc-lower-to-loops. Each operator family has its patterns in
// its own file; they share the buffer placement, loop nests, typed scalar
// loads and stores, and the activation epilogue defined here.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_LIB_CONVERSION_TINYCTOLOOPS_LOWERING_H
#define TINYC_LIB_CONVERSION_TINYCTOLOOPS_LOWERING_H

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc_abi.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::tinyc::lowering {

/// The attribute naming the read-only global that holds a constant's data.
inline constexpr llvm::StringLiteral kGlobalAttr = "tinyc.global";

/// Names of the runtime functions generated code may call (runtime/tinyc_abi.h).
inline constexpr llvm::StringLiteral kExpF = TINYC_ABI_STR(TINYC_ABI_EXPF);
inline constexpr llvm::StringLiteral kSigmoidF = TINYC_ABI_STR(TINYC_ABI_SIGMOIDF);
inline constexpr llvm::StringLiteral kTanhF = TINYC_ABI_STR(TINYC_ABI_TANHF);
inline constexpr llvm::StringLiteral kRoundEvenF = TINYC_ABI_STR(TINYC_ABI_ROUNDEVENF);
inline constexpr llvm::StringLiteral kSqrtF = TINYC_ABI_STR(TINYC_ABI_SQRTF);
inline constexpr llvm::StringLiteral kLogF = TINYC_ABI_STR(TINYC_ABI_LOGF);
inline constexpr llvm::StringLiteral kSinF = TINYC_ABI_STR(TINYC_ABI_SINF);
inline constexpr llvm::StringLiteral kCosF = TINYC_ABI_STR(TINYC_ABI_COSF);
inline constexpr llvm::StringLiteral kTanF = TINYC_ABI_STR(TINYC_ABI_TANF);
inline constexpr llvm::StringLiteral kAsinF = TINYC_ABI_STR(TINYC_ABI_ASINF);
inline constexpr llvm::StringLiteral kAcosF = TINYC_ABI_STR(TINYC_ABI_ACOSF);
inline constexpr llvm::StringLiteral kAtanF = TINYC_ABI_STR(TINYC_ABI_ATANF);
inline constexpr llvm::StringLiteral kSinhF = TINYC_ABI_STR(TINYC_ABI_SINHF);
inline constexpr llvm::StringLiteral kCoshF = TINYC_ABI_STR(TINYC_ABI_COSHF);
inline constexpr llvm::StringLiteral kAsinhF = TINYC_ABI_STR(TINYC_ABI_ASINHF);
inline constexpr llvm::StringLiteral kAcoshF = TINYC_ABI_STR(TINYC_ABI_ACOSHF);
inline constexpr llvm::StringLiteral kAtanhF = TINYC_ABI_STR(TINYC_ABI_ATANHF);
inline constexpr llvm::StringLiteral kErfF = TINYC_ABI_STR(TINYC_ABI_ERFF);
inline constexpr llvm::StringLiteral kFmodF = TINYC_ABI_STR(TINYC_ABI_FMODF);
inline constexpr llvm::StringLiteral kFmod = TINYC_ABI_STR(TINYC_ABI_FMOD);
inline constexpr llvm::StringLiteral kPowF = TINYC_ABI_STR(TINYC_ABI_POWF);

/// How tensors are stored: ONNX signedness moves from the type into the
/// operations (memrefs use signless integers), and booleans take a byte.
Type storageType(Type elementType);
MemRefType bufferType(RankedTensorType type);
/// The type of an input or output at @main's boundary: bufferType, except
/// that an empty tensor is rank 1 (the bare-pointer calling convention takes
/// no empty memref of higher rank).
MemRefType boundaryType(RankedTensorType type);

/// The same bytes as `source`, viewed as the contiguous `type`.
Value reinterpretAs(OpBuilder &b, Location loc, Value source, MemRefType type);

/// Tensor -> memref conversion for the dialect conversion driver.
class BufferTypeConverter : public TypeConverter {
public:
  BufferTypeConverter();
};

/// The buffer an operator writes its result into: the caller's output
/// buffer or a view of the arena, as tinyc-plan-memory decided.
FailureOr<Value> allocateResult(Operation *op, OpBuilder &builder);

Value indexConstant(OpBuilder &b, Location loc, int64_t value);
Value floatConstant(OpBuilder &b, Location loc, Type type, double value);
/// An integer constant in the signless storage type of `elementType`.
Value intConstant(OpBuilder &b, Location loc, Type elementType, int64_t value);

/// Runs `body` inside a nest of scf.for loops over [0, extent) per dimension.
void buildLoops(OpBuilder &b, Location loc, llvm::ArrayRef<int64_t> extents,
                llvm::function_ref<void(OpBuilder &, Location, ValueRange)> body);

/// A nest of loops over [lower, upper) carrying `inits`; the body returns the
/// updated values; returns the final values.
llvm::SmallVector<Value>
buildReduction(OpBuilder &b, Location loc, llvm::ArrayRef<Value> lower, llvm::ArrayRef<Value> upper,
               ValueRange inits,
               llvm::function_ref<llvm::SmallVector<Value>(OpBuilder &, Location, ValueRange ivs,
                                                           ValueRange acc)>
                   body);

/// Loads an element as the value generated code computes with (i1 for bool).
Value loadElement(OpBuilder &b, Location loc, Value buffer, ValueRange indices, Type elementType);
/// Stores such a value back in storage form.
void storeElement(OpBuilder &b, Location loc, Value value, Value buffer, ValueRange indices,
                  Type elementType);

/// Applies an activation function to a float scalar.
Value applyActivation(OpBuilder &b, Location loc, Value x, ActivationAttr act);

/// ONNX QuantizeLinear of a float scalar (ScalarSemantics.h): a float that
/// holds an integer in [qmin, qmax].
Value quantizeScalar(OpBuilder &b, Location loc, Value x, Value scale, Value zeroPoint,
                     int64_t qmin, int64_t qmax);

/// Applies a fake quantization (QuantizeLinear then DequantizeLinear).
Value applyFakeQuant(OpBuilder &b, Location loc, Value x, FakeQuantAttr quant);

/// A fused epilogue: the activation, then the fake quantization (either may
/// be null).
inline Value applyEpilogue(OpBuilder &b, Location loc, Value x, ActivationAttr act,
                           FakeQuantAttr quant) {
  return applyFakeQuant(b, loc, applyActivation(b, loc, x, act), quant);
}

/// Calls a float -> float runtime function, declared by the pass beforehand.
Value callRuntime(OpBuilder &b, Location loc, llvm::StringRef name, Value x);

/// Converts a scalar between tinyc element types with tinyc.cast's rules
/// (saturating float to integer, NaN to 0; wrapping between integers).
Value convertScalar(OpBuilder &b, Location loc, Value x, Type from, Type to);

/// Index of the element of a broadcast operand of `shape` that output element
/// `ivs` (of an output of rank ivs.size()) reads.
llvm::SmallVector<Value> broadcastIndices(OpBuilder &b, Location loc,
                                          llvm::ArrayRef<int64_t> shape, ValueRange ivs);

/// The taps [lo, hi) of a window along one spatial dimension that land in
/// [lower, upper) of the (unpadded) input, for output position `o`: tap k
/// reads input position o * stride - padBegin + k * dilation. Bounds that are
/// the same for every output position are constants, so loops over windows
/// that never touch the border get constant trip counts.
std::pair<Value, Value> windowTaps(OpBuilder &b, Location loc, Value o, int64_t outputExtent,
                                   int64_t stride, int64_t dilation, int64_t padBegin,
                                   int64_t kernel, int64_t lower, int64_t upper);

/// arith fast-math flags that let LLVM fuse a multiply and an add into one
/// fused multiply-add where the target has one.
arith::FastMathFlagsAttr contractFlags(OpBuilder &b);

// Pattern registration, one function per file.
void populateDataMovementLowering(RewritePatternSet &patterns, const TypeConverter &converter);
void populateElementwiseLowering(RewritePatternSet &patterns, const TypeConverter &converter);
/// `forSize`: smaller, slower loop nests (see tinyc-lower-to-loops).
void populateBinaryLowering(RewritePatternSet &patterns, const TypeConverter &converter,
                            bool forSize);
void populateConvLowering(RewritePatternSet &patterns, const TypeConverter &converter,
                          bool forSize);
void populatePoolLowering(RewritePatternSet &patterns, const TypeConverter &converter,
                          bool forSize);
void populateMatMulLowering(RewritePatternSet &patterns, const TypeConverter &converter);
/// `dsp`: the core has the Arm DSP extension (SMLAD, SXTB16); `fixedPoint`:
/// convolutions requantize in integers (cores without an FPU).
void populateQuantizedLowering(RewritePatternSet &patterns, const TypeConverter &converter,
                               bool forSize, bool dsp, bool fixedPoint);
void populateReduceLowering(RewritePatternSet &patterns, const TypeConverter &converter);
void populateSparseLowering(RewritePatternSet &patterns, const TypeConverter &converter);
void populateSoftmaxLowering(RewritePatternSet &patterns, const TypeConverter &converter);

} // namespace mlir::tinyc::lowering

#endif // TINYC_LIB_CONVERSION_TINYCTOLOOPS_LOWERING_H
