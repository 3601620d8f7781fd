//===- Lowering.cpp - shared pieces of the tinyc-to-loops lowering --------===//

#include "Lowering.h"

#include "tinyc/Dialect/ScalarSemantics.h"
#include "tinyc/Transforms/Passes.h"

#include "mlir/Dialect/SCF/Utils/Utils.h"

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

Type lowering::storageType(Type elementType) {
  if (auto intType = dyn_cast<IntegerType>(elementType))
    return IntegerType::get(elementType.getContext(), std::max(8u, intType.getWidth()));
  return elementType;
}

MemRefType lowering::bufferType(RankedTensorType type) {
  return MemRefType::get(type.getShape(), storageType(type.getElementType()));
}

MemRefType lowering::boundaryType(RankedTensorType type) {
  if (type.getNumElements() != 0)
    return bufferType(type);
  return MemRefType::get({0}, storageType(type.getElementType()));
}

BufferTypeConverter::BufferTypeConverter() {
  addConversion([](Type type) { return type; });
  addConversion([](RankedTensorType type) -> Type { return bufferType(type); });
}

FailureOr<Value> lowering::allocateResult(Operation *op, OpBuilder &builder) {
  auto func = op->getParentOfType<func::FuncOp>();
  auto type = bufferType(cast<RankedTensorType>(op->getResult(0).getType()));
  Location loc = op->getLoc();
  unsigned numArgs = func.getNumArguments();
  if (auto output = op->getAttrOfType<IntegerAttr>(kOutputAttr)) {
    // Arguments are inputs, outputs, arena; the outputs end before the arena.
    unsigned numOutputs = func->getAttrOfType<IntegerAttr>("tinyc.num_outputs").getInt();
    Value arg = func.getArgument(numArgs - 1 - numOutputs + output.getInt());
    if (arg.getType() == type)
      return arg;
    // The output is a reshape of this result: view the buffer in this shape.
    return reinterpretAs(builder, loc, arg, type);
  }
  auto offset = op->getAttrOfType<IntegerAttr>(kArenaOffsetAttr);
  if (!offset)
    return op->emitError() << "has no place in memory (tinyc-plan-memory must run first)";
  Value arena = func.getArgument(numArgs - 1);
  return builder
      .create<memref::ViewOp>(loc, type, arena, indexConstant(builder, loc, offset.getInt()),
                              ValueRange{})
      .getResult();
}

Value lowering::reinterpretAs(OpBuilder &b, Location loc, Value source, MemRefType type) {
  llvm::SmallVector<int64_t> strides(type.getRank(), 1);
  for (int64_t d = type.getRank() - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * type.getShape()[d + 1];
  return b.create<memref::ReinterpretCastOp>(loc, type, source, 0, type.getShape(), strides);
}

Value lowering::indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return b.create<arith::ConstantIndexOp>(loc, value);
}

Value lowering::floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  return b.create<arith::ConstantOp>(loc, b.getFloatAttr(type, value));
}

Value lowering::intConstant(OpBuilder &b, Location loc, Type elementType, int64_t value) {
  Type storage = storageType(elementType);
  if (elementType.isInteger(1))
    storage = elementType;
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(storage, value));
}

void lowering::buildLoops(OpBuilder &b, Location loc, llvm::ArrayRef<int64_t> extents,
                          llvm::function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  llvm::SmallVector<Value> lbs, ubs, steps;
  for (int64_t e : extents) {
    lbs.push_back(indexConstant(b, loc, 0));
    ubs.push_back(indexConstant(b, loc, e));
    steps.push_back(indexConstant(b, loc, 1));
  }
  scf::buildLoopNest(b, loc, lbs, ubs, steps, body);
}

