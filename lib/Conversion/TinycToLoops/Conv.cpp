//===- Conv.cpp - convolution as specialised loop nests -------------------===//
//
// For each output position and block of output channels, the reduction runs
// over the group's input channels and the window's taps that land inside the
// input, so padding costs no multiplications and needs no per-tap test. The
// accumulators stay in registers; bias, residual and the epilogue are applied
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
    FakeQuantAttr quant = op.getQuantAttr();
    auto fm = contractFlags(rewriter);

    // Output channels are computed `block` at a time: each input element
    // loaded serves `block` multiply-accumulates.
    int64_t block = outPerGroup % 4 == 0 ? 4 : outPerGroup % 2 == 0 ? 2 : 1;
    // Output positions whose window lies inside the input take the taps in
    // constant-bound loops (which unroll); only border positions compute
    // their bounds.
    llvm::SmallVector<std::pair<int64_t, int64_t>> interior;
    bool hasBorder = false;
    for (unsigned i = 0; i < spatial; ++i) {
      int64_t span = dilations[i] * (wShape[2 + i] - 1);
      int64_t first = llvm::divideCeil(pads[i], strides[i]);
      int64_t last = (inShape[2 + i] - 1 + pads[i] - span) / strides[i];
      interior.push_back({first, std::max(first, last + 1)});
      hasBorder |= first > 0 || last + 1 < outShape[2 + i];
    }
    llvm::SmallVector<int64_t> loopShape(outShape);
    loopShape[1] /= block;

    buildLoops(rewriter, op.getLoc(), loopShape, [&](OpBuilder &b, Location loc, ValueRange loop) {
      Value n = loop[0];
      Value m0 = b.create<arith::MulIOp>(loc, loop[1], indexConstant(b, loc, block));
      ValueRange positions = loop.drop_front(2);
      Value channelBase = indexConstant(b, loc, 0);
      if (group > 1) {
        Value g = b.create<arith::DivUIOp>(loc, m0, indexConstant(b, loc, outPerGroup));
        channelBase = b.create<arith::MulIOp>(loc, g, indexConstant(b, loc, inPerGroup));
      }
      llvm::SmallVector<Value> channels, inits;
      for (int64_t k = 0; k < block; ++k) {
        Value m = k ? b.create<arith::AddIOp>(loc, m0, indexConstant(b, loc, k)).getResult() : m0;
        channels.push_back(m);
        inits.push_back(adaptor.getBias()
                            ? b.create<memref::LoadOp>(loc, adaptor.getBias(), m).getResult()
                            : floatConstant(b, loc, elem, 0.0));
      }
      llvm::SmallVector<Value> starts;
      for (unsigned i = 0; i < spatial; ++i) {
        Value start = b.create<arith::MulIOp>(loc, positions[i], indexConstant(b, loc, strides[i]));
        if (pads[i])
          start = b.create<arith::SubIOp>(loc, start, indexConstant(b, loc, pads[i]));
        starts.push_back(start);
      }
      auto reduce = [&](OpBuilder &rb, Location l, bool inside) {
        llvm::SmallVector<Value> lower{indexConstant(rb, l, 0)},
            upper{indexConstant(rb, l, inPerGroup)};
        for (unsigned i = 0; i < spatial; ++i) {
          auto [lo, hi] =
              inside ? std::pair<Value, Value>{indexConstant(rb, l, 0),
                                               indexConstant(rb, l, wShape[2 + i])}
                     : windowTaps(rb, l, positions[i], outShape[2 + i], strides[i], dilations[i],
                                  pads[i], wShape[2 + i], 0, inShape[2 + i]);
          lower.push_back(lo);
          upper.push_back(hi);
        }
        return buildReduction(
            rb, l, lower, upper, inits,
            [&](OpBuilder &ib, Location il, ValueRange r,
                ValueRange sums) -> llvm::SmallVector<Value> {
              llvm::SmallVector<Value> xIndex{n, ib.create<arith::AddIOp>(il, channelBase, r[0])};
              llvm::SmallVector<Value> taps;
              for (unsigned i = 0; i < spatial; ++i) {
                Value tap = r[1 + i];
                if (dilations[i] != 1)
                  tap = ib.create<arith::MulIOp>(il, tap, indexConstant(ib, il, dilations[i]));
                xIndex.push_back(ib.create<arith::AddIOp>(il, starts[i], tap));
                taps.push_back(r[1 + i]);
              }
              Value x = ib.create<memref::LoadOp>(il, adaptor.getInput(), xIndex);
              llvm::SmallVector<Value> next;
              for (auto [m, sum] : llvm::zip(channels, sums)) {
                llvm::SmallVector<Value> wIndex{m, r[0]};
                wIndex.append(taps);
                Value w = ib.create<memref::LoadOp>(il, adaptor.getWeight(), wIndex);
                Value product = ib.create<arith::MulFOp>(il, x, w, fm);
                next.push_back(ib.create<arith::AddFOp>(il, sum, product, fm));
              }
              return next;
            });
      };
      llvm::SmallVector<Value> acc;
      if (!hasBorder) {
        acc = reduce(b, loc, /*inside=*/true);
      } else {
        Value inside;
        for (unsigned i = 0; i < spatial; ++i) {
          Value ok = b.create<arith::AndIOp>(
              loc,
              b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, positions[i],
                                      indexConstant(b, loc, interior[i].first)),
              b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, positions[i],
                                      indexConstant(b, loc, interior[i].second)));
          inside = inside ? b.create<arith::AndIOp>(loc, inside, ok).getResult() : ok;
        }
        auto ifOp = b.create<scf::IfOp>(
            loc, inside,
            [&](OpBuilder &tb, Location l) { tb.create<scf::YieldOp>(l, reduce(tb, l, true)); },
            [&](OpBuilder &eb, Location l) { eb.create<scf::YieldOp>(l, reduce(eb, l, false)); });
        acc.assign(ifOp.getResults().begin(), ifOp.getResults().end());
      }
      for (auto [m, value] : llvm::zip(channels, acc)) {
        llvm::SmallVector<Value> at{n, m};
        at.append(positions.begin(), positions.end());
        if (adaptor.getResidual())
          value = b.create<arith::AddFOp>(loc, value,
                                          b.create<memref::LoadOp>(loc, adaptor.getResidual(), at));
        b.create<memref::StoreOp>(loc, applyEpilogue(b, loc, value, act, quant), *out, at);
      }
    });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

} // namespace

void lowering::populateConvLowering(RewritePatternSet &patterns, const TypeConverter &converter) {
  patterns.add<ConvLowering>(converter, patterns.getContext());
}
