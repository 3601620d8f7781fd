//===- Reduce.cpp - reductions over axes ----------------------------------===//

#include "Lowering.h"

#include <limits>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

/// The identity of the reduction in the element type.
Value reductionInit(OpBuilder &b, Location loc, ReduceKind kind, Type elem) {
  bool isFloat = isa<FloatType>(elem);
  unsigned width = elem.getIntOrFloatBitWidth();
  auto intValue = [&](const llvm::APInt &v) {
    return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(storageType(elem), v)).getResult();
  };
  bool isUnsigned = elem.isUnsignedInteger();
  switch (kind) {
  case ReduceKind::sum:
  case ReduceKind::mean:
    return isFloat ? floatConstant(b, loc, elem, 0.0) : intConstant(b, loc, elem, 0);
  case ReduceKind::prod:
    return isFloat ? floatConstant(b, loc, elem, 1.0) : intConstant(b, loc, elem, 1);
  case ReduceKind::max:
    if (isFloat)
      return floatConstant(b, loc, elem, -std::numeric_limits<double>::infinity());
    return intValue(isUnsigned ? llvm::APInt::getMinValue(width)
                               : llvm::APInt::getSignedMinValue(width));
  case ReduceKind::min:
    if (isFloat)
      return floatConstant(b, loc, elem, std::numeric_limits<double>::infinity());
    return intValue(isUnsigned ? llvm::APInt::getMaxValue(width)
                               : llvm::APInt::getSignedMaxValue(width));
  }
  llvm_unreachable("unknown reduction");
}

Value reductionStep(OpBuilder &b, Location loc, ReduceKind kind, Type elem, Value acc, Value x) {
  bool isFloat = isa<FloatType>(elem);
  switch (kind) {
  case ReduceKind::sum:
  case ReduceKind::mean:
    return isFloat ? b.create<arith::AddFOp>(loc, acc, x).getResult()
                   : b.create<arith::AddIOp>(loc, acc, x).getResult();
  case ReduceKind::prod:
    return isFloat ? b.create<arith::MulFOp>(loc, acc, x).getResult()
                   : b.create<arith::MulIOp>(loc, acc, x).getResult();
  case ReduceKind::max:
  case ReduceKind::min: {
    bool max = kind == ReduceKind::max;
    Value better;
    if (isFloat) {
      // A NaN wins and stays, as in NumPy.
      better = b.create<arith::OrIOp>(
          loc,
          b.create<arith::CmpFOp>(loc, max ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT,
                                  x, acc),
          b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x));
    } else {
      bool isUnsigned = elem.isUnsignedInteger();
      auto pred = max ? (isUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt)
                      : (isUnsigned ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt);
      better = b.create<arith::CmpIOp>(loc, pred, x, acc);
    }
    return b.create<arith::SelectOp>(loc, better, x, acc);
  }
  }
  llvm_unreachable("unknown reduction");
}

