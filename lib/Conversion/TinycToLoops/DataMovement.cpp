//===- DataMovement.cpp - constants, reshapes, transposes, concat, pad ----===//

#include "Lowering.h"

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

Type elementTypeOf(Value tensor) { return cast<RankedTensorType>(tensor.getType()).getElementType(); }
llvm::ArrayRef<int64_t> shapeOf(Value tensor) {
  return cast<RankedTensorType>(tensor.getType()).getShape();
}

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto global = op->getAttrOfType<FlatSymbolRefAttr>(kGlobalAttr);
    if (!global)
      return op.emitError() << "has no global (tinyc-lower-to-loops creates them first)";
    rewriter.replaceOpWithNewOp<memref::GetGlobalOp>(op, bufferType(op.getType()),
                                                     global.getValue());
    return success();
  }
};

/// A reshape is a new view of the same bytes.
struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, reinterpretAs(rewriter, op.getLoc(), adaptor.getInput(), bufferType(op.getType())));
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    llvm::ArrayRef<int64_t> perm = op.getPerm();
    llvm::SmallVector<int64_t> inversePerm(perm.size());
    for (auto [i, p] : llvm::enumerate(perm))
      inversePerm[p] = i;
    buildLoops(rewriter, op.getLoc(), op.getType().getShape(),
               [&](OpBuilder &b, Location loc, ValueRange ivs) {
                 llvm::SmallVector<Value> in;
                 for (int64_t d : inversePerm)
                   in.push_back(ivs[d]);
                 Value v = b.create<memref::LoadOp>(loc, adaptor.getInput(), in);
                 b.create<memref::StoreOp>(loc, v, *out, ivs);
               });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    int64_t axis = op.getAxis(), offset = 0;
    for (auto [input, buffer] : llvm::zip(op.getInputs(), adaptor.getInputs())) {
      buildLoops(rewriter, op.getLoc(), shapeOf(input),
                 [&](OpBuilder &b, Location loc, ValueRange ivs) {
                   llvm::SmallVector<Value> at(ivs);
                   at[axis] = b.create<arith::AddIOp>(loc, ivs[axis],
                                                      indexConstant(b, loc, offset));
                   Value v = b.create<memref::LoadOp>(loc, buffer, ivs);
                   b.create<memref::StoreOp>(loc, v, *out, at);
                 });
      offset += shapeOf(input)[axis];
    }
    rewriter.replaceOp(op, *out);
    return success();
  }
};

