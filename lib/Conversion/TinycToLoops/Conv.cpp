//===- Conv.cpp - convolution as specialised loop nests -------------------===//
//
// For each output element (batch, channel, position) the reduction runs over
// the group's input channels and the window's taps that land inside the
// input, so padding costs no multiplications and needs no per-tap test. The
// accumulator stays in a register; bias, residual and activation are applied
// once per output element.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

struct ConvLowering : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    auto inShape = op.getInput().getType().getShape();
    auto wShape = op.getWeight().getType().getShape();
    auto outShape = op.getType().getShape();
    Type elem = op.getType().getElementType();
    unsigned spatial = op.getNumSpatialDims();
    int64_t group = op.getGroup();
    int64_t outPerGroup = wShape[0] / group, inPerGroup = wShape[1];
    llvm::ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations(),
                            pads = op.getPads();
    ActivationAttr act = op.getActAttr();
    auto fm = contractFlags(rewriter);

    buildLoops(rewriter, op.getLoc(), outShape, [&](OpBuilder &b, Location loc, ValueRange ivs) {
      Value n = ivs[0], m = ivs[1];
      Value channelBase = indexConstant(b, loc, 0);
      if (group > 1) {
        Value g = b.create<arith::DivUIOp>(loc, m, indexConstant(b, loc, outPerGroup));
        channelBase = b.create<arith::MulIOp>(loc, g, indexConstant(b, loc, inPerGroup));
      }
      Value init = adaptor.getBias() ? b.create<memref::LoadOp>(loc, adaptor.getBias(), m).getResult()
                                     : floatConstant(b, loc, elem, 0.0);
      llvm::SmallVector<Value> lower{indexConstant(b, loc, 0)}, upper{
                                                                   indexConstant(b, loc, inPerGroup)};
      llvm::SmallVector<Value> starts;
      for (unsigned i = 0; i < spatial; ++i) {
        auto [lo, hi] = windowTaps(b, loc, ivs[2 + i], outShape[2 + i], strides[i], dilations[i],
                                   pads[i], wShape[2 + i], 0, inShape[2 + i]);
        lower.push_back(lo);
        upper.push_back(hi);
        Value start = b.create<arith::MulIOp>(loc, ivs[2 + i], indexConstant(b, loc, strides[i]));
        if (pads[i])
          start = b.create<arith::SubIOp>(loc, start, indexConstant(b, loc, pads[i]));
        starts.push_back(start);
      }
      Value acc = buildReduction(
          b, loc, lower, upper, init,
          [&](OpBuilder &rb, Location l, ValueRange r, ValueRange sum) -> llvm::SmallVector<Value> {
            llvm::SmallVector<Value> xIndex{n, rb.create<arith::AddIOp>(l, channelBase, r[0])};
            llvm::SmallVector<Value> wIndex{m, r[0]};
            for (unsigned i = 0; i < spatial; ++i) {
              Value tap = r[1 + i];
              if (dilations[i] != 1)
                tap = rb.create<arith::MulIOp>(l, tap, indexConstant(rb, l, dilations[i]));
              xIndex.push_back(rb.create<arith::AddIOp>(l, starts[i], tap));
              wIndex.push_back(r[1 + i]);
            }
            Value x = rb.create<memref::LoadOp>(l, adaptor.getInput(), xIndex);
            Value w = rb.create<memref::LoadOp>(l, adaptor.getWeight(), wIndex);
            Value product = rb.create<arith::MulFOp>(l, x, w, fm);
            return {rb.create<arith::AddFOp>(l, sum[0], product, fm)};
          })[0];
      if (adaptor.getResidual())
        acc = b.create<arith::AddFOp>(loc, acc,
                                      b.create<memref::LoadOp>(loc, adaptor.getResidual(), ivs));
      b.create<memref::StoreOp>(loc, applyActivation(b, loc, acc, act), *out, ivs);
    });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

} // namespace

void lowering::populateConvLowering(RewritePatternSet &patterns, const TypeConverter &converter) {
  patterns.add<ConvLowering>(converter, patterns.getContext());
}