struct ReduceLowering : OpConversionPattern<ReduceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(ReduceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    auto inShape = op.getInput().getType().getShape();
    llvm::ArrayRef<int64_t> axes = op.getAxes();
    Type elem = op.getType().getElementType();
    ReduceKind kind = op.getKind();
    bool keepdims = op.getKeepdims();
    int64_t count = 1;
    for (int64_t a : axes)
      count *= inShape[a];

    buildLoops(rewriter, op.getLoc(), op.getType().getShape(),
               [&](OpBuilder &b, Location loc, ValueRange ivs) {
                 llvm::SmallVector<Value> lower, upper;
                 for (int64_t a : axes) {
                   lower.push_back(indexConstant(b, loc, 0));
                   upper.push_back(indexConstant(b, loc, inShape[a]));
                 }
                 Value result = buildReduction(
                     b, loc, lower, upper, reductionInit(b, loc, kind, elem),
                     [&](OpBuilder &rb, Location l, ValueRange r,
                         ValueRange acc) -> llvm::SmallVector<Value> {
                       llvm::SmallVector<Value> index;
                       unsigned next = 0, reduced = 0;
                       for (int64_t d = 0; d < static_cast<int64_t>(inShape.size()); ++d) {
                         if (llvm::is_contained(axes, d)) {
                           index.push_back(r[reduced++]);
                           if (keepdims)
                             ++next;
                         } else {
                           index.push_back(ivs[next++]);
                         }
                       }
                       Value x = rb.create<memref::LoadOp>(l, adaptor.getInput(), index);
                       return {reductionStep(rb, l, kind, elem, acc[0], x)};
                     })[0];
                 if (kind == ReduceKind::mean)
                   result = b.create<arith::DivFOp>(loc, result,
                                                    floatConstant(b, loc, elem, count));
                 b.create<memref::StoreOp>(loc, result, *out, ivs);
               });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

/// ArgMax and ArgMin: one pass along the axis carrying the best value and
/// its index. A candidate replaces the best when it is strictly better (the
/// first of equal ones stays) or, with select_last_index, better or equal;
/// a NaN is better than any number and, with select_last_index, than an
/// earlier NaN, as NumPy's argmax takes its first NaN (of the flipped array).
struct ArgReduceLowering : OpConversionPattern<ArgReduceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(ArgReduceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    auto inShape = op.getInput().getType().getShape();
    Type elem = op.getInput().getType().getElementType();
    int64_t axis = op.getAxis();
    bool keepdims = op.getKeepdims(), last = op.getSelectLastIndex();
    bool max = op.getKind() == ReduceKind::max;
    bool isFloat = isa<FloatType>(elem), isUnsigned = elem.isUnsignedInteger();
    buildLoops(
        rewriter, op.getLoc(), op.getType().getShape(),
        [&](OpBuilder &b, Location loc, ValueRange ivs) {
          Value init = reductionInit(b, loc, max ? ReduceKind::max : ReduceKind::min, elem);
          Value firstIndex = b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(0));
          llvm::SmallVector<Value> result = buildReduction(
              b, loc, {indexConstant(b, loc, 0)}, {indexConstant(b, loc, inShape[axis])},
              ValueRange{init, firstIndex},
              [&](OpBuilder &rb, Location l, ValueRange r,
                  ValueRange acc) -> llvm::SmallVector<Value> {
                llvm::SmallVector<Value> index;
                unsigned next = 0;
                for (int64_t d = 0; d < static_cast<int64_t>(inShape.size()); ++d) {
                  if (d == axis) {
                    index.push_back(r[0]);
                    if (keepdims)
                      ++next;
                  } else {
                    index.push_back(ivs[next++]);
                  }
                }
                Value x = rb.create<memref::LoadOp>(l, adaptor.getInput(), index);
                Value better;
                if (isFloat) {
                  auto pred = max ? (last ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OGT)
                                  : (last ? arith::CmpFPredicate::OLE : arith::CmpFPredicate::OLT);
                  Value xNaN = rb.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, x, x);
                  Value accNaN =
                      rb.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, acc[0], acc[0]);
                  Value nanWins =
                      last ? xNaN
                           : rb.create<arith::AndIOp>(
                                   l, xNaN,
                                   rb.create<arith::XOrIOp>(
                                       l, accNaN,
                                       rb.create<arith::ConstantOp>(l, rb.getBoolAttr(true))))
                                 .getResult();
                  better = rb.create<arith::OrIOp>(
                      l, rb.create<arith::CmpFOp>(l, pred, x, acc[0]), nanWins);
                } else {
                  auto pred = max ? (isUnsigned ? (last ? arith::CmpIPredicate::uge
                                                        : arith::CmpIPredicate::ugt)
                                                : (last ? arith::CmpIPredicate::sge
                                                        : arith::CmpIPredicate::sgt))
                                  : (isUnsigned ? (last ? arith::CmpIPredicate::ule
                                                        : arith::CmpIPredicate::ult)
                                                : (last ? arith::CmpIPredicate::sle
                                                        : arith::CmpIPredicate::slt));
                  better = rb.create<arith::CmpIOp>(l, pred, x, acc[0]);
                }
                Value position = rb.create<arith::IndexCastOp>(l, rb.getI64Type(), r[0]);
                return {rb.create<arith::SelectOp>(l, better, x, acc[0]).getResult(),
                        rb.create<arith::SelectOp>(l, better, position, acc[1]).getResult()};
              });
          b.create<memref::StoreOp>(loc, result[1], *out, ivs);
        });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

/// CumSum: each output element is its own sum over the range of the axis it
/// covers, added in NumPy's order, so that the result does not depend on a
/// running value (and every element's rounding is that of the reference).
struct CumSumLowering : OpConversionPattern<CumSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(CumSumOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    Type elem = op.getType().getElementType();
    int64_t axis = op.getAxis(), extent = op.getType().getShape()[axis];
    bool exclusive = op.getExclusive(), reverse = op.getReverse();
    bool isFloat = isa<FloatType>(elem);
    buildLoops(
        rewriter, op.getLoc(), op.getType().getShape(),
        [&](OpBuilder &b, Location loc, ValueRange ivs) {
          // The count of terms: i + 1 (forward) or n - i (reverse), one less
          // when exclusive; term k reads position k (forward) or n - 1 - k.
          Value i = ivs[axis];
          Value n = indexConstant(b, loc, extent);
          Value count = reverse ? b.create<arith::SubIOp>(loc, n, i).getResult()
                                : b.create<arith::AddIOp>(loc, i, indexConstant(b, loc, 1))
                                      .getResult();
          if (exclusive)
            count = b.create<arith::SubIOp>(loc, count, indexConstant(b, loc, 1));
          // -0 is the float identity of addition (+0 would turn a sum of -0 into +0).
          Value init = isFloat ? floatConstant(b, loc, elem, -0.0) : intConstant(b, loc, elem, 0);
          Value sum = buildReduction(
              b, loc, {indexConstant(b, loc, 0)}, {count}, ValueRange{init},
              [&](OpBuilder &rb, Location l, ValueRange r,
                  ValueRange acc) -> llvm::SmallVector<Value> {
                llvm::SmallVector<Value> index(ivs.begin(), ivs.end());
                index[axis] = reverse ? rb.create<arith::SubIOp>(
                                            l, indexConstant(rb, l, extent - 1), r[0])
                                            .getResult()
                                      : r[0];
                Value x = rb.create<memref::LoadOp>(l, adaptor.getInput(), index);
                return {isFloat ? rb.create<arith::AddFOp>(l, acc[0], x).getResult()
                                : rb.create<arith::AddIOp>(l, acc[0], x).getResult()};
              })[0];
          if (isFloat) // an empty sum is +0, as NumPy's zeros
            sum = b.create<arith::SelectOp>(
                loc,
                b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, count,
                                        indexConstant(b, loc, 0)),
                floatConstant(b, loc, elem, 0.0), sum);
          b.create<memref::StoreOp>(loc, sum, *out, ivs);
        });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

} // namespace

void lowering::populateReduceLowering(RewritePatternSet &patterns,
                                      const TypeConverter &converter) {
  patterns.add<ReduceLowering, ArgReduceLowering, CumSumLowering>(converter,
                                                                  patterns.getContext());
}
