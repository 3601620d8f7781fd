//===- Binary.cpp - bit packing and binary (+-alpha) layers --------------===//
//
// A binary layer's weights are one bit each. With packed inputs (the signs
// of the previous layer, two bits per element: negative, nonzero) a window's
// dot product is counted with XOR, AND and popcount, 32 elements per word;
// with float inputs it is a sum of additions and subtractions.
//
//===----------------------------------------------------------------------===//

#include "WindowSchedule.h"

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
  Value first = b.create<arith::MulIOp>(loc, word, indexConstant(b, loc, TINYC_ABI_BITS_PER_PACKED_WORD));
  Value end = b.create<arith::AddIOp>(loc, first, indexConstant(b, loc, TINYC_ABI_BITS_PER_PACKED_WORD));
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

/// alpha * dot + bias.
Value scaleAndBias(OpBuilder &b, Location loc, Value dot, Value alpha, Value bias) {
  Value y = b.create<arith::MulFOp>(loc, alpha, dot, contractFlags(b));
  if (bias)
    y = b.create<arith::AddFOp>(loc, y, bias, contractFlags(b));
  return y;
}

/// Packed inputs: the number of nonzero inputs in the window, which every
/// output channel's dot product needs.
class NonzeroAccumulator : public Accumulator {
public:
  NonzeroAccumulator(Value input, Value n, int64_t words) : input(input), n(n), words(words) {}
  int64_t innerExtent() const override { return words; }
  llvm::SmallVector<Value> init(OpBuilder &b, Location loc, const WindowBlock &block) override {
    return llvm::SmallVector<Value>(block.positions.size(), i32Constant(b, loc, 0));
  }
  llvm::SmallVector<Value> accumulate(OpBuilder &b, Location loc, const WindowBlock &,
                                      const WindowTap &tap, ValueRange acc) override {
    llvm::SmallVector<Value> next;
    for (auto [inputAt, count] : llvm::zip(tap.inputAt, acc)) {
      llvm::SmallVector<Value> at{n};
      at.append(inputAt);
      at.push_back(b.create<arith::AddIOp>(loc, tap.inner, indexConstant(b, loc, words)));
      Value z = b.create<memref::LoadOp>(loc, input, at);
      next.push_back(b.create<arith::AddIOp>(loc, count, popcount(b, loc, z)));
    }
    return next;
  }

private:
  Value input, n;
  int64_t words;
};

/// The +-1 dot product of output channel `channel` with each window: with
/// packed inputs, the nonzero inputs whose sign differs from the weight's
/// (XOR, AND, popcount per word); with float inputs, the sum of the inputs
/// added where the weight bit is clear and subtracted where it is set.
class BinaryDotAccumulator : public Accumulator {
public:
  BinaryDotAccumulator(Value input, Value weightBits, Value n, Value channel, int64_t words,
                       int64_t channels, Type elem, bool packed)
      : input(input), weightBits(weightBits), n(n), channel(channel), words(words),
        channels(channels), elem(elem), packed(packed) {}
  int64_t innerExtent() const override { return words; }
  llvm::SmallVector<Value> init(OpBuilder &b, Location loc, const WindowBlock &block) override {
    return llvm::SmallVector<Value>(block.positions.size(), packed
                                                                ? i32Constant(b, loc, 0)
                                                                : floatConstant(b, loc, elem, 0.0));
  }
  llvm::SmallVector<Value> accumulate(OpBuilder &b, Location loc, const WindowBlock &,
                                      const WindowTap &tap, ValueRange acc) override {
    llvm::SmallVector<Value> wAt{channel};
    wAt.append(tap.taps);
    wAt.push_back(tap.inner);
    llvm::SmallVector<Value> next;
    for (auto [inputAt, sum] : llvm::zip(tap.inputAt, acc)) {
      if (packed) {
        llvm::SmallVector<Value> at{n};
        at.append(inputAt);
        at.push_back(tap.inner);
        Value s = b.create<memref::LoadOp>(loc, input, at);
        at.back() = b.create<arith::AddIOp>(loc, tap.inner, indexConstant(b, loc, words));
        Value z = b.create<memref::LoadOp>(loc, input, at);
        Value w = b.create<memref::LoadOp>(loc, weightBits, wAt);
        next.push_back(addDiffering(b, loc, sum, s, z, w));
        continue;
      }
      Value word = b.create<memref::LoadOp>(loc, weightBits, wAt);
      Span span = wordSpan(b, loc, tap.inner, channels);
      next.push_back(buildReduction(
          b, loc, span.first, span.last, sum,
          [&](OpBuilder &cb, Location cl, ValueRange c,
              ValueRange partial) -> llvm::SmallVector<Value> {
            llvm::SmallVector<Value> at{n, c[0]};
            at.append(inputAt);
            Value x = cb.create<memref::LoadOp>(cl, input, at);
            return {addOrSubtract(cb, cl, partial[0], x, word,
                                  bitPosition(cb, cl, c[0], span.first))};
          })[0]);
    }
    return next;
  }

private:
  Value input, weightBits, n, channel;
  int64_t words, channels;
  Type elem;
  bool packed;
};

