//===- Sparse.cpp - convolutions and products over nonzero weights only ---===//
//
// Two forms, chosen per layer by tinyc-sparsify-weights:
//  * arrays: the taps of each output channel are a range of (offset, value)
//    pairs that a loop walks; a block of output positions shares each pair;
//  * unrolled: each output channel's taps are straight-line code with the
//    offsets and weights as constants, for very sparse layers.
// Neither stores nor multiplies a zero weight.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

/// The flat (1-d) view of a contiguous buffer.
Value flatten(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  return reinterpretAs(b, loc, buffer,
                       MemRefType::get({type.getNumElements()}, type.getElementType()));
}

/// Loads element `i` of an index array (int16 or int32) as an index.
Value loadIndex(OpBuilder &b, Location loc, Value array, Value i) {
  Value raw = b.create<memref::LoadOp>(loc, array, i);
  return b.create<arith::IndexCastOp>(loc, b.getIndexType(), raw);
}

/// The constant arrays of a sparse operator, for the unrolled form.
struct SparseRows {
  llvm::SmallVector<float> values;
  llvm::SmallVector<int64_t> offsets, rowStarts;
};

std::optional<SparseRows> readRows(Value values, Value offsets, Value rowStarts) {
  DenseElementsAttr v, o, r;
  if (!matchPattern(values, m_Constant(&v)) || !matchPattern(offsets, m_Constant(&o)) ||
      !matchPattern(rowStarts, m_Constant(&r)))
    return std::nullopt;
  SparseRows rows;
  for (float x : v.getValues<float>())
    rows.values.push_back(x);
  for (const llvm::APInt &x : o.getValues<llvm::APInt>())
    rows.offsets.push_back(x.getSExtValue());
  for (const llvm::APInt &x : r.getValues<llvm::APInt>())
    rows.rowStarts.push_back(x.getSExtValue());
  return rows;
}

/// sum over the row's taps of x[base_p + offset] * value, for each base p,
/// starting from `inits`.
llvm::SmallVector<Value> accumulateRow(OpBuilder &b, Location loc, Value x, ValueRange bases,
                                       ValueRange inits, Value values, Value offsets,
                                       Value rowStarts, Value row,
                                       const std::optional<SparseRows> &unrolledRows,
                                       std::optional<int64_t> staticRow) {
  auto fm = contractFlags(b);
  if (unrolledRows && staticRow) {
    llvm::SmallVector<Value> acc(inits);
    Type elem = acc.front().getType();
    for (int64_t t = unrolledRows->rowStarts[*staticRow];
         t < unrolledRows->rowStarts[*staticRow + 1]; ++t) {
      Value w = floatConstant(b, loc, elem, unrolledRows->values[t]);
      for (auto [p, base] : llvm::enumerate(bases)) {
        Value at = b.create<arith::AddIOp>(loc, base,
                                           indexConstant(b, loc, unrolledRows->offsets[t]));
        Value product = b.create<arith::MulFOp>(loc, b.create<memref::LoadOp>(loc, x, at), w, fm);
        acc[p] = b.create<arith::AddFOp>(loc, acc[p], product, fm);
      }
    }
    return acc;
  }
  Value begin = loadIndex(b, loc, rowStarts, row);
  Value end = loadIndex(b, loc, rowStarts, b.create<arith::AddIOp>(loc, row, indexConstant(b, loc, 1)));
  return buildReduction(
      b, loc, begin, end, inits,
      [&](OpBuilder &rb, Location l, ValueRange t, ValueRange acc) -> llvm::SmallVector<Value> {
        Value offset = loadIndex(rb, l, offsets, t[0]);
        Value w = rb.create<memref::LoadOp>(l, values, t[0]);
        llvm::SmallVector<Value> next;
        for (auto [base, sum] : llvm::zip(bases, acc)) {
          Value at = rb.create<arith::AddIOp>(l, base, offset);
          Value product = rb.create<arith::MulFOp>(l, rb.create<memref::LoadOp>(l, x, at), w, fm);
          next.push_back(rb.create<arith::AddFOp>(l, sum, product, fm));
        }
        return next;
      });
}