llvm::SmallVector<Value> lowering::buildReduction(
    OpBuilder &b, Location loc, llvm::ArrayRef<Value> lower, llvm::ArrayRef<Value> upper,
    ValueRange inits,
    llvm::function_ref<llvm::SmallVector<Value>(OpBuilder &, Location, ValueRange, ValueRange)>
        body) {
  llvm::SmallVector<Value> steps(lower.size(), indexConstant(b, loc, 1));
  scf::LoopNest nest = scf::buildLoopNest(
      b, loc, lower, upper, steps, inits,
      [&](OpBuilder &nested, Location l, ValueRange ivs, ValueRange acc) -> scf::ValueVector {
        return body(nested, l, ivs, acc);
      });
  return llvm::SmallVector<Value>(nest.results.begin(), nest.results.end());
}

Value lowering::loadElement(OpBuilder &b, Location loc, Value buffer, ValueRange indices,
                            Type elementType) {
  Value v = b.create<memref::LoadOp>(loc, buffer, indices);
  if (elementType.isInteger(1))
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, v,
                                   b.create<arith::ConstantOp>(loc, b.getI8IntegerAttr(0)));
  return v;
}

void lowering::storeElement(OpBuilder &b, Location loc, Value value, Value buffer,
                            ValueRange indices, Type elementType) {
  if (elementType.isInteger(1))
    value = b.create<arith::ExtUIOp>(loc, b.getI8Type(), value);
  b.create<memref::StoreOp>(loc, value, buffer, indices);
}

Value lowering::callRuntime(OpBuilder &b, Location loc, llvm::StringRef name, Value x) {
  return b.create<func::CallOp>(loc, name, TypeRange{x.getType()}, ValueRange{x}).getResult(0);
}

/// select(x < y, x, y) and friends keep NaN where ONNX's NumPy reference does.
static Value selectLess(OpBuilder &b, Location loc, Value x, Value y, Value ifLess, Value ifNot) {
  Value less = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, y);
  return b.create<arith::SelectOp>(loc, less, ifLess, ifNot);
}

namespace {
/// The scalar semantics' domain (ScalarSemantics.h) that builds the
/// generated code's arith operations on floats of one type.
struct EmitArithmetic {
  using Value = mlir::Value;
  OpBuilder &b;
  Location loc;
  Type type;

  Value constant(double v) { return floatConstant(b, loc, type, v); }
  Value add(Value x, Value y) { return b.create<arith::AddFOp>(loc, x, y); }
  Value sub(Value x, Value y) { return b.create<arith::SubFOp>(loc, x, y); }
  Value mul(Value x, Value y) { return b.create<arith::MulFOp>(loc, x, y); }
  Value div(Value x, Value y) { return b.create<arith::DivFOp>(loc, x, y); }
  Value neg(Value x) { return b.create<arith::NegFOp>(loc, x); }
  Value abs(Value x) { return b.create<math::AbsFOp>(loc, x); }
  Value selectLess(Value x, Value y, Value ifLess, Value otherwise) {
    return ::selectLess(b, loc, x, y, ifLess, otherwise);
  }
  Value selectNaN(Value x, Value ifNaN, Value otherwise) {
    Value isNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
    return b.create<arith::SelectOp>(loc, isNaN, ifNaN, otherwise);
  }
  Value call(scalar::RuntimeFunction fn, Value x) {
    switch (fn) {
    case scalar::RuntimeFunction::exp:
      return callRuntime(b, loc, kExpF, x);
    case scalar::RuntimeFunction::sigmoid:
      return callRuntime(b, loc, kSigmoidF, x);
    case scalar::RuntimeFunction::tanh:
      return callRuntime(b, loc, kTanhF, x);
    case scalar::RuntimeFunction::roundEven:
      return callRuntime(b, loc, kRoundEvenF, x);
    case scalar::RuntimeFunction::sqrt:
      return callRuntime(b, loc, kSqrtF, x);
    case scalar::RuntimeFunction::log:
      return callRuntime(b, loc, kLogF, x);
    case scalar::RuntimeFunction::sin:
      return callRuntime(b, loc, kSinF, x);
    case scalar::RuntimeFunction::cos:
      return callRuntime(b, loc, kCosF, x);
    case scalar::RuntimeFunction::tan:
      return callRuntime(b, loc, kTanF, x);
    case scalar::RuntimeFunction::asin:
      return callRuntime(b, loc, kAsinF, x);
    case scalar::RuntimeFunction::acos:
      return callRuntime(b, loc, kAcosF, x);
    case scalar::RuntimeFunction::atan:
      return callRuntime(b, loc, kAtanF, x);
    case scalar::RuntimeFunction::sinh:
      return callRuntime(b, loc, kSinhF, x);
    case scalar::RuntimeFunction::cosh:
      return callRuntime(b, loc, kCoshF, x);
    case scalar::RuntimeFunction::asinh:
      return callRuntime(b, loc, kAsinhF, x);
    case scalar::RuntimeFunction::acosh:
      return callRuntime(b, loc, kAcoshF, x);
    case scalar::RuntimeFunction::atanh:
      return callRuntime(b, loc, kAtanhF, x);
    case scalar::RuntimeFunction::erf:
      return callRuntime(b, loc, kErfF, x);
    }
    llvm_unreachable("unknown runtime function");
  }
};
} // namespace

