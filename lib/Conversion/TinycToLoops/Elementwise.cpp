//===- Elementwise.cpp - arithmetic, activations, casts, Q/DQ, BatchNorm --===//

#include "Lowering.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

#include "tinyc/Transforms/Passes.h"

#include <functional>
#include <limits>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

RankedTensorType tensorTypeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Loops over the result's elements, loading each (broadcast) operand, and
/// stores what `compute` makes of the loaded scalars.
LogicalResult lowerElementwise(
    Operation *op, ValueRange tensors, ValueRange buffers, ConversionPatternRewriter &rewriter,
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange scalars, ValueRange ivs)> compute) {
  FailureOr<Value> out = allocateResult(op, rewriter);
  if (failed(out))
    return failure();
  auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
  buildLoops(rewriter, op->getLoc(), resultType.getShape(),
             [&](OpBuilder &b, Location loc, ValueRange ivs) {
               llvm::SmallVector<Value> scalars;
               for (auto [tensor, buffer] : llvm::zip(tensors, buffers)) {
                 RankedTensorType type = tensorTypeOf(tensor);
                 scalars.push_back(loadElement(b, loc, buffer,
                                               broadcastIndices(b, loc, type.getShape(), ivs),
                                               type.getElementType()));
               }
               storeElement(b, loc, compute(b, loc, scalars, ivs), *out, ivs,
                            resultType.getElementType());
             });
  if (op->hasAttr(kDebugOverrunAttr) && resultType.getRank() > 0 &&
      isa<FloatType>(resultType.getElementType())) {
    // The bug tinyc --debug-overrun plants, for testing -sanitize=address: a
    // store one element past the last, at (d0 - 1, ..., dn-2 - 1, dn-1), i.e.
    // row-major index N.
    llvm::SmallVector<Value> past;
    for (auto [i, d] : llvm::enumerate(resultType.getShape()))
      past.push_back(indexConstant(rewriter, op->getLoc(),
                                   i + 1 == static_cast<size_t>(resultType.getRank()) ? d : d - 1));
    storeElement(rewriter, op->getLoc(),
                 floatConstant(rewriter, op->getLoc(), resultType.getElementType(), 0.0), *out,
                 past, resultType.getElementType());
  }
  rewriter.replaceOp(op, *out);
  return success();
}

enum class BinaryKind { add, sub, mul, div, max, min, mod, fmod, pow, shl, shr };

/// x % y of integers: truncated (fmod) or floored (mod, the divisor's sign).
/// A zero divisor gives 0, and so does -1 (MIN % -1 would trap): dividing by 1
/// instead keeps the hardware remainder defined.
Value integerRemainder(OpBuilder &b, Location loc, BinaryKind kind, Value x, Value y, Type elem) {
  Type type = x.getType();
  unsigned width = type.getIntOrFloatBitWidth();
  auto constant = [&](const llvm::APInt &v) {
    return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, v)).getResult();
  };
  Value zero = constant(llvm::APInt(width, 0)), one = constant(llvm::APInt(width, 1));
  Value byZero = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, y, zero);
  if (elem.isUnsignedInteger())
    return b.create<arith::RemUIOp>(loc, x, b.create<arith::SelectOp>(loc, byZero, one, y));
  Value byMinusOne =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, y, constant(llvm::APInt::getAllOnes(width)));
  Value divisor =
      b.create<arith::SelectOp>(loc, b.create<arith::OrIOp>(loc, byZero, byMinusOne), one, y);
  Value rem = b.create<arith::RemSIOp>(loc, x, divisor);
  if (kind == BinaryKind::fmod)
    return rem;
  // Floored: a nonzero remainder whose sign differs from the divisor's moves by y.
  Value nonzero = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, rem, zero);
  Value signsDiffer = b.create<arith::CmpIOp>(
      loc, arith::CmpIPredicate::slt, b.create<arith::XOrIOp>(loc, rem, y), zero);
  return b.create<arith::SelectOp>(loc, b.create<arith::AndIOp>(loc, nonzero, signsDiffer),
                                   b.create<arith::AddIOp>(loc, rem, y), rem);
}

