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

#include "WindowSchedule.h"

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

/// For each delta d, the sum over the row's taps of x[base + d + offset] *
/// value, starting from `inits`. The deltas are constants, so the loads of a
/// tap share one address computation (they become immediate offsets).
llvm::SmallVector<Value> accumulateRow(OpBuilder &b, Location loc, Value x, Value base,
                                       llvm::ArrayRef<int64_t> deltas, ValueRange inits,
                                       Value values, Value offsets, Value rowStarts, Value row,
                                       const std::optional<SparseRows> &unrolledRows,
                                       std::optional<int64_t> staticRow) {
  auto fm = contractFlags(b);
  auto tap = [&](OpBuilder &tb, Location l, Value at, Value w, ValueRange acc) {
    llvm::SmallVector<Value> next;
    for (auto [delta, sum] : llvm::zip(deltas, acc)) {
      Value index =
          delta ? tb.create<arith::AddIOp>(l, at, indexConstant(tb, l, delta)).getResult() : at;
      Value product = tb.create<arith::MulFOp>(l, tb.create<memref::LoadOp>(l, x, index), w, fm);
      next.push_back(tb.create<arith::AddFOp>(l, sum, product, fm));
    }
    return next;
  };
  if (unrolledRows && staticRow) {
    llvm::SmallVector<Value> acc(inits);
    Type elem = acc.front().getType();
    for (int64_t t = unrolledRows->rowStarts[*staticRow];
         t < unrolledRows->rowStarts[*staticRow + 1]; ++t) {
      Value at = b.create<arith::AddIOp>(loc, base, indexConstant(b, loc, unrolledRows->offsets[t]));
      acc = tap(b, loc, at, floatConstant(b, loc, elem, unrolledRows->values[t]), acc);
    }
    return acc;
  }
  Value begin = loadIndex(b, loc, rowStarts, row);
  Value end = loadIndex(b, loc, rowStarts, b.create<arith::AddIOp>(loc, row, indexConstant(b, loc, 1)));
  return buildReduction(
      b, loc, begin, end, inits,
      [&](OpBuilder &rb, Location l, ValueRange t, ValueRange acc) -> llvm::SmallVector<Value> {
        Value at = rb.create<arith::AddIOp>(l, base, loadIndex(rb, l, offsets, t[0]));
        return tap(rb, l, at, rb.create<memref::LoadOp>(l, values, t[0]), acc);
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
    // The taps are the rows' offsets, so the schedule sees a 1x1 window: one
    // interior segment per dimension, and blocks of output positions along
    // the last one that share each (offset, value) pair.
    WindowGeometry geometry;
    for (size_t i = 0; i < spatial; ++i) {
      geometry.output.push_back(outShape[2 + i]);
      geometry.input.push_back(inShape[2 + i]);
      geometry.kernel.push_back(1);
      geometry.strides.push_back(strides[i]);
      geometry.dilations.push_back(1);
      geometry.padBegin.push_back(0);
    }
    WindowSchedule schedule(std::move(geometry), SparseConvOp::getPositionBlock(outShape.back()),
                            /*forSize=*/false);
    std::optional<SparseRows> rows;
    if (op.getUnroll()) {
      rows = readRows(op.getValues(), op.getOffsets(), op.getRowStarts());
      if (!rows)
        return op.emitError() << "unrolled sparse weights must be constants";
    }
    Value x = flatten(rewriter, loc, adaptor.getInput());

    // Computes the outputs of channel m at `block` in image n.
    auto emitOutputs = [&](OpBuilder &b, Location l, Value mValue, std::optional<int64_t> mStatic,
                           Value n, const WindowBlock &block) {
      llvm::ArrayRef<Value> space = block.positions.front();
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
      for (size_t i = 0; i < spatial; ++i)
        base = b.create<arith::AddIOp>(
            l, base,
            b.create<arith::MulIOp>(l, space[i], indexConstant(b, l, strides[i] * inStrides[i])));
      Value init = adaptor.getBias()
                       ? b.create<memref::LoadOp>(l, adaptor.getBias(), mValue).getResult()
                       : floatConstant(b, l, elem, 0.0);
      int64_t width = block.positions.size();
      llvm::SmallVector<int64_t> deltas;
      for (int64_t p = 0; p < width; ++p)
        deltas.push_back(p * strides.back());
      llvm::SmallVector<Value> inits(width, init);
      llvm::SmallVector<Value> acc =
          accumulateRow(b, l, x, base, deltas, inits, adaptor.getValues(), adaptor.getOffsets(),
                        adaptor.getRowStarts(), mValue, rows, mStatic);
      for (auto [position, value] : llvm::zip(block.positions, acc)) {
        llvm::SmallVector<Value> at{n, mValue};
        at.append(position.begin(), position.end());
        storeWithEpilogue(b, l, value, *out, at, adaptor.getResidual(), op.getActAttr(),
                          op.getQuantAttr());
      }
    };
    // The unrolled form specialises each output channel: one loop nest per
    // channel with its taps as constants. The array form loops over channels.
    auto emitChannel = [&](std::optional<int64_t> mStatic) {
      llvm::SmallVector<int64_t> loops;
      if (!mStatic)
        loops.push_back(m);
      loops.push_back(outShape[0]);
      buildLoops(rewriter, loc, loops, [&](OpBuilder &b, Location l, ValueRange ivs) {
        Value mValue = mStatic ? indexConstant(b, l, *mStatic) : ivs.front();
        schedule.walk(b, l, [&](OpBuilder &wb, Location wl, const WindowBlock &block) {
          emitOutputs(wb, wl, mValue, mStatic, ivs.back(), block);
        });
      });
    };
    if (rows)
      for (int64_t mm = 0; mm < m; ++mm)
        emitChannel(mm);
    else
      emitChannel(std::nullopt);
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
      Value acc = accumulateRow(b, l, a, base, {0}, floatConstant(b, l, elem, 0.0),
                                adaptor.getValues(), adaptor.getOffsets(), adaptor.getRowStarts(),
                                j, rows, jStatic)[0];
      if (adaptor.getC())
        acc = b.create<arith::AddFOp>(
            l, acc, b.create<memref::LoadOp>(l, adaptor.getC(), broadcastIndices(b, l, cShape, {i, j})));
      storeWithEpilogue(b, l, acc, *out, ValueRange{i, j}, /*residual=*/{}, op.getActAttr(),
                        op.getQuantAttr());
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