Value lowering::applyActivation(OpBuilder &b, Location loc, Value x, ActivationAttr act) {
  if (!act)
    return x;
  EmitArithmetic emit{b, loc, x.getType()};
  return scalar::activation(emit, x, act);
}

Value lowering::quantizeScalar(OpBuilder &b, Location loc, Value x, Value scale, Value zeroPoint,
                              int64_t qmin, int64_t qmax) {
  EmitArithmetic emit{b, loc, x.getType()};
  return scalar::quantize(emit, x, scale, zeroPoint, emit.constant(static_cast<double>(qmin)),
                          emit.constant(static_cast<double>(qmax)));
}

Value lowering::applyFakeQuant(OpBuilder &b, Location loc, Value x, FakeQuantAttr quant) {
  if (!quant)
    return x;
  EmitArithmetic emit{b, loc, x.getType()};
  return scalar::fakeQuant(emit, x, quant);
}

Value lowering::convertScalar(OpBuilder &b, Location loc, Value x, Type from, Type to) {
  if (from == to)
    return x;
  Type toStorage = to.isInteger(1) ? to : storageType(to);
  auto fromFloat = dyn_cast<FloatType>(from);
  auto toFloat = dyn_cast<FloatType>(to);
  if (fromFloat && toFloat)
    return fromFloat.getWidth() < toFloat.getWidth()
               ? b.create<arith::ExtFOp>(loc, to, x).getResult()
               : b.create<arith::TruncFOp>(loc, to, x).getResult();
  bool fromUnsigned = from.isUnsignedInteger() || from.isInteger(1);
  if (toFloat)
    return fromUnsigned ? b.create<arith::UIToFPOp>(loc, to, x).getResult()
                        : b.create<arith::SIToFPOp>(loc, to, x).getResult();
  unsigned toWidth = to.getIntOrFloatBitWidth();
  if (fromFloat) {
    if (to.isInteger(1))
      return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, x,
                                     floatConstant(b, loc, from, 0.0));
    // Saturate in the float domain first, so that the conversion is always
    // defined. The bounds are powers of two, exact in any float type; values
    // below the lower bound saturate to the minimum, which is also what
    // truncation would give for those within one of it.
    bool toUnsigned = to.isUnsignedInteger();
    double lo = toUnsigned ? 0.0 : -std::ldexp(1.0, toWidth - 1);
    double hiExclusive = toUnsigned ? std::ldexp(1.0, toWidth) : std::ldexp(1.0, toWidth - 1);
    Value loV = floatConstant(b, loc, from, lo), hiV = floatConstant(b, loc, from, hiExclusive);
    Value isNan = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
    Value tooLow = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, loV);
    Value tooHigh = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGE, x, hiV);
    Value inRange = b.create<arith::SelectOp>(
        loc, b.create<arith::OrIOp>(loc, b.create<arith::OrIOp>(loc, isNan, tooLow), tooHigh),
        floatConstant(b, loc, from, 0.0), x);
    Value converted = toUnsigned ? b.create<arith::FPToUIOp>(loc, toStorage, inRange).getResult()
                                 : b.create<arith::FPToSIOp>(loc, toStorage, inRange).getResult();
    unsigned storageWidth = toStorage.getIntOrFloatBitWidth();
    auto intBound = [&](bool high) {
      llvm::APInt v = toUnsigned ? (high ? llvm::APInt::getMaxValue(toWidth)
                                         : llvm::APInt::getMinValue(toWidth))
                                 : (high ? llvm::APInt::getSignedMaxValue(toWidth)
                                         : llvm::APInt::getSignedMinValue(toWidth));
      v = toUnsigned ? v.zext(storageWidth) : v.sext(storageWidth);
      return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(toStorage, v)).getResult();
    };
    Value result = b.create<arith::SelectOp>(loc, tooLow, intBound(false), converted);
    result = b.create<arith::SelectOp>(loc, tooHigh, intBound(true), result);
    return b.create<arith::SelectOp>(loc, isNan, intConstant(b, loc, to, 0), result);
  }
  // Integer to integer: wrap, extending by the source's signedness.
  if (to.isInteger(1))
    return b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, x,
                                   b.create<arith::ConstantOp>(loc, b.getIntegerAttr(x.getType(), 0)));
  unsigned fromWidth = x.getType().getIntOrFloatBitWidth();
  unsigned storageWidth = toStorage.getIntOrFloatBitWidth();
  if (fromWidth == storageWidth)
    return x;
  if (fromWidth > storageWidth)
    return b.create<arith::TruncIOp>(loc, toStorage, x);
  return fromUnsigned ? b.create<arith::ExtUIOp>(loc, toStorage, x).getResult()
                      : b.create<arith::ExtSIOp>(loc, toStorage, x).getResult();
}