/// x^y of signed integers (PowOp): exact with wraparound by repeated squaring over the
/// exponent's bits below the sign bit; a negative y gives the truncated 1 / x^-y: 1 for
/// x = 1, +-1 for x = -1 (by y's parity), 0 otherwise.
Value integerPower(OpBuilder &b, Location loc, Value x, Value y, Type elem) {
  unsigned width = elem.getIntOrFloatBitWidth();
  Value zero = intConstant(b, loc, elem, 0), one = intConstant(b, loc, elem, 1);
  Value minusOne = intConstant(b, loc, elem, -1);
  Value lower = indexConstant(b, loc, 0), upper = indexConstant(b, loc, width - 1);
  Value step = indexConstant(b, loc, 1);
  auto loop = b.create<scf::ForOp>(
      loc, lower, upper, step, ValueRange{one, x},
      [&](OpBuilder &lb, Location l, Value i, ValueRange acc) {
        Value shift = lb.create<arith::IndexCastOp>(l, elem, i);
        Value bit = lb.create<arith::AndIOp>(l, lb.create<arith::ShRSIOp>(l, y, shift), one);
        Value isSet = lb.create<arith::CmpIOp>(l, arith::CmpIPredicate::ne, bit, zero);
        Value product = lb.create<arith::MulIOp>(l, acc[0], acc[1]);
        Value result = lb.create<arith::SelectOp>(l, isSet, product, acc[0]);
        Value square = lb.create<arith::MulIOp>(l, acc[1], acc[1]);
        lb.create<scf::YieldOp>(l, ValueRange{result, square});
      });
  Value power = loop.getResult(0);
  // y < 0: x = 1 gives 1, x = -1 gives -1 for odd y and 1 for even y, anything else 0.
  Value odd = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne,
                                      b.create<arith::AndIOp>(loc, y, one), zero);
  Value minusOnePower = b.create<arith::SelectOp>(loc, odd, minusOne, one);
  Value isOne = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x, one);
  Value isMinusOne = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x, minusOne);
  Value reciprocal = b.create<arith::SelectOp>(
      loc, isOne, one, b.create<arith::SelectOp>(loc, isMinusOne, minusOnePower, zero));
  Value negative = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, y, zero);
  return b.create<arith::SelectOp>(loc, negative, reciprocal, power);
}

