//===- Binary.cpp - bit packing and binary (+-alpha) layers --------------===//
//
// A binary layer's weights are one bit each. With packed inputs (the signs
// of the previous layer, two bits per element: negative, nonzero) a window's
// dot product is counted with XOR, AND and popcount, 32 elements per word;
// with float inputs it is a sum of additions and subtractions.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

Value i32Constant(OpBuilder &b, Location loc, int64_t v) {
  return b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(static_cast<int32_t>(v)));
}

Value popcount(OpBuilder &b, Location loc, Value word) {
  return b.create<math::CtPopOp>(loc, word);
}

/// The elements [first, last) = [32 * word, min(32 * word + 32, extent)) that
/// a word of packed bits covers.
struct Span {
  Value first, last;
};
Span wordSpan(OpBuilder &b, Location loc, Value word, int64_t extent) {
  Value first = b.create<arith::MulIOp>(loc, word, indexConstant(b, loc, 32));
  Value end = b.create<arith::AddIOp>(loc, first, indexConstant(b, loc, 32));
  return {first, b.create<arith::MinSIOp>(loc, end, indexConstant(b, loc, extent))};
}

/// Element `index`'s bit in the word whose span starts at `first`, as i32.
Value bitPosition(OpBuilder &b, Location loc, Value index, Value first) {
  return b.create<arith::IndexCastOp>(loc, b.getI32Type(),
                                      b.create<arith::SubIOp>(loc, index, first));
}

/// Float inputs: sum - x where the weight bit at `position` is set (a -alpha
/// weight), sum + x where it is clear.
Value addOrSubtract(OpBuilder &b, Location loc, Value sum, Value x, Value weightWord,
                    Value position) {
  Value shifted = b.create<arith::ShRUIOp>(loc, weightWord, position);
  Value bit = b.create<arith::AndIOp>(loc, shifted, i32Constant(b, loc, 1));
  Value negative =
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, bit, i32Constant(b, loc, 0));
  Value add = b.create<arith::AddFOp>(loc, sum, x);
  Value sub = b.create<arith::SubFOp>(loc, sum, x);
  return b.create<arith::SelectOp>(loc, negative, sub, add);
}

/// Packed inputs: acc plus the number of nonzero inputs in one word whose
/// sign differs from the weight's.
Value addDiffering(OpBuilder &b, Location loc, Value acc, Value negativeBits, Value nonzeroBits,
                   Value weightBits) {
  Value t = b.create<arith::AndIOp>(loc, b.create<arith::XOrIOp>(loc, negativeBits, weightBits),
                                    nonzeroBits);
  return b.create<arith::AddIOp>(loc, acc, popcount(b, loc, t));
}

/// Packed inputs: the +-1 dot product, (nonzero - differing) agreeing minus
/// `differing` disagreeing, as a float.
Value packedDot(OpBuilder &b, Location loc, Value nonzero, Value differing, Type elem) {
  Value count = b.create<arith::SubIOp>(
      loc, nonzero, b.create<arith::ShLIOp>(loc, differing, i32Constant(b, loc, 1)));
  return b.create<arith::SIToFPOp>(loc, elem, count);
}

