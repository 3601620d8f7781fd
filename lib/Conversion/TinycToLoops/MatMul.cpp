//===- MatMul.cpp - Gemm and MatMul ---------------------------------------===//

#include "Lowering.h"

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

/// Y = alpha * op(A) op(B) + beta * C, then the fused activation.
struct GemmLowering : OpConversionPattern<GemmOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    Type elem = op.getType().getElementType();
    bool transA = op.getTransA(), transB = op.getTransB();
    auto aShape = op.getA().getType().getShape();
    int64_t k = transA ? aShape[0] : aShape[1];
    float alpha = op.getAlpha().convertToFloat(), beta = op.getBeta().convertToFloat();
    Value c = adaptor.getC();
    auto cShape = c ? op.getC().getType().getShape() : llvm::ArrayRef<int64_t>();
    ActivationAttr act = op.getActAttr();
    FakeQuantAttr quant = op.getQuantAttr();
    auto fm = contractFlags(rewriter);

    buildLoops(rewriter, op.getLoc(), op.getType().getShape(),
               [&](OpBuilder &b, Location loc, ValueRange ij) {
                 Value acc = buildReduction(
                     b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, k),
                     floatConstant(b, loc, elem, 0.0),
                     [&](OpBuilder &rb, Location l, ValueRange kk,
                         ValueRange sum) -> llvm::SmallVector<Value> {
                       Value a = rb.create<memref::LoadOp>(
                           l, adaptor.getA(),
                           transA ? ValueRange{kk[0], ij[0]} : ValueRange{ij[0], kk[0]});
                       Value bv = rb.create<memref::LoadOp>(
                           l, adaptor.getB(),
                           transB ? ValueRange{ij[1], kk[0]} : ValueRange{kk[0], ij[1]});
                       Value product = rb.create<arith::MulFOp>(l, a, bv, fm);
                       return {rb.create<arith::AddFOp>(l, sum[0], product, fm)};
                     })[0];
                 if (alpha != 1.0f)
                   acc = b.create<arith::MulFOp>(loc, floatConstant(b, loc, elem, alpha), acc);
                 if (c && beta != 0.0f) {
                   Value cv = b.create<memref::LoadOp>(loc, c, broadcastIndices(b, loc, cShape, ij));
                   if (beta != 1.0f)
                     cv = b.create<arith::MulFOp>(loc, floatConstant(b, loc, elem, beta), cv);
                   acc = b.create<arith::AddFOp>(loc, acc, cv);
                 }
                 b.create<memref::StoreOp>(loc, applyEpilogue(b, loc, acc, act, quant), *out, ij);
               });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

/// NumPy matmul: batch dimensions broadcast; a 1-d operand is a row (lhs) or
/// column (rhs) vector whose dimension the result does not have.
struct MatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    Type elem = op.getType().getElementType();
    auto lhsShape = op.getLhs().getType().getShape(), rhsShape = op.getRhs().getType().getShape();
    bool lhsVector = lhsShape.size() == 1, rhsVector = rhsShape.size() == 1;
    int64_t k = lhsShape.back();
    size_t outRank = op.getType().getRank();
    size_t batchRank = outRank - (lhsVector ? 0 : 1) - (rhsVector ? 0 : 1);
    ActivationAttr act = op.getActAttr();
    FakeQuantAttr quant = op.getQuantAttr();
    auto fm = contractFlags(rewriter);

    buildLoops(
        rewriter, op.getLoc(), op.getType().getShape(),
        [&](OpBuilder &b, Location loc, ValueRange ivs) {
          ValueRange batch = ivs.take_front(batchRank);
          Value row = lhsVector ? Value() : ivs[batchRank];
          Value col = rhsVector ? Value() : ivs.back();
          Value acc = buildReduction(
              b, loc, indexConstant(b, loc, 0), indexConstant(b, loc, k),
              floatConstant(b, loc, elem, 0.0),
              [&](OpBuilder &rb, Location l, ValueRange kk,
                  ValueRange sum) -> llvm::SmallVector<Value> {
                llvm::SmallVector<Value> li, ri;
                if (!lhsVector)
                  li = broadcastIndices(rb, l, lhsShape.drop_back(2), batch);
                if (!rhsVector)
                  ri = broadcastIndices(rb, l, rhsShape.drop_back(2), batch);
                if (row)
                  li.push_back(row);
                li.push_back(kk[0]);
                ri.push_back(kk[0]);
                if (col)
                  ri.push_back(col);
                Value x = rb.create<memref::LoadOp>(l, adaptor.getLhs(), li);
                Value y = rb.create<memref::LoadOp>(l, adaptor.getRhs(), ri);
                Value product = rb.create<arith::MulFOp>(l, x, y, fm);
                return {rb.create<arith::AddFOp>(l, sum[0], product, fm)};
              })[0];
          b.create<memref::StoreOp>(loc, applyEpilogue(b, loc, acc, act, quant), *out, ivs);
        });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

} // namespace

void lowering::populateMatMulLowering(RewritePatternSet &patterns, const TypeConverter &converter) {
  patterns.add<GemmLowering, MatMulLowering>(converter, patterns.getContext());
}