Value computeBinary(OpBuilder &b, Location loc, BinaryKind kind, Value x, Value y, Type elem) {
  if (isa<FloatType>(elem)) {
    switch (kind) {
    case BinaryKind::add: return b.create<arith::AddFOp>(loc, x, y);
    case BinaryKind::sub: return b.create<arith::SubFOp>(loc, x, y);
    case BinaryKind::mul: return b.create<arith::MulFOp>(loc, x, y);
    case BinaryKind::div: return b.create<arith::DivFOp>(loc, x, y);
    case BinaryKind::max:
    case BinaryKind::min: {
      // NaN if either is: x + y is NaN exactly then.
      Value pick = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT,
                                           kind == BinaryKind::max ? x : y,
                                           kind == BinaryKind::max ? y : x);
      Value chosen = b.create<arith::SelectOp>(loc, pick, y, x);
      Value anyNaN = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, y);
      return b.create<arith::SelectOp>(loc, anyNaN, b.create<arith::AddFOp>(loc, x, y), chosen);
    }
    case BinaryKind::fmod:
      // Exact long division in the runtime (arith.remf would become a call to libm's fmodf).
      return b.create<func::CallOp>(loc, elem.isF32() ? kFmodF : kFmod, TypeRange{x.getType()},
                                    ValueRange{x, y})
          .getResult(0);
    case BinaryKind::pow:
      // float32 only (verifier): the runtime's, which the constant folder calls too.
      return b.create<func::CallOp>(loc, kPowF, TypeRange{x.getType()}, ValueRange{x, y})
          .getResult(0);
    case BinaryKind::mod:
    case BinaryKind::shl:
    case BinaryKind::shr:
      break; // integers only (verifier)
    }
  }
  if (kind == BinaryKind::pow)
    return integerPower(b, loc, x, y, elem);
  // Integers wrap (no nsw/nuw flags, so overflow is defined).
  switch (kind) {
  case BinaryKind::add: return b.create<arith::AddIOp>(loc, x, y);
  case BinaryKind::sub: return b.create<arith::SubIOp>(loc, x, y);
  case BinaryKind::mul: return b.create<arith::MulIOp>(loc, x, y);
  case BinaryKind::max:
    return elem.isUnsignedInteger() ? b.create<arith::MaxUIOp>(loc, x, y).getResult()
                                    : b.create<arith::MaxSIOp>(loc, x, y).getResult();
  case BinaryKind::min:
    return elem.isUnsignedInteger() ? b.create<arith::MinUIOp>(loc, x, y).getResult()
                                    : b.create<arith::MinSIOp>(loc, x, y).getResult();
  case BinaryKind::shl:
  case BinaryKind::shr: {
    // A shift by the width or more is poison in LLVM: shift by 0 and select 0.
    Value width = intConstant(b, loc, elem, elem.getIntOrFloatBitWidth());
    Value zero = intConstant(b, loc, elem, 0);
    Value tooFar = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::uge, y, width);
    Value amount = b.create<arith::SelectOp>(loc, tooFar, zero, y);
    Value shifted = kind == BinaryKind::shl
                        ? b.create<arith::ShLIOp>(loc, x, amount).getResult()
                        : b.create<arith::ShRUIOp>(loc, x, amount).getResult();
    return b.create<arith::SelectOp>(loc, tooFar, zero, shifted);
  }
  case BinaryKind::div:
  case BinaryKind::mod:
  case BinaryKind::fmod:
  case BinaryKind::pow:
    break;
  }
  // Division by zero gives 0 and MIN / -1 wraps to MIN: dividing by 1 in
  // either case keeps the hardware division defined.
  Type type = x.getType();
  unsigned width = type.getIntOrFloatBitWidth();
  auto constant = [&](const llvm::APInt &v) {
    return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(type, v)).getResult();
  };
  Value zero = constant(llvm::APInt(width, 0)), one = constant(llvm::APInt(width, 1));
  Value byZero = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, y, zero);
  Value quotient;
  if (elem.isUnsignedInteger()) {
    Value divisor = b.create<arith::SelectOp>(loc, byZero, one, y);
    quotient = b.create<arith::DivUIOp>(loc, x, divisor);
  } else {
    Value overflow = b.create<arith::AndIOp>(
        loc,
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x,
                                constant(llvm::APInt::getSignedMinValue(width))),
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, y,
                                constant(llvm::APInt::getAllOnes(width))));
    Value divisor =
        b.create<arith::SelectOp>(loc, b.create<arith::OrIOp>(loc, byZero, overflow), one, y);
    quotient = b.create<arith::DivSIOp>(loc, x, divisor);
  }
  if (kind == BinaryKind::div)
    return b.create<arith::SelectOp>(loc, byZero, zero, quotient);
  return integerRemainder(b, loc, kind, x, y, elem);
}

/// Loads a quantization parameter: once for a 0-d one, per element of the
/// quantized axis otherwise.
Value loadQuantParam(OpBuilder &b, Location loc, Value buffer, Value tensor, int64_t axis,
                     ValueRange ivs) {
  RankedTensorType type = tensorTypeOf(tensor);
  if (type.getRank() == 0)
    return loadElement(b, loc, buffer, {}, type.getElementType());
  return loadElement(b, loc, buffer, ivs[axis], type.getElementType());
}

/// The range of an integer element type.
std::pair<double, double> intRange(Type elem) {
  unsigned width = elem.getIntOrFloatBitWidth();
  if (elem.isUnsignedInteger())
    return {0.0, std::ldexp(1.0, width) - 1};
  return {-std::ldexp(1.0, width - 1), std::ldexp(1.0, width - 1) - 1};
}

/// What an elementwise operation computes from the scalars of its element
/// operands (in getElementOperands' order) at result index `ivs`.
using ScalarKernel = std::function<Value(OpBuilder &, Location, ValueRange scalars, ValueRange ivs)>;

