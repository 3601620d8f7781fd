//===- Conv.cpp - convolution on the window schedule ----------------------===//
//
// For each block of output channels and block of output positions, the
// reduction runs over the group's input channels and the window's taps that
// land inside the input (WindowSchedule: padding costs no multiplications
// and needs no per-tap test). The accumulators stay in registers; bias,
// residual and the epilogue are applied once per output element.
//
//===----------------------------------------------------------------------===//

#include "WindowSchedule.h"

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

/// f32 multiply-add of a block of output channels of image `n` over the
/// input channels from `channelBase`: the accumulators are indexed
/// [position * channels + channel] and start at the bias.
class FmaAccumulator : public Accumulator {
public:
  FmaAccumulator(Value input, Value weight, Value n, Value channelBase,
                 llvm::ArrayRef<Value> channels, llvm::ArrayRef<Value> biases, int64_t inPerGroup,
                 arith::FastMathFlagsAttr fm)
      : input(input), weight(weight), n(n), channelBase(channelBase), channels(channels),
        biases(biases), inPerGroup(inPerGroup), fm(fm) {}

  int64_t outerExtent() const override { return inPerGroup; }

  llvm::SmallVector<Value> init(OpBuilder &, Location, const WindowBlock &block) override {
    llvm::SmallVector<Value> inits;
    for (size_t p = 0; p < block.positions.size(); ++p)
      inits.append(biases.begin(), biases.end());
    return inits;
  }

  llvm::SmallVector<Value> accumulate(OpBuilder &b, Location loc, const WindowBlock &,
                                      const WindowTap &tap, ValueRange sums) override {
    // Each input element loaded serves every channel, each weight every
    // position of the block.
    Value c = b.create<arith::AddIOp>(loc, channelBase, tap.outer);
    llvm::SmallVector<Value> xs;
    for (const auto &at : tap.inputAt) {
      llvm::SmallVector<Value> xIndex{n, c};
      xIndex.append(at);
      xs.push_back(b.create<memref::LoadOp>(loc, input, xIndex));
    }
    llvm::SmallVector<Value> next(sums.begin(), sums.end());
    for (auto [k, m] : llvm::enumerate(channels)) {
      llvm::SmallVector<Value> wIndex{m, tap.outer};
      wIndex.append(tap.taps);
      Value w = b.create<memref::LoadOp>(loc, weight, wIndex);
      for (auto [p, x] : llvm::enumerate(xs)) {
        Value product = b.create<arith::MulFOp>(loc, x, w, fm);
        Value &sum = next[p * channels.size() + k];
        sum = b.create<arith::AddFOp>(loc, sum, product, fm);
      }
    }
    return next;
  }

private:
  Value input, weight, n, channelBase;
  llvm::ArrayRef<Value> channels, biases;
  int64_t inPerGroup;
  arith::FastMathFlagsAttr fm;
};

struct ConvLowering : OpConversionPattern<ConvOp> {
  ConvLowering(const TypeConverter &converter, MLIRContext *context, bool forSize)
      : OpConversionPattern(converter, context), forSize(forSize) {}

  LogicalResult matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    auto inShape = op.getInput().getType().getShape();
    auto wShape = op.getWeight().getType().getShape();
    auto outShape = op.getType().getShape();
    int64_t group = op.getGroup();
    int64_t outPerGroup = wShape[0] / group, inPerGroup = wShape[1];
    WindowGeometry geometry =
        makeWindowGeometry(outShape.drop_front(2), inShape.drop_front(2), wShape.drop_front(2),
                           op.getStrides(), op.getDilations(), op.getPads());
    // Register blocking: up to 4 output channels times up to 4 adjacent
    // positions along the last dimension are computed together, so that each
    // weight loaded serves 4 and each input element 4 multiply-accumulates.
    // A depthwise convolution has one output channel per group, so it blocks
    // positions only. For size, one position at a time.
    WindowSchedule schedule(std::move(geometry), forSize ? 1 : 4, forSize);
    int64_t mBlock = ConvOp::getChannelBlock(outPerGroup);

    forEachChannelBlock(rewriter, op.getLoc(), outShape[0], group, inPerGroup, outPerGroup, mBlock,
                        [&](OpBuilder &b, Location loc, Value n, Value m0, Value channelBase,
                            int64_t count) {
                          emitChannels(b, loc, op, adaptor, schedule, *out, n, m0, channelBase,
                                       count);
                        });
    rewriter.replaceOp(op, *out);
    return success();
  }

  /// Computes output channels [m0, m0 + mBlock) of image n, whose group's
  /// input channels start at channelBase.
  void emitChannels(OpBuilder &b, Location loc, ConvOp op, OpAdaptor adaptor,
                    const WindowSchedule &schedule, Value out, Value n, Value m0,
                    Value channelBase, int64_t mBlock) const {
    Type elem = op.getType().getElementType();
    llvm::SmallVector<Value> channels, biases;
    for (int64_t k = 0; k < mBlock; ++k) {
      Value m = k ? b.create<arith::AddIOp>(loc, m0, indexConstant(b, loc, k)).getResult() : m0;
      channels.push_back(m);
      biases.push_back(adaptor.getBias()
                           ? b.create<memref::LoadOp>(loc, adaptor.getBias(), m).getResult()
                           : floatConstant(b, loc, elem, 0.0));
    }
    FmaAccumulator accumulator(adaptor.getInput(), adaptor.getWeight(), n, channelBase, channels,
                               biases, op.getWeight().getType().getShape()[1],
                               contractFlags(b));
    schedule.walk(b, loc, [&](OpBuilder &rb, Location l, const WindowBlock &block) {
      llvm::SmallVector<Value> sums = schedule.reduce(rb, l, block, accumulator);
      for (auto [p, position] : llvm::enumerate(block.positions))
        for (auto [k, m] : llvm::enumerate(channels)) {
          llvm::SmallVector<Value> at{n, m};
          at.append(position.begin(), position.end());
          storeWithEpilogue(rb, l, sums[p * mBlock + k], out, at, adaptor.getResidual(),
                            op.getActAttr(), op.getQuantAttr());
        }
    });
  }

  bool forSize;
};

} // namespace

void lowering::populateConvLowering(RewritePatternSet &patterns, const TypeConverter &converter,
                                    bool forSize) {
  patterns.add<ConvLowering>(converter, patterns.getContext(), forSize);
}
