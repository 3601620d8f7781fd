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

    // Register blocking: `mBlock` output channels times `pBlock` adjacent
    // positions along the last dimension are computed together, so that each
    // weight loaded serves pBlock and each input element mBlock
    // multiply-accumulates. A depthwise convolution has one output channel per
    // group, so it blocks positions only.
    int64_t mBlock = outPerGroup % 4 == 0 ? 4 : outPerGroup % 2 == 0 ? 2 : 1;
    int64_t lastExtent = outShape.back();
    int64_t pBlock = mBlock == 1 && lastExtent % 4 == 0 ? 4 : lastExtent % 2 == 0 ? 2 : 1;
    // Blocks whose windows lie inside the input take the taps in
    // constant-bound loops (which unroll); border blocks compute their bounds
    // position by position.
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
    loopShape[1] /= mBlock;
    loopShape.back() /= pBlock;

    buildLoops(rewriter, op.getLoc(), loopShape, [&](OpBuilder &b, Location loc, ValueRange loop) {
      Value n = loop[0];
      Value m0 = b.create<arith::MulIOp>(loc, loop[1], indexConstant(b, loc, mBlock));
      // The positions of the block: all dimensions but the last are shared.
      llvm::SmallVector<llvm::SmallVector<Value>> positions(pBlock);
      Value lastFirst = b.create<arith::MulIOp>(loc, loop.back(), indexConstant(b, loc, pBlock));
      for (int64_t p = 0; p < pBlock; ++p) {
        ValueRange shared = loop.drop_front(2).drop_back();
        positions[p].assign(shared.begin(), shared.end());
        positions[p].push_back(
            p ? b.create<arith::AddIOp>(loc, lastFirst, indexConstant(b, loc, p)).getResult()
              : lastFirst);
      }
      Value channelBase = indexConstant(b, loc, 0);
      if (group > 1) {
        Value g = b.create<arith::DivUIOp>(loc, m0, indexConstant(b, loc, outPerGroup));
        channelBase = b.create<arith::MulIOp>(loc, g, indexConstant(b, loc, inPerGroup));
      }
      llvm::SmallVector<Value> channels, biases;
      for (int64_t k = 0; k < mBlock; ++k) {
        Value m = k ? b.create<arith::AddIOp>(loc, m0, indexConstant(b, loc, k)).getResult() : m0;
        channels.push_back(m);
        biases.push_back(adaptor.getBias()
                             ? b.create<memref::LoadOp>(loc, adaptor.getBias(), m).getResult()
                             : floatConstant(b, loc, elem, 0.0));
      }
      auto startsOf = [&](OpBuilder &sb, Location l, llvm::ArrayRef<Value> position) {
        llvm::SmallVector<Value> starts;
        for (unsigned i = 0; i < spatial; ++i) {
          Value start = sb.create<arith::MulIOp>(l, position[i], indexConstant(sb, l, strides[i]));
          if (pads[i])
            start = sb.create<arith::SubIOp>(l, start, indexConstant(sb, l, pads[i]));
          starts.push_back(start);
        }
        return starts;
      };
      // Accumulates channels x `block` (positions) over taps in [lower, upper);
      // the result is indexed [position * mBlock + channel].
      auto reduce = [&](OpBuilder &rb, Location l, llvm::ArrayRef<llvm::SmallVector<Value>> block,
                        bool inside) {
        llvm::SmallVector<Value> lower{indexConstant(rb, l, 0)},
            upper{indexConstant(rb, l, inPerGroup)};
        for (unsigned i = 0; i < spatial; ++i) {
          auto [lo, hi] =
              inside ? std::pair<Value, Value>{indexConstant(rb, l, 0),
                                               indexConstant(rb, l, wShape[2 + i])}
                     : windowTaps(rb, l, block.front()[i], outShape[2 + i], strides[i],
                                  dilations[i], pads[i], wShape[2 + i], 0, inShape[2 + i]);
          lower.push_back(lo);
          upper.push_back(hi);
        }
        llvm::SmallVector<llvm::SmallVector<Value>> starts;
        for (const auto &position : block)
          starts.push_back(startsOf(rb, l, position));
        llvm::SmallVector<Value> inits;
        for (size_t p = 0; p < block.size(); ++p)
          inits.append(biases);
        return buildReduction(
            rb, l, lower, upper, inits,
            [&](OpBuilder &ib, Location il, ValueRange r,
                ValueRange sums) -> llvm::SmallVector<Value> {
              llvm::SmallVector<Value> taps, offsets;
              for (unsigned i = 0; i < spatial; ++i) {
                Value tap = r[1 + i];
                taps.push_back(tap);
                offsets.push_back(dilations[i] == 1 ? tap
                                                    : ib.create<arith::MulIOp>(
                                                          il, tap, indexConstant(ib, il, dilations[i]))
                                                          .getResult());
              }
              Value c = ib.create<arith::AddIOp>(il, channelBase, r[0]);
              llvm::SmallVector<Value> xs;
              for (const auto &start : starts) {
                llvm::SmallVector<Value> xIndex{n, c};
                for (unsigned i = 0; i < spatial; ++i)
                  xIndex.push_back(ib.create<arith::AddIOp>(il, start[i], offsets[i]));
                xs.push_back(ib.create<memref::LoadOp>(il, adaptor.getInput(), xIndex));
              }
              llvm::SmallVector<Value> next(sums.begin(), sums.end());
              for (auto [k, m] : llvm::enumerate(channels)) {
                llvm::SmallVector<Value> wIndex{m, r[0]};
                wIndex.append(taps);
                Value w = ib.create<memref::LoadOp>(il, adaptor.getWeight(), wIndex);
                for (auto [p, x] : llvm::enumerate(xs)) {
                  Value product = ib.create<arith::MulFOp>(il, x, w, fm);
                  Value &sum = next[p * mBlock + k];
                  sum = ib.create<arith::AddFOp>(il, sum, product, fm);
                }
              }
              return next;
            });
      };
      llvm::SmallVector<Value> acc;
      if (!hasBorder) {
        acc = reduce(b, loc, positions, /*inside=*/true);
      } else {
        // The block is inside when its first and last positions are.
        Value inside;
        for (unsigned i = 0; i < spatial; ++i) {
          Value ok = b.create<arith::AndIOp>(
              loc,
              b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, positions.front()[i],
                                      indexConstant(b, loc, interior[i].first)),
              b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, positions.back()[i],
                                      indexConstant(b, loc, interior[i].second)));
          inside = inside ? b.create<arith::AndIOp>(loc, inside, ok).getResult() : ok;
        }
        auto ifOp = b.create<scf::IfOp>(
            loc, inside,
            [&](OpBuilder &tb, Location l) {
              tb.create<scf::YieldOp>(l, reduce(tb, l, positions, true));
            },
            [&](OpBuilder &eb, Location l) {
              llvm::SmallVector<Value> each;
              for (const auto &position : positions)
                each.append(reduce(eb, l, llvm::ArrayRef<llvm::SmallVector<Value>>(position), false));
              eb.create<scf::YieldOp>(l, each);
            });
        acc.assign(ifOp.getResults().begin(), ifOp.getResults().end());
      }
      for (auto [p, position] : llvm::enumerate(positions))
        for (auto [k, m] : llvm::enumerate(channels)) {
          llvm::SmallVector<Value> at{n, m};
          at.append(position.begin(), position.end());
          Value value = acc[p * mBlock + k];
          if (adaptor.getResidual())
            value = b.create<arith::AddFOp>(
                loc, value, b.create<memref::LoadOp>(loc, adaptor.getResidual(), at));
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