/// The scalar kernel of an ElementwiseOpInterface operation, the one
/// definition both its own loop and a fused loop use. Parameters are read
/// from the buffers `bufferOf` gives; those read once are loaded at
/// `hoist`'s insertion point, before the loop.
FailureOr<ScalarKernel> getScalarKernel(Operation *op, llvm::function_ref<Value(Value)> bufferOf,
                                        OpBuilder &hoist) {
  auto binary = [&](auto typed, BinaryKind kind) -> ScalarKernel {
    Type elem = typed.getType().getElementType();
    ActivationAttr act = typed.getActAttr();
    FakeQuantAttr quant = typed.getQuantAttr();
    return [=](OpBuilder &b, Location loc, ValueRange s, ValueRange) {
      return applyEpilogue(b, loc, computeBinary(b, loc, kind, s[0], s[1], elem), act, quant);
    };
  };
  return llvm::TypeSwitch<Operation *, FailureOr<ScalarKernel>>(op)
      .Case([&](AddOp o) { return binary(o, BinaryKind::add); })
      .Case([&](SubOp o) { return binary(o, BinaryKind::sub); })
      .Case([&](MulOp o) { return binary(o, BinaryKind::mul); })
      .Case([&](DivOp o) { return binary(o, BinaryKind::div); })
      .Case([&](MaxOp o) { return binary(o, BinaryKind::max); })
      .Case([&](MinOp o) { return binary(o, BinaryKind::min); })
      .Case([&](ModOp o) { return binary(o, BinaryKind::mod); })
      .Case([&](FmodOp o) { return binary(o, BinaryKind::fmod); })
      .Case([&](PowOp o) { return binary(o, BinaryKind::pow); })
      .Case([&](ShiftLeftOp o) { return binary(o, BinaryKind::shl); })
      .Case([&](ShiftRightOp o) { return binary(o, BinaryKind::shr); })
      .Case([&](CompareOp o) -> ScalarKernel {
        Type elem = o.getLhs().getType().getElementType();
        bool isUnsigned = elem.isUnsignedInteger() || elem.isInteger(1);
        CompareKind kind = o.getKind();
        return [=](OpBuilder &b, Location loc, ValueRange s, ValueRange) -> Value {
          if (isa<FloatType>(elem)) {
            // Ordered predicates: false whenever a NaN is involved.
            arith::CmpFPredicate p[] = {arith::CmpFPredicate::OEQ, arith::CmpFPredicate::OLT,
                                        arith::CmpFPredicate::OLE, arith::CmpFPredicate::OGT,
                                        arith::CmpFPredicate::OGE};
            return b.create<arith::CmpFOp>(loc, p[static_cast<int>(kind)], s[0], s[1]);
          }
          using P = arith::CmpIPredicate;
          P p[] = {P::eq, isUnsigned ? P::ult : P::slt, isUnsigned ? P::ule : P::sle,
                   isUnsigned ? P::ugt : P::sgt, isUnsigned ? P::uge : P::sge};
          return b.create<arith::CmpIOp>(loc, p[static_cast<int>(kind)], s[0], s[1]);
        };
      })
      .Case([&](LogicOp o) -> ScalarKernel {
        LogicKind kind = o.getKind();
        return [=](OpBuilder &b, Location loc, ValueRange s, ValueRange) -> Value {
          switch (kind) {
          case LogicKind::and_: return b.create<arith::AndIOp>(loc, s[0], s[1]);
          case LogicKind::or_: return b.create<arith::OrIOp>(loc, s[0], s[1]);
          case LogicKind::xor_: return b.create<arith::XOrIOp>(loc, s[0], s[1]);
          }
          llvm_unreachable("unknown logic operation");
        };
      })
      .Case([&](NotOp) -> ScalarKernel {
        return [](OpBuilder &b, Location loc, ValueRange s, ValueRange) -> Value {
          Value one = b.create<arith::ConstantOp>(loc, b.getBoolAttr(true));
          return b.create<arith::XOrIOp>(loc, s[0], one);
        };
      })
      .Case([&](ClassifyOp o) -> ScalarKernel {
        Type elem = o.getInput().getType().getElementType();
        FloatClass kind = o.getKind();
        return [=](OpBuilder &b, Location loc, ValueRange s, ValueRange) -> Value {
          Value x = s[0];
          if (kind == FloatClass::nan)
            return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x);
          double inf = std::numeric_limits<double>::infinity();
          auto equals = [&](double v) {
            return b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OEQ, x,
                                           floatConstant(b, loc, elem, v));
          };
          if (kind == FloatClass::pos_inf)
            return equals(inf);
          if (kind == FloatClass::neg_inf)
            return equals(-inf);
          return b.create<arith::OrIOp>(loc, equals(inf), equals(-inf));
        };
      })
      .Case([&](SelectOp) -> ScalarKernel {
        return [](OpBuilder &b, Location loc, ValueRange s, ValueRange) -> Value {
          return b.create<arith::SelectOp>(loc, s[0], s[1], s[2]);
        };
      })
      .Case([&](ActivationOp o) -> ScalarKernel {
        ActivationAttr act = o.getAct();
        return [=](OpBuilder &b, Location loc, ValueRange s, ValueRange) {
          return applyActivation(b, loc, s[0], act);
        };
      })
      // -1, 0 or 1. NaN fails both tests and stays NaN, as NumPy's sign does.
      .Case([&](SignOp o) -> ScalarKernel {
        Type elem = o.getType().getElementType();
        return [=](OpBuilder &b, Location loc, ValueRange s, ValueRange) -> Value {
          Value x = s[0];
          Value zero = floatConstant(b, loc, elem, 0.0);
          Value isNegative = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OLT, x, zero);
          Value negative =
              b.create<arith::SelectOp>(loc, isNegative, floatConstant(b, loc, elem, -1.0), x);
          Value isPositive = b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, zero);
          return b.create<arith::SelectOp>(loc, isPositive, floatConstant(b, loc, elem, 1.0),
                                           negative);
        };
      })
      .Case([&](FakeQuantOp o) -> ScalarKernel {
        FakeQuantAttr quant = o.getQuant();
        return [=](OpBuilder &b, Location loc, ValueRange s, ValueRange) {
          return applyFakeQuant(b, loc, s[0], quant);
        };
      })
      // x * scale[c] + shift[c], then the fused activation.
      .Case([&](ScaleShiftOp o) -> ScalarKernel {
        Value scaleBuffer = bufferOf(o.getScale()), shiftBuffer = bufferOf(o.getShift());
        ActivationAttr act = o.getActAttr();
        return [=](OpBuilder &b, Location loc, ValueRange s, ValueRange ivs) {
          auto fm = contractFlags(b);
          Value scale = b.create<memref::LoadOp>(loc, scaleBuffer, ivs[1]);
          Value shift = b.create<memref::LoadOp>(loc, shiftBuffer, ivs[1]);
          Value y = b.create<arith::AddFOp>(loc, b.create<arith::MulFOp>(loc, s[0], scale, fm),
                                            shift, fm);
          return applyActivation(b, loc, y, act);
        };
      })
      .Case([&](ClipOp o) -> ScalarKernel {
        Type elem = o.getType().getElementType();
        Location loc = o.getLoc();
        Value lo = loadElement(hoist, loc, bufferOf(o.getMin()), {}, elem);
        Value hi = loadElement(hoist, loc, bufferOf(o.getMax()), {}, elem);
        return [=](OpBuilder &b, Location l, ValueRange s, ValueRange) -> Value {
          // min(max(x, lo), hi), as ONNX defines Clip: when lo > hi every
          // element becomes hi. Comparisons with NaN are false, so NaN
          // passes through.
          Value x = s[0];
          auto less = [&](Value p, Value q) -> Value {
            if (isa<FloatType>(elem))
              return b.create<arith::CmpFOp>(l, arith::CmpFPredicate::OLT, p, q);
            return b.create<arith::CmpIOp>(
                l, elem.isUnsignedInteger() ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt,
                p, q);
          };
          Value low = b.create<arith::SelectOp>(l, less(x, lo), lo, x);
          return b.create<arith::SelectOp>(l, less(hi, low), hi, low);
        };
      })
      .Case([&](CastOp o) -> ScalarKernel {
        Type from = o.getInput().getType().getElementType(), to = o.getType().getElementType();
        return [=](OpBuilder &b, Location loc, ValueRange s, ValueRange) {
          return convertScalar(b, loc, s[0], from, to);
        };
      })
      .Case([&](QuantizeOp o) -> FailureOr<ScalarKernel> {
        Type q = o.getType().getElementType();
        if (q.getIntOrFloatBitWidth() > 16)
          return o.emitError() << "quantizing to " << q << " is not supported";
        double lo = intRange(q).first, hi = intRange(q).second;
        Value scaleTensor = o.getScale(), zpTensor = o.getZeroPoint();
        Value scaleBuffer = bufferOf(scaleTensor), zpBuffer = bufferOf(zpTensor);
        int64_t axis = o.getAxis();
        return ScalarKernel([=](OpBuilder &b, Location loc, ValueRange s, ValueRange ivs) {
          Type f32 = b.getF32Type();
          Value scale = loadQuantParam(b, loc, scaleBuffer, scaleTensor, axis, ivs);
          Value zp = loadQuantParam(b, loc, zpBuffer, zpTensor, axis, ivs);
          if (!s[0].getType().isF32()) {
            Value v =
                quantizeScalar(b, loc, s[0], scale, convertScalar(b, loc, zp, q, f32), lo, hi);
            return convertScalar(b, loc, v, f32, q);
          }
          // ScalarSemantics.h's quantize in integers after the rounding: the
          // conversion saturates (NaN to 0, so to the zero point), the clamp
          // to [qmin - zp, qmax - zp] keeps the sum in range. Equal to the
          // float form, in a third of its instructions.
          Type i32 = b.getI32Type();
          Value r = callRuntime(b, loc, kRoundEvenF, b.create<arith::DivFOp>(loc, s[0], scale));
          Value i = b.create<LLVM::CallIntrinsicOp>(loc, i32,
                                                    b.getStringAttr("llvm.fptosi.sat.i32.f32"),
                                                    ValueRange{r})
                        .getResult(0);
          Value z = convertScalar(b, loc, zp, q,
                                  IntegerType::get(b.getContext(), 32,
                                                   q.isUnsignedInteger() ? IntegerType::Unsigned
                                                                         : IntegerType::Signless));
          auto c = [&](double v) {
            return b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(static_cast<int32_t>(v)));
          };
          i = b.create<arith::MaxSIOp>(loc, i, b.create<arith::SubIOp>(loc, c(lo), z));
          i = b.create<arith::MinSIOp>(loc, i, b.create<arith::SubIOp>(loc, c(hi), z));
          i = b.create<arith::AddIOp>(loc, i, z);
          return b.create<arith::TruncIOp>(loc, storageType(q), i).getResult();
        });
      })
      .Case([&](DequantizeOp o) -> ScalarKernel {
        Type q = o.getInput().getType().getElementType();
        Type f = o.getType().getElementType();
        Value scaleTensor = o.getScale(), zpTensor = o.getZeroPoint();
        Value scaleBuffer = bufferOf(scaleTensor), zpBuffer = bufferOf(zpTensor);
        int64_t axis = o.getAxis();
        return [=](OpBuilder &b, Location loc, ValueRange s, ValueRange ivs) {
          Value scale = loadQuantParam(b, loc, scaleBuffer, scaleTensor, axis, ivs);
          Value zp = loadQuantParam(b, loc, zpBuffer, zpTensor, axis, ivs);
          // (x - zero_point) in 32-bit integers, then to float, times the scale.
          Type wide = IntegerType::get(b.getContext(), 32,
                                       q.isUnsignedInteger() ? IntegerType::Unsigned
                                                             : IntegerType::Signless);
          Value x = convertScalar(b, loc, s[0], q, wide);
          Value z = convertScalar(b, loc, zp, q, wide);
          Value diff = b.create<arith::SubIOp>(loc, x, z);
          Value asFloat = convertScalar(b, loc, diff, b.getIntegerType(32), f);
          return b.create<arith::MulFOp>(loc, asFloat, scale);
        };
      })
      .Default([](Operation *o) -> FailureOr<ScalarKernel> {
        return o->emitError() << "no scalar kernel for this elementwise operation";
      });
}

