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

} // namespace

void lowering::populateReduceLowering(RewritePatternSet &patterns,
                                      const TypeConverter &converter) {
  patterns.add<ReduceLowering>(converter, patterns.getContext());
}