struct PadLowering : OpConversionPattern<PadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(PadOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    llvm::ArrayRef<int64_t> inShape = shapeOf(op.getInput());
    llvm::ArrayRef<int64_t> pads = op.getPads();
    size_t rank = inShape.size();
    PadMode mode = op.getMode();
    Value padValue = rewriter.create<memref::LoadOp>(op.getLoc(), adaptor.getValue());
    if (mode == PadMode::constant && llvm::all_of(pads, [](int64_t p) { return p >= 0; })) {
      // Fill, then copy the input into the interior: no test per element,
      // and contiguous rows that LLVM turns into memset/memcpy.
      buildLoops(rewriter, op.getLoc(), op.getType().getShape(),
                 [&](OpBuilder &b, Location loc, ValueRange ivs) {
                   b.create<memref::StoreOp>(loc, padValue, *out, ivs);
                 });
      buildLoops(rewriter, op.getLoc(), inShape, [&](OpBuilder &b, Location loc, ValueRange ivs) {
        llvm::SmallVector<Value> at;
        for (size_t d = 0; d < rank; ++d)
          at.push_back(pads[d] ? b.create<arith::AddIOp>(loc, ivs[d], indexConstant(b, loc, pads[d]))
                                     .getResult()
                               : ivs[d]);
        Value v = b.create<memref::LoadOp>(loc, adaptor.getInput(), ivs);
        b.create<memref::StoreOp>(loc, v, *out, at);
      });
      rewriter.replaceOp(op, *out);
      return success();
    }
    buildLoops(
        rewriter, op.getLoc(), op.getType().getShape(),
        [&](OpBuilder &b, Location loc, ValueRange ivs) {
          llvm::SmallVector<Value> in;
          Value inBounds;
          for (size_t d = 0; d < rank; ++d) {
            Value c = ivs[d];
            if (pads[d] != 0)
              c = b.create<arith::SubIOp>(loc, c, indexConstant(b, loc, pads[d]));
            if (pads[d] == 0 && pads[d + rank] <= 0) {
              in.push_back(c); // Never outside the input along this dimension.
              continue;
            }
            Value zero = indexConstant(b, loc, 0), last = indexConstant(b, loc, inShape[d] - 1);
            if (mode == PadMode::constant) {
              Value ok = b.create<arith::AndIOp>(
                  loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, c, zero),
                  b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sle, c, last));
              inBounds = inBounds ? b.create<arith::AndIOp>(loc, inBounds, ok).getResult() : ok;
            } else if (mode == PadMode::edge) {
              c = b.create<arith::MaxSIOp>(loc, b.create<arith::MinSIOp>(loc, c, last), zero);
            } else {
              // Reflect once: pads are smaller than the extent (verified).
              Value negated = b.create<arith::SubIOp>(loc, zero, c);
              c = b.create<arith::MaxSIOp>(loc, c, negated);
              Value mirrored = b.create<arith::SubIOp>(
                  loc, indexConstant(b, loc, 2 * (inShape[d] - 1)), c);
              c = b.create<arith::MinSIOp>(loc, c, mirrored);
            }
            in.push_back(c);
          }
          Value v;
          if (!inBounds) {
            v = b.create<memref::LoadOp>(loc, adaptor.getInput(), in);
          } else {
            auto ifOp = b.create<scf::IfOp>(
                loc, inBounds,
                [&](OpBuilder &t, Location l) {
                  t.create<scf::YieldOp>(
                      l, t.create<memref::LoadOp>(l, adaptor.getInput(), in).getResult());
                },
                [&](OpBuilder &e, Location l) { e.create<scf::YieldOp>(l, padValue); });
            v = ifOp.getResult(0);
          }
          b.create<memref::StoreOp>(loc, v, *out, ivs);
        });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    int64_t axis = op.getAxis();
    int64_t indexRank = shapeOf(op.getIndices()).size();
    int64_t extent = shapeOf(op.getData())[axis];
    Type indexElem = elementTypeOf(op.getIndices());
    buildLoops(rewriter, op.getLoc(), op.getType().getShape(),
               [&](OpBuilder &b, Location loc, ValueRange ivs) {
                 Value raw = b.create<memref::LoadOp>(loc, adaptor.getIndices(),
                                                      ivs.slice(axis, indexRank));
                 if (!indexElem.isInteger(64))
                   raw = b.create<arith::ExtSIOp>(loc, b.getI64Type(), raw);
                 Value i = b.create<arith::IndexCastOp>(loc, b.getIndexType(), raw);
                 Value zero = indexConstant(b, loc, 0), n = indexConstant(b, loc, extent);
                 Value negative = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, i, zero);
                 i = b.create<arith::SelectOp>(loc, negative, b.create<arith::AddIOp>(loc, i, n), i);
                 // Out of range reads element 0 rather than memory outside the tensor.
                 Value valid = b.create<arith::AndIOp>(
                     loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, i, zero),
                     b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, i, n));
                 i = b.create<arith::SelectOp>(loc, valid, i, zero);
                 llvm::SmallVector<Value> in(ivs.take_front(axis));
                 in.push_back(i);
                 in.append(ivs.begin() + axis + indexRank, ivs.end());
                 Value v = b.create<memref::LoadOp>(loc, adaptor.getData(), in);
                 b.create<memref::StoreOp>(loc, v, *out, ivs);
               });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

/// GatherElements: the index at each output position replaces the position's
/// coordinate along the axis; out of range reads 0, not memory outside.
struct GatherElementsLowering : OpConversionPattern<GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(GatherElementsOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    int64_t axis = op.getAxis();
    int64_t extent = shapeOf(op.getData())[axis];
    Type indexElem = elementTypeOf(op.getIndices());
    Type elem = op.getType().getElementType();
    buildLoops(rewriter, op.getLoc(), op.getType().getShape(),
               [&](OpBuilder &b, Location loc, ValueRange ivs) {
                 Value raw = b.create<memref::LoadOp>(loc, adaptor.getIndices(), ivs);
                 if (!indexElem.isInteger(64))
                   raw = b.create<arith::ExtSIOp>(loc, b.getI64Type(), raw);
                 Value i = b.create<arith::IndexCastOp>(loc, b.getIndexType(), raw);
                 Value zero = indexConstant(b, loc, 0), n = indexConstant(b, loc, extent);
                 Value negative = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, i, zero);
                 i = b.create<arith::SelectOp>(loc, negative, b.create<arith::AddIOp>(loc, i, n), i);
                 Value valid = b.create<arith::AndIOp>(
                     loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, i, zero),
                     b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, i, n));
                 llvm::SmallVector<Value> in(ivs.begin(), ivs.end());
                 in[axis] = b.create<arith::SelectOp>(loc, valid, i, zero);
                 Value v = b.create<memref::LoadOp>(loc, adaptor.getData(), in);
                 Value none = isa<FloatType>(elem) ? floatConstant(b, loc, elem, 0.0)
                                                   : intConstant(b, loc, elem, 0);
                 b.create<memref::StoreOp>(loc, b.create<arith::SelectOp>(loc, valid, v, none),
                                           *out, ivs);
               });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

} // namespace

void lowering::populateDataMovementLowering(RewritePatternSet &patterns,
                                            const TypeConverter &converter) {
  patterns.add<ConstantLowering, ReshapeLowering, TransposeLowering, ConcatLowering, PadLowering,
               GatherLowering, GatherElementsLowering>(converter, patterns.getContext());
}