/// An elementwise operation in a loop of its own.
template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    IRMapping buffers;
    buffers.map(op->getOperands(), adaptor.getOperands());
    FailureOr<ScalarKernel> kernel =
        getScalarKernel(op, [&](Value v) { return buffers.lookup(v); }, rewriter);
    if (failed(kernel))
      return failure();
    llvm::SmallVector<Value> elements =
        cast<ElementwiseOpInterface>(op.getOperation()).getElementOperands();
    llvm::SmallVector<Value> elementBuffers;
    for (Value v : elements)
      elementBuffers.push_back(buffers.lookup(v));
    return lowerElementwise(op, elements, elementBuffers, rewriter, *kernel);
  }
};

/// One loop over the result computes the body's operations in order, each
/// from the scalars of the ones before it, and stores only the last: the
/// element operands from outside are loaded (broadcast) once per element.
struct FusedElementwiseLowering : OpConversionPattern<FusedElementwiseOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(FusedElementwiseOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Block &body = op.getBody().front();
    auto bufferOf = [&](Value v) {
      return adaptor.getInputs()[cast<BlockArgument>(v).getArgNumber()];
    };
    llvm::SmallVector<std::pair<Operation *, ScalarKernel>> kernels;
    bool overrun = false;
    for (Operation &inner : body.without_terminator()) {
      FailureOr<ScalarKernel> kernel = getScalarKernel(&inner, bufferOf, rewriter);
      if (failed(kernel))
        return failure();
      kernels.push_back({&inner, *kernel});
      overrun |= inner.hasAttr(kDebugOverrunAttr);
    }
    Value yielded = cast<YieldOp>(body.getTerminator()).getValue();
    if (overrun)
      op->setAttr(kDebugOverrunAttr, rewriter.getUnitAttr());
    // lowerElementwise loads nothing itself: the body reads its operands.
    return lowerElementwise(
        op, {}, {}, rewriter, [&](OpBuilder &b, Location loc, ValueRange, ValueRange ivs) {
          llvm::DenseMap<Value, Value> scalars;
          auto scalarOf = [&](Value v) {
            Value &s = scalars[v];
            if (!s) {
              RankedTensorType type = tensorTypeOf(v);
              s = loadElement(b, loc, bufferOf(v), broadcastIndices(b, loc, type.getShape(), ivs),
                              type.getElementType());
            }
            return s;
          };
          for (auto &[inner, kernel] : kernels) {
            llvm::SmallVector<Value> operands;
            for (Value v : cast<ElementwiseOpInterface>(inner).getElementOperands())
              operands.push_back(scalarOf(v));
            scalars[inner->getResult(0)] = kernel(b, inner->getLoc(), operands, ivs);
          }
          return scalars.lookup(yielded);
        });
  }
};