struct SparseConvLowering : OpConversionPattern<SparseConvOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(SparseConvOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    Location loc = op.getLoc();
    auto inShape = op.getInput().getType().getShape();
    auto outShape = op.getType().getShape();
    Type elem = op.getType().getElementType();
    size_t spatial = inShape.size() - 2;
    int64_t group = op.getGroup(), m = outShape[1], inPerGroup = inShape[1] / group;
    int64_t outPerGroup = m / group;
    llvm::ArrayRef<int64_t> strides = op.getStrides();
    // Row-major strides of the input's spatial dimensions and channels.
    llvm::SmallVector<int64_t> inStrides(spatial, 1);
    for (int64_t d = spatial - 2; d >= 0; --d)
      inStrides[d] = inStrides[d + 1] * inShape[d + 3];
    int64_t channelSize = inStrides[0] * inShape[2];
    // Output positions along the last dimension come `block` at a time.
    int64_t last = outShape.back();
    int64_t block = last % 4 == 0 ? 4 : last % 2 == 0 ? 2 : 1;
    std::optional<SparseRows> rows;
    if (op.getUnroll()) {
      rows = readRows(op.getValues(), op.getOffsets(), op.getRowStarts());
      if (!rows)
        return op.emitError() << "unrolled sparse weights must be constants";
    }
    Value x = flatten(rewriter, loc, adaptor.getInput());

    // The unrolled form specialises each output channel: one loop nest per
    // channel with its taps as constants. The array form loops over channels.
    auto emitChannel = [&](OpBuilder &b, Location l, Value mValue, std::optional<int64_t> mStatic,
                           ValueRange positions) {
      Value n = positions[0];
      ValueRange space = positions.drop_front();
      Value g = group > 1 ? b.create<arith::DivUIOp>(l, mValue, indexConstant(b, l, outPerGroup))
                                .getResult()
                          : indexConstant(b, l, 0);
      // (n * C + g * C/group) * channelSize + sum of position * stride * inStride.
      Value base = b.create<arith::MulIOp>(
          l,
          b.create<arith::AddIOp>(
              l, b.create<arith::MulIOp>(l, n, indexConstant(b, l, inShape[1])),
              b.create<arith::MulIOp>(l, g, indexConstant(b, l, inPerGroup))),
          indexConstant(b, l, channelSize));
      for (size_t i = 0; i < spatial; ++i) {
        Value o = space[i];
        if (i + 1 == spatial)
          o = b.create<arith::MulIOp>(l, o, indexConstant(b, l, block));
        base = b.create<arith::AddIOp>(
            l, base, b.create<arith::MulIOp>(l, o, indexConstant(b, l, strides[i] * inStrides[i])));
      }
      llvm::SmallVector<Value> bases, inits;
      Value init = adaptor.getBias()
                       ? b.create<memref::LoadOp>(l, adaptor.getBias(), mValue).getResult()
                       : floatConstant(b, l, elem, 0.0);
      for (int64_t p = 0; p < block; ++p) {
        bases.push_back(p ? b.create<arith::AddIOp>(
                                l, base, indexConstant(b, l, p * strides.back()))
                                .getResult()
                          : base);
        inits.push_back(init);
      }
      llvm::SmallVector<Value> acc =
          accumulateRow(b, l, x, bases, inits, adaptor.getValues(), adaptor.getOffsets(),
                        adaptor.getRowStarts(), mValue, rows, mStatic);
      for (int64_t p = 0; p < block; ++p) {
        llvm::SmallVector<Value> at{n, mValue};
        at.append(space.begin(), space.end());
        Value lastIndex = b.create<arith::MulIOp>(l, space.back(), indexConstant(b, l, block));
        at.back() = b.create<arith::AddIOp>(l, lastIndex, indexConstant(b, l, p));
        Value value = acc[p];
        if (adaptor.getResidual())
          value = b.create<arith::AddFOp>(l, value,
                                          b.create<memref::LoadOp>(l, adaptor.getResidual(), at));
        b.create<memref::StoreOp>(l, applyEpilogue(b, l, value, op.getActAttr(), op.getQuantAttr()),
                                  *out, at);
      }
    };
    llvm::SmallVector<int64_t> positions{outShape[0]};
    positions.append(outShape.begin() + 2, outShape.end());
    positions.back() /= block;
    if (rows) {
      for (int64_t mm = 0; mm < m; ++mm)
        buildLoops(rewriter, loc, positions, [&](OpBuilder &b, Location l, ValueRange ivs) {
          emitChannel(b, l, indexConstant(b, l, mm), mm, ivs);
        });
    } else {
      llvm::SmallVector<int64_t> loops{m};
      loops.append(positions);
      buildLoops(rewriter, loc, loops, [&](OpBuilder &b, Location l, ValueRange ivs) {
        emitChannel(b, l, ivs[0], std::nullopt, ivs.drop_front());
      });
    }
    rewriter.replaceOp(op, *out);
    return success();
  }
};

struct SparseGemmLowering : OpConversionPattern<SparseGemmOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(SparseGemmOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    Location loc = op.getLoc();
    auto outShape = op.getType().getShape();
    int64_t k = op.getA().getType().getShape()[1];
    Type elem = op.getType().getElementType();
    std::optional<SparseRows> rows;
    if (op.getUnroll()) {
      rows = readRows(op.getValues(), op.getOffsets(), op.getRowStarts());
      if (!rows)
        return op.emitError() << "unrolled sparse weights must be constants";
    }
    Value a = flatten(rewriter, loc, adaptor.getA());
    auto cShape = adaptor.getC() ? op.getC().getType().getShape() : llvm::ArrayRef<int64_t>();
    auto emitColumn = [&](OpBuilder &b, Location l, Value i, Value j, std::optional<int64_t> jStatic) {
      Value base = b.create<arith::MulIOp>(l, i, indexConstant(b, l, k));
      Value acc = accumulateRow(b, l, a, base, floatConstant(b, l, elem, 0.0), adaptor.getValues(),
                                adaptor.getOffsets(), adaptor.getRowStarts(), j, rows, jStatic)[0];
      if (adaptor.getC())
        acc = b.create<arith::AddFOp>(
            l, acc, b.create<memref::LoadOp>(l, adaptor.getC(), broadcastIndices(b, l, cShape, {i, j})));
      b.create<memref::StoreOp>(l, applyEpilogue(b, l, acc, op.getActAttr(), op.getQuantAttr()),
                                *out, ValueRange{i, j});
    };
    if (rows) {
      for (int64_t j = 0; j < outShape[1]; ++j)
        buildLoops(rewriter, loc, outShape[0], [&](OpBuilder &b, Location l, ValueRange ivs) {
          emitColumn(b, l, ivs[0], indexConstant(b, l, j), j);
        });
    } else {
      buildLoops(rewriter, loc, outShape, [&](OpBuilder &b, Location l, ValueRange ivs) {
        emitColumn(b, l, ivs[0], ivs[1], std::nullopt);
      });
    }
    rewriter.replaceOp(op, *out);
    return success();
  }
};

} // namespace

void lowering::populateSparseLowering(RewritePatternSet &patterns,
                                      const TypeConverter &converter) {
  patterns.add<SparseConvLowering, SparseGemmLowering>(converter, patterns.getContext());
}