struct PackBitsLowering : OpConversionPattern<PackBitsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(PackBitsOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    auto inShape = op.getInput().getType().getShape();
    int64_t axis = op.getAxis(), extent = inShape[axis];
    int64_t words = op.getType().getShape().back() / 2;
    Type elem = op.getInput().getType().getElementType();
    llvm::SmallVector<int64_t> loops(op.getType().getShape());
    loops.back() = words;
    buildLoops(rewriter, op.getLoc(), loops, [&](OpBuilder &b, Location loc, ValueRange ivs) {
      Value w = ivs.back();
      Span span = wordSpan(b, loc, w, extent);
      Value zero = i32Constant(b, loc, 0);
      llvm::SmallVector<Value> bits = buildReduction(
          b, loc, span.first, span.last, ValueRange{zero, zero},
          [&](OpBuilder &rb, Location l, ValueRange c, ValueRange acc) -> llvm::SmallVector<Value> {
            llvm::SmallVector<Value> at(ivs.drop_back());
            at.insert(at.begin() + axis, c[0]);
            Value x = rb.create<memref::LoadOp>(l, adaptor.getInput(), at);
            Value fzero = floatConstant(rb, l, elem, 0.0);
            Value shift = bitPosition(rb, l, c[0], span.first);
            auto bit = [&](arith::CmpFPredicate predicate, Value word) {
              Value set = rb.create<arith::ExtUIOp>(
                  l, rb.getI32Type(), rb.create<arith::CmpFOp>(l, predicate, x, fzero));
              return rb.create<arith::OrIOp>(l, word, rb.create<arith::ShLIOp>(l, set, shift))
                  .getResult();
            };
            // UNE: NaN counts as nonzero (and as positive).
            return {bit(arith::CmpFPredicate::OLT, acc[0]), bit(arith::CmpFPredicate::UNE, acc[1])};
          });
      llvm::SmallVector<Value> at(ivs);
      b.create<memref::StoreOp>(loc, bits[0], *out, at);
      at.back() = b.create<arith::AddIOp>(loc, w, indexConstant(b, loc, words));
      b.create<memref::StoreOp>(loc, bits[1], *out, at);
    });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

/// alpha * dot + bias, then the epilogue.
Value finish(OpBuilder &b, Location loc, Value dot, Value alpha, Value bias, ActivationAttr act,
             FakeQuantAttr quant) {
  Value y = b.create<arith::MulFOp>(loc, alpha, dot, contractFlags(b));
  if (bias)
    y = b.create<arith::AddFOp>(loc, y, bias, contractFlags(b));
  return applyEpilogue(b, loc, y, act, quant);
}

struct BinaryConvLowering : OpConversionPattern<BinaryConvOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(BinaryConvOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    Location loc = op.getLoc();
    auto wShape = op.getWeightBits().getType().getShape();
    auto inShape = op.getInput().getType().getShape();
    auto outShape = op.getType().getShape();
    size_t spatial = wShape.size() - 2;
    int64_t m = wShape[0], words = wShape.back();
    bool packed = op.hasPackedInput();
    llvm::ArrayRef<int64_t> inSpatial =
        packed ? inShape.drop_front().drop_back() : inShape.drop_front(2);
    int64_t channels = packed ? 0 : inShape[1];
    llvm::ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations(),
                            pads = op.getPads();
    Type elem = op.getType().getElementType();

    // Loops over batch and output positions; output channels innermost, so
    // that what only depends on the window is computed once.
    llvm::SmallVector<int64_t> positions{outShape[0]};
    positions.append(outShape.begin() + 2, outShape.end());
    buildLoops(rewriter, loc, positions, [&](OpBuilder &b, Location l, ValueRange ivs) {
      Value n = ivs[0];
      ValueRange position = ivs.drop_front();
      llvm::SmallVector<Value> lower, upper, starts;
      for (size_t i = 0; i < spatial; ++i) {
        auto [lo, hi] = windowTaps(b, l, position[i], outShape[2 + i], strides[i], dilations[i],
                                   pads[i], wShape[1 + i], 0, inSpatial[i]);
        lower.push_back(lo);
        upper.push_back(hi);
        Value start = b.create<arith::MulIOp>(l, position[i], indexConstant(b, l, strides[i]));
        if (pads[i])
          start = b.create<arith::SubIOp>(l, start, indexConstant(b, l, pads[i]));
        starts.push_back(start);
      }
      auto inputAt = [&](OpBuilder &ib, Location il, ValueRange taps) {
        llvm::SmallVector<Value> at;
        for (size_t i = 0; i < spatial; ++i) {
          Value tap = taps[i];
          if (dilations[i] != 1)
            tap = ib.create<arith::MulIOp>(il, tap, indexConstant(ib, il, dilations[i]));
          at.push_back(ib.create<arith::AddIOp>(il, starts[i], tap));
        }
        return at;
      };
      lower.push_back(indexConstant(b, l, 0));
      upper.push_back(indexConstant(b, l, words));

      // The window's number of nonzero inputs (packed inputs only).
      Value nonzero;
      if (packed)
        nonzero = buildReduction(
            b, l, lower, upper, i32Constant(b, l, 0),
            [&](OpBuilder &rb, Location il, ValueRange r, ValueRange acc) -> llvm::SmallVector<Value> {
              llvm::SmallVector<Value> at{n};
              at.append(inputAt(rb, il, r.drop_back()));
              at.push_back(rb.create<arith::AddIOp>(il, r.back(), indexConstant(rb, il, words)));
              Value z = rb.create<memref::LoadOp>(il, adaptor.getInput(), at);
              return {rb.create<arith::AddIOp>(il, acc[0], popcount(rb, il, z))};
            })[0];

      buildLoops(b, l, m, [&](OpBuilder &mb, Location ml, ValueRange mv) {
        Value channel = mv[0];
        Value dot;
        if (packed) {
          Value differing = buildReduction(
              mb, ml, lower, upper, i32Constant(mb, ml, 0),
              [&](OpBuilder &rb, Location il, ValueRange r,
                  ValueRange acc) -> llvm::SmallVector<Value> {
                llvm::SmallVector<Value> at{n};
                at.append(inputAt(rb, il, r.drop_back()));
                at.push_back(r.back());
                Value s = rb.create<memref::LoadOp>(il, adaptor.getInput(), at);
                at.back() = rb.create<arith::AddIOp>(il, r.back(), indexConstant(rb, il, words));
                Value z = rb.create<memref::LoadOp>(il, adaptor.getInput(), at);
                llvm::SmallVector<Value> wAt{channel};
                wAt.append(r.begin(), r.end());
                Value w = rb.create<memref::LoadOp>(il, adaptor.getWeightBits(), wAt);
                return {addDiffering(rb, il, acc[0], s, z, w)};
              })[0];
          dot = packedDot(mb, ml, nonzero, differing, elem);
        } else {
          // Float inputs: add where the weight bit is clear, subtract where set.
          dot = buildReduction(
              mb, ml, lower, upper, floatConstant(mb, ml, elem, 0.0),
              [&](OpBuilder &rb, Location il, ValueRange r,
                  ValueRange acc) -> llvm::SmallVector<Value> {
                llvm::SmallVector<Value> wAt{channel};
                wAt.append(r.begin(), r.end());
                Value word = rb.create<memref::LoadOp>(il, adaptor.getWeightBits(), wAt);
                Span span = wordSpan(rb, il, r.back(), channels);
                llvm::SmallVector<Value> tapAt = inputAt(rb, il, r.drop_back());
                return buildReduction(
                    rb, il, span.first, span.last, acc,
                    [&](OpBuilder &cb, Location cl, ValueRange c,
                        ValueRange sum) -> llvm::SmallVector<Value> {
                      llvm::SmallVector<Value> at{n, c[0]};
                      at.append(tapAt);
                      Value x = cb.create<memref::LoadOp>(cl, adaptor.getInput(), at);
                      return {addOrSubtract(cb, cl, sum[0], x, word,
                                            bitPosition(cb, cl, c[0], span.first))};
                    });
              })[0];
        }
        Value alpha = mb.create<memref::LoadOp>(ml, adaptor.getAlpha(), channel);
        Value bias = adaptor.getBias()
                         ? mb.create<memref::LoadOp>(ml, adaptor.getBias(), channel).getResult()
                         : Value();
        llvm::SmallVector<Value> at{n, channel};
        at.append(position.begin(), position.end());
        mb.create<memref::StoreOp>(
            ml, finish(mb, ml, dot, alpha, bias, op.getActAttr(), op.getQuantAttr()), *out, at);
      });
    });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

struct BinaryGemmLowering : OpConversionPattern<BinaryGemmOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(BinaryGemmOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    Location loc = op.getLoc();
    auto outShape = op.getType().getShape();
    int64_t words = op.getWeightBits().getType().getShape()[1];
    int64_t k = op.getA().getType().getShape()[1];
    bool packed = op.hasPackedInput();
    Type elem = op.getType().getElementType();
    auto cShape = adaptor.getC() ? op.getC().getType().getShape() : llvm::ArrayRef<int64_t>();
    buildLoops(rewriter, loc, outShape[0], [&](OpBuilder &b, Location l, ValueRange rows) {
      Value i = rows[0];
      Value zero = indexConstant(b, l, 0), wordCount = indexConstant(b, l, words);
      Value nonzero;
      if (packed)
        nonzero = buildReduction(
            b, l, zero, wordCount, i32Constant(b, l, 0),
            [&](OpBuilder &rb, Location il, ValueRange w, ValueRange acc) -> llvm::SmallVector<Value> {
              Value z = rb.create<memref::LoadOp>(
                  il, adaptor.getA(),
                  ValueRange{i, rb.create<arith::AddIOp>(il, w[0], indexConstant(rb, il, words))});
              return {rb.create<arith::AddIOp>(il, acc[0], popcount(rb, il, z))};
            })[0];
      buildLoops(b, l, outShape[1], [&](OpBuilder &nb, Location nl, ValueRange cols) {
        Value j = cols[0];
        Value dot;
        if (packed) {
          Value differing = buildReduction(
              nb, nl, zero, wordCount, i32Constant(nb, nl, 0),
              [&](OpBuilder &rb, Location il, ValueRange w,
                  ValueRange acc) -> llvm::SmallVector<Value> {
                Value s = rb.create<memref::LoadOp>(il, adaptor.getA(), ValueRange{i, w[0]});
                Value z = rb.create<memref::LoadOp>(
                    il, adaptor.getA(),
                    ValueRange{i, rb.create<arith::AddIOp>(il, w[0], indexConstant(rb, il, words))});
                Value bits = rb.create<memref::LoadOp>(il, adaptor.getWeightBits(), ValueRange{j, w[0]});
                return {addDiffering(rb, il, acc[0], s, z, bits)};
              })[0];
          dot = packedDot(nb, nl, nonzero, differing, elem);
        } else {
          // Float inputs: per word of weight bits, add where a bit is clear
          // and subtract where it is set.
          dot = buildReduction(
              nb, nl, zero, wordCount, floatConstant(nb, nl, elem, 0.0),
              [&](OpBuilder &rb, Location il, ValueRange w,
                  ValueRange acc) -> llvm::SmallVector<Value> {
                Value word = rb.create<memref::LoadOp>(il, adaptor.getWeightBits(), ValueRange{j, w[0]});
                Span span = wordSpan(rb, il, w[0], k);
                return buildReduction(
                    rb, il, span.first, span.last, acc,
                    [&](OpBuilder &cb, Location cl, ValueRange kk,
                        ValueRange sum) -> llvm::SmallVector<Value> {
                      Value x = cb.create<memref::LoadOp>(cl, adaptor.getA(), ValueRange{i, kk[0]});
                      return {addOrSubtract(cb, cl, sum[0], x, word,
                                            bitPosition(cb, cl, kk[0], span.first))};
                    });
              })[0];
        }
        Value alpha = nb.create<memref::LoadOp>(nl, adaptor.getAlpha(), j);
        Value bias = adaptor.getC() ? nb.create<memref::LoadOp>(
                                          nl, adaptor.getC(), broadcastIndices(nb, nl, cShape, {i, j}))
                                          .getResult()
                                    : Value();
        nb.create<memref::StoreOp>(
            nl, finish(nb, nl, dot, alpha, bias, op.getActAttr(), op.getQuantAttr()), *out,
            ValueRange{i, j});
      });
    });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

} // namespace

void lowering::populateBinaryLowering(RewritePatternSet &patterns,
                                      const TypeConverter &converter) {
  patterns.add<PackBitsLowering, BinaryConvLowering, BinaryGemmLowering>(
      converter, patterns.getContext());
}