/// Per channel: a = scale / sqrt(var + eps) and b = bias - mean * a, then
/// y = x * a + b over the channel's elements.
struct BatchNormLowering : OpConversionPattern<BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(BatchNormOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    llvm::ArrayRef<int64_t> shape = op.getType().getShape();
    Type elem = op.getType().getElementType();
    double epsilon = op.getEpsilon().convertToFloat();
    buildLoops(rewriter, op.getLoc(), shape.take_front(2),
               [&](OpBuilder &b, Location loc, ValueRange nc) {
                 Value c = nc[1];
                 Value scale = b.create<memref::LoadOp>(loc, adaptor.getScale(), c);
                 Value bias = b.create<memref::LoadOp>(loc, adaptor.getBias(), c);
                 Value mean = b.create<memref::LoadOp>(loc, adaptor.getMean(), c);
                 Value var = b.create<memref::LoadOp>(loc, adaptor.getVar(), c);
                 Value stddev = b.create<math::SqrtOp>(
                     loc, b.create<arith::AddFOp>(loc, var, floatConstant(b, loc, elem, epsilon)));
                 Value a = b.create<arith::DivFOp>(loc, scale, stddev);
                 Value shift =
                     b.create<arith::SubFOp>(loc, bias, b.create<arith::MulFOp>(loc, mean, a));
                 buildLoops(b, loc, shape.drop_front(2),
                            [&](OpBuilder &ib, Location l, ValueRange spatial) {
                              llvm::SmallVector<Value> at(nc);
                              at.append(spatial.begin(), spatial.end());
                              Value x = ib.create<memref::LoadOp>(l, adaptor.getInput(), at);
                              Value y = ib.create<arith::AddFOp>(
                                  l, ib.create<arith::MulFOp>(l, x, a), shift);
                              ib.create<memref::StoreOp>(l, y, *out, at);
                            });
               });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

} // namespace

