//===- Pool.cpp - max and average pooling on the window schedule ----------===//
//
// Pooling walks the same window schedule as convolution, so the border
// positions get constant taps and only the taps inside the input are read.
//
//===----------------------------------------------------------------------===//

#include "WindowSchedule.h"

#include <limits>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

/// The maximum or the average of channel `c` of image `n` over each window,
/// one accumulator per position.
class PoolAccumulator : public Accumulator {
public:
  PoolAccumulator(PoolOp op, Value input, Value n, Value c, const WindowSchedule &schedule)
      : op(op), input(input), n(n), c(c), schedule(schedule),
        elem(op.getType().getElementType()), isMax(op.getKind() == PoolKind::max) {}

  llvm::SmallVector<Value> init(OpBuilder &b, Location loc, const WindowBlock &block) override {
    Value init;
    if (!isMax)
      init = floatConstant(b, loc, elem, 0.0);
    else if (isa<FloatType>(elem))
      init = floatConstant(b, loc, elem, -std::numeric_limits<double>::infinity());
    else
      init = intConstant(b, loc, elem,
                         elem.isUnsignedInteger()
                             ? 0
                             : -(int64_t{1} << (elem.getIntOrFloatBitWidth() - 1)));
    return llvm::SmallVector<Value>(block.positions.size(), init);
  }

  llvm::SmallVector<Value> accumulate(OpBuilder &b, Location loc, const WindowBlock &,
                                      const WindowTap &tap, ValueRange acc) override {
    llvm::SmallVector<Value> next;
    for (auto [at, current] : llvm::zip(tap.inputAt, acc)) {
      llvm::SmallVector<Value> index{n, c};
      index.append(at);
      Value x = b.create<memref::LoadOp>(loc, input, index);
      next.push_back(isMax ? max(b, loc, x, current)
                           : b.create<arith::AddFOp>(loc, current, x).getResult());
    }
    return next;
  }

  llvm::SmallVector<Value> complete(OpBuilder &b, Location loc, const WindowBlock &block,
                                    llvm::ArrayRef<Value> lower, llvm::ArrayRef<Value> upper,
                                    ValueRange acc) override {
    if (isMax)
      return llvm::SmallVector<Value>(acc.begin(), acc.end());
    // ONNX divides by the taps inside the input, or with count_include_pad
    // by the taps inside the padded input (windows may reach past it in ceil
    // mode). Constant where the taps are.
    const WindowGeometry &g = schedule.getGeometry();
    size_t spatial = g.output.size();
    llvm::ArrayRef<int64_t> pads = op.getPads();
    Value count;
    for (size_t i = 0; i < spatial; ++i) {
      Value taps = op.getCountIncludePad()
                       ? schedule.countTaps(b, loc, block, i, lower[i], upper[i], -pads[i],
                                            g.input[i] + pads[i + spatial])
                       : b.create<arith::SubIOp>(loc, upper[i], lower[i]).getResult();
      count = count ? b.create<arith::MulIOp>(loc, count, taps).getResult() : taps;
    }
    Value divisor = b.create<arith::SIToFPOp>(
        loc, elem, b.create<arith::IndexCastOp>(loc, b.getI64Type(), count));
    llvm::SmallVector<Value> averages;
    for (Value sum : acc)
      averages.push_back(b.create<arith::DivFOp>(loc, sum, divisor));
    return averages;
  }

private:
  Value max(OpBuilder &b, Location loc, Value x, Value current) {
    Value greater;
    if (isa<FloatType>(elem))
      // A NaN wins and stays, as in NumPy's max.
      greater = b.create<arith::OrIOp>(
          loc, b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::OGT, x, current),
          b.create<arith::CmpFOp>(loc, arith::CmpFPredicate::UNO, x, x));
    else
      greater = b.create<arith::CmpIOp>(
          loc, elem.isUnsignedInteger() ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt,
          x, current);
    return b.create<arith::SelectOp>(loc, greater, x, current);
  }

  PoolOp op;
  Value input, n, c;
  const WindowSchedule &schedule;
  Type elem;
  bool isMax;
};

struct PoolLowering : OpConversionPattern<PoolOp> {
  PoolLowering(const TypeConverter &converter, MLIRContext *context, bool forSize)
      : OpConversionPattern(converter, context), forSize(forSize) {}

  LogicalResult matchAndRewrite(PoolOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    auto inShape = op.getInput().getType().getShape();
    auto outShape = op.getType().getShape();
    WindowGeometry geometry =
        makeWindowGeometry(outShape.drop_front(2), inShape.drop_front(2), op.getKernel(),
                           op.getStrides(), op.getDilations(), op.getPads());
    // No weight is shared between positions, so no position blocks.
    WindowSchedule schedule(std::move(geometry), /*positionBlock=*/1, forSize);
    buildLoops(rewriter, op.getLoc(), {outShape[0], outShape[1]},
               [&](OpBuilder &b, Location loc, ValueRange ivs) {
                 PoolAccumulator accumulator(op, adaptor.getInput(), ivs[0], ivs[1], schedule);
                 schedule.walk(b, loc, [&](OpBuilder &rb, Location l, const WindowBlock &block) {
                   llvm::SmallVector<Value> results = schedule.reduce(rb, l, block, accumulator);
                   for (auto [position, result] : llvm::zip(block.positions, results)) {
                     llvm::SmallVector<Value> at{ivs[0], ivs[1]};
                     at.append(position.begin(), position.end());
                     storeWithEpilogue(rb, l, result, *out, at, /*residual=*/{}, /*act=*/{},
                                       op.getQuantAttr());
                   }
                 });
               });
    rewriter.replaceOp(op, *out);
    return success();
  }

  bool forSize;
};

} // namespace

void lowering::populatePoolLowering(RewritePatternSet &patterns, const TypeConverter &converter,
                                    bool forSize) {
  patterns.add<PoolLowering>(converter, patterns.getContext(), forSize);
}