struct BinaryConvLowering : OpConversionPattern<BinaryConvOp> {
  BinaryConvLowering(const TypeConverter &converter, MLIRContext *context, bool forSize)
      : OpConversionPattern(converter, context), forSize(forSize) {}

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
    Type elem = op.getType().getElementType();
    WindowGeometry geometry =
        makeWindowGeometry(outShape.drop_front(2), inSpatial, wShape.slice(1, spatial),
                           op.getStrides(), op.getDilations(), op.getPads());
    WindowSchedule schedule(std::move(geometry), /*positionBlock=*/1, forSize);

    // Loops over batch and output positions; output channels innermost, so
    // that what only depends on the window is computed once.
    buildLoops(rewriter, loc, outShape[0], [&](OpBuilder &b, Location l, ValueRange batch) {
      Value n = batch[0];
      schedule.walk(b, l, [&](OpBuilder &pb, Location pl, const WindowBlock &block) {
        llvm::SmallVector<Value> nonzero;
        if (packed) {
          NonzeroAccumulator counter(adaptor.getInput(), n, words);
          nonzero = schedule.reduce(pb, pl, block, counter);
        }
        buildLoops(pb, pl, m, [&](OpBuilder &mb, Location ml, ValueRange mv) {
          Value channel = mv[0];
          BinaryDotAccumulator dot(adaptor.getInput(), adaptor.getWeightBits(), n, channel, words,
                                   channels, elem, packed);
          llvm::SmallVector<Value> dots = schedule.reduce(mb, ml, block, dot);
          Value alpha = mb.create<memref::LoadOp>(ml, adaptor.getAlpha(), channel);
          Value bias = adaptor.getBias()
                           ? mb.create<memref::LoadOp>(ml, adaptor.getBias(), channel).getResult()
                           : Value();
          for (auto [p, position] : llvm::enumerate(block.positions)) {
            Value value = packed ? packedDot(mb, ml, nonzero[p], dots[p], elem) : dots[p];
            llvm::SmallVector<Value> at{n, channel};
            at.append(position.begin(), position.end());
            storeWithEpilogue(mb, ml, scaleAndBias(mb, ml, value, alpha, bias), *out, at,
                              /*residual=*/{}, op.getActAttr(), op.getQuantAttr());
          }
        });
      });
    });
    rewriter.replaceOp(op, *out);
    return success();
  }

  bool forSize;
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
        storeWithEpilogue(nb, nl, scaleAndBias(nb, nl, dot, alpha, bias), *out, ValueRange{i, j},
                          /*residual=*/{}, op.getActAttr(), op.getQuantAttr());
      });
    });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

} // namespace

void lowering::populateBinaryLowering(RewritePatternSet &patterns, const TypeConverter &converter,
                                      bool forSize) {
  patterns.add<PackBitsLowering, BinaryGemmLowering>(converter, patterns.getContext());
  patterns.add<BinaryConvLowering>(converter, patterns.getContext(), forSize);
}
