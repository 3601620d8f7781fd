//===- Softmax.cpp - softmax along one axis -------------------------------===//

#include "Lowering.h"

#include <limits>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

/// exp(x - max) / sum(exp(x - max)) for each line along the axis: the
/// exponentials are written to the output, then divided in place.
struct SoftmaxLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    Type elem = op.getType().getElementType();
    int64_t axis = op.getAxis();
    llvm::SmallVector<int64_t> lines(op.getType().getShape());
    int64_t extent = lines[axis];
    lines[axis] = 1;
    Value input = adaptor.getInput();

    buildLoops(rewriter, op.getLoc(), lines, [&](OpBuilder &b, Location loc, ValueRange ivs) {
      auto at = [&](Value j) {
        llvm::SmallVector<Value> index(ivs);
        index[axis] = j;
        return index;
      };
      Value zero = indexConstant(b, loc, 0), n = indexConstant(b, loc, extent);
      auto reduce = [&](Value init,
                        llvm::function_ref<Value(OpBuilder &, Location, Value, Value)> step) {
        return buildReduction(b, loc, zero, n, init,
                              [&](OpBuilder &rb, Location l, ValueRange j,
                                  ValueRange acc) -> llvm::SmallVector<Value> {
                                return {step(rb, l, j[0], acc[0])};
                              })[0];
      };
      Value max = reduce(floatConstant(b, loc, elem, -std::numeric_limits<double>::infinity()),
                         [&](OpBuilder &rb, Location l, Value j, Value acc) -> Value {
                           Value x = rb.create<memref::LoadOp>(l, input, at(j));
                           Value greater =
                               rb.create<arith::CmpFOp>(l, arith::CmpFPredicate::OGT, x, acc);
                           return rb.create<arith::SelectOp>(l, greater, x, acc);
                         });
      Value sum = reduce(floatConstant(b, loc, elem, 0.0),
                         [&](OpBuilder &rb, Location l, Value j, Value acc) -> Value {
                           Value x = rb.create<memref::LoadOp>(l, input, at(j));
                           Value e = callRuntime(rb, l, kExpF, rb.create<arith::SubFOp>(l, x, max));
                           rb.create<memref::StoreOp>(l, e, *out, at(j));
                           return rb.create<arith::AddFOp>(l, acc, e);
                         });
      buildLoops(b, loc, extent, [&](OpBuilder &lb, Location l, ValueRange j) {
        Value e = lb.create<memref::LoadOp>(l, *out, at(j[0]));
        lb.create<memref::StoreOp>(l, lb.create<arith::DivFOp>(l, e, sum), *out, at(j[0]));
      });
    });
    rewriter.replaceOp(op, *out);
    return success();
  }
};

} // namespace

void lowering::populateSoftmaxLowering(RewritePatternSet &patterns,
                                       const TypeConverter &converter) {
  patterns.add<SoftmaxLowering>(converter, patterns.getContext());
}
