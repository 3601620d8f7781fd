//===- Pool.cpp - max and average pooling ---------------------------------===//

#include "Lowering.h"

#include <limits>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

struct PoolLowering : OpConversionPattern<PoolOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(PoolOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    auto inShape = op.getInput().getType().getShape();
    auto outShape = op.getType().getShape();
    Type elem = op.getType().getElementType();
    size_t spatial = inShape.size() - 2;
    llvm::ArrayRef<int64_t> kernel = op.getKernel(), strides = op.getStrides(),
                            dilations = op.getDilations(), pads = op.getPads();
    bool isMax = op.getKind() == PoolKind::max;
    bool countPad = op.getCountIncludePad();

    buildLoops(rewriter, op.getLoc(), outShape, [&](OpBuilder &b, Location loc, ValueRange ivs) {
      llvm::SmallVector<Value> lower, upper, starts;
      Value count; // Average pooling's divisor.
      for (size_t i = 0; i < spatial; ++i) {
        auto [lo, hi] = windowTaps(b, loc, ivs[2 + i], outShape[2 + i], strides[i], dilations[i],
                                   pads[i], kernel[i], 0, inShape[2 + i]);
        lower.push_back(lo);
        upper.push_back(hi);
        Value start = b.create<arith::MulIOp>(loc, ivs[2 + i], indexConstant(b, loc, strides[i]));
        if (pads[i])
          start = b.create<arith::SubIOp>(loc, start, indexConstant(b, loc, pads[i]));
        starts.push_back(start);
        if (isMax)
          continue;
        // ONNX divides by the taps inside the input, or with count_include_pad
        // by the taps inside the padded input (windows may reach past it in
        // ceil mode).
        auto [countLo, countHi] =
            countPad ? windowTaps(b, loc, ivs[2 + i], outShape[2 + i], strides[i], dilations[i],
                                  pads[i], kernel[i], -pads[i], inShape[2 + i] + pads[i + spatial])
                     : std::pair<Value, Value>{lo, hi};
        Value taps = b.create<arith::SubIOp>(loc, countHi, countLo);
        count = count ? b.create<arith::MulIOp>(loc, count, taps).getResult() : taps;
      }
      Value init;
      if (!isMax)
        init = floatConstant(b, loc, elem, 0.0);
      else if (isa<FloatType>(elem))
        init = floatConstant(b, loc, elem, -std::numeric_limits<double>::infinity());
      else
        init = intConstant(b, loc, elem,
                           elem.isUnsignedInteger()
                               ? 0
                               : -(int64_t{1} << (elem.getIntOrFloatBitWidth() - 1)));
      Value result = buildReduction(
          b, loc, lower, upper, init,
          [&](OpBuilder &rb, Location l, ValueRange taps, ValueRange acc) -> llvm::SmallVector<Value> {
            llvm::SmallVector<Value> index{ivs[0], ivs[1]};
            for (size_t i = 0; i < spatial; ++i) {
              Value tap = taps[i];
              if (dilations[i] != 1)
                tap = rb.create<arith::MulIOp>(l, tap, indexConstant(rb, l, dilations[i]));
              index.push_back(rb.create<arith::AddIOp>(l, starts[i], tap));
            }
            Value x = rb.create<memref::LoadOp>(l, adaptor.getInput(), index);
            if (!isMax)
              return {rb.create<arith::AddFOp>(l, acc[0], x)};
            Value greater;
            if (isa<FloatType>(elem))
              // A NaN wins and stays, as in NumPy's max.
              greater = rb.create<arith::OrIOp>(
                  l, rb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, x, acc[0]),
                  rb.create<arith::CmpFOp>(l, arith::CmpFPredicate::UNO, x, x));
            else
              greater = rb.create<arith::CmpIOp>(l,
                                                 elem.isUnsignedInteger() ? arith::CmpIPredicate::ugt
                                                                          : arith::CmpIPredicate::sgt,
                                                 x, acc[0]);
            return {rb.create<arith::SelectOp>(l, greater, x, acc[0])};
          })[0];
      if (!isMax) {
        Value n = b.create<arith::IndexCastOp>(loc, b.getI64Type(), count);
        result = b.create<arith::DivFOp>(loc, result, b.create<arith::SIToFPOp>(loc, elem, n));
      }
      if (FakeQuantAttr quant = op.getQuantAttr())
        result = applyFakeQuant(b, loc, result, quant);
      b.create<memref::StoreOp>(loc, result, *out, ivs);
    });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

} // namespace

void lowering::populatePoolLowering(RewritePatternSet &patterns, const TypeConverter &converter) {
  patterns.add<PoolLowering>(converter, patterns.getContext());
}