void lowering::populateElementwiseLowering(RewritePatternSet &patterns,
                                           const TypeConverter &converter) {
  patterns.add<ElementwiseLowering<AddOp>, ElementwiseLowering<SubOp>, ElementwiseLowering<MulOp>,
               ElementwiseLowering<DivOp>, ElementwiseLowering<MaxOp>, ElementwiseLowering<MinOp>,
               ElementwiseLowering<ModOp>, ElementwiseLowering<FmodOp>, ElementwiseLowering<PowOp>,
               ElementwiseLowering<ShiftLeftOp>, ElementwiseLowering<ShiftRightOp>,
               ElementwiseLowering<CompareOp>, ElementwiseLowering<LogicOp>,
               ElementwiseLowering<NotOp>, ElementwiseLowering<ClassifyOp>,
               ElementwiseLowering<SelectOp>, ElementwiseLowering<ActivationOp>,
               ElementwiseLowering<SignOp>, ElementwiseLowering<FakeQuantOp>,
               ElementwiseLowering<ScaleShiftOp>, ElementwiseLowering<ClipOp>,
               ElementwiseLowering<CastOp>, ElementwiseLowering<QuantizeOp>,
               ElementwiseLowering<DequantizeOp>, FusedElementwiseLowering, BatchNormLowering>(
      converter, patterns.getContext());
}