llvm::SmallVector<Value> lowering::broadcastIndices(OpBuilder &b, Location loc,
                                                    llvm::ArrayRef<int64_t> shape, ValueRange ivs) {
  llvm::SmallVector<Value> indices;
  size_t offset = ivs.size() - shape.size();
  for (auto [d, extent] : llvm::enumerate(shape))
    indices.push_back(extent == 1 ? indexConstant(b, loc, 0) : ivs[d + offset]);
  return indices;
}

std::pair<Value, Value> lowering::windowTaps(OpBuilder &b, Location loc, Value o,
                                             int64_t outputExtent, int64_t stride,
                                             int64_t dilation, int64_t padBegin, int64_t kernel,
                                             int64_t lower, int64_t upper) {
  // First input position of the window: o * stride - padBegin.
  int64_t minStart = -padBegin, maxStart = (outputExtent - 1) * stride - padBegin;
  Value start;
  auto getStart = [&] {
    if (!start) {
      start = b.create<arith::MulIOp>(loc, o, indexConstant(b, loc, stride));
      if (padBegin)
        start = b.create<arith::SubIOp>(loc, start, indexConstant(b, loc, padBegin));
    }
    return start;
  };
  // ceil((limit - start) / dilation), the first tap at or after `limit`.
  auto tapsBefore = [&](int64_t limit) -> Value {
    Value distance = b.create<arith::SubIOp>(loc, indexConstant(b, loc, limit), getStart());
    if (dilation == 1)
      return distance;
    return b.create<arith::CeilDivSIOp>(loc, distance, indexConstant(b, loc, dilation));
  };
  Value lo = minStart >= lower
                 ? indexConstant(b, loc, 0)
                 : b.create<arith::MaxSIOp>(loc, indexConstant(b, loc, 0), tapsBefore(lower))
                       .getResult();
  Value hi = maxStart + (kernel - 1) * dilation < upper
                 ? indexConstant(b, loc, kernel)
                 : b.create<arith::MinSIOp>(loc, indexConstant(b, loc, kernel), tapsBefore(upper))
                       .getResult();
  return {lo, hi};
}

arith::FastMathFlagsAttr lowering::contractFlags(OpBuilder &b) {
  return arith::FastMathFlagsAttr::get(b.getContext(), arith::FastMathFlags::contract);
}
