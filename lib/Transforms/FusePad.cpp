//===- FusePad.cpp - zero padding into the convolution --------------------===//

#include "tinyc/Dialect/TinycShapes.h"
#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCFUSEPAD
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

struct PadIntoConv : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvOp conv, PatternRewriter &rewriter) const override {
    auto pad = conv.getInput().getDefiningOp<PadOp>();
    if (!pad || pad.getMode() != PadMode::constant)
      return failure();
    DenseElementsAttr value;
    if (!matchPattern(pad.getValue(), m_Constant(&value)) || !value.isSplat() ||
        !value.getSplatValue<llvm::APFloat>().isPosZero())
      return failure();
    // Batch and channel dimensions stay; spatial pads must only add.
    llvm::ArrayRef<int64_t> pads = pad.getPads();
    size_t rank = pad.getType().getRank(), spatial = rank - 2;
    if (pads[0] || pads[1] || pads[rank] || pads[rank + 1])
      return failure();
    llvm::SmallVector<int64_t> merged(conv.getPads());
    for (size_t i = 0; i < spatial; ++i) {
      if (pads[2 + i] < 0 || pads[rank + 2 + i] < 0)
        return failure();
      merged[i] += pads[2 + i];
      merged[spatial + i] += pads[rank + 2 + i];
    }
    // Unless the merged pads give the convolution more border positions than
    // it may have: the Pad then stays, as cheap to lower as it is.
    auto in = pad.getInput().getType().getShape(), out = conv.getType().getShape();
    auto kernel = conv.getWeight().getType().getShape();
    for (size_t i = 0; i < spatial; ++i)
      if (countBorderPositions(out[2 + i], in[2 + i], kernel[2 + i], conv.getStrides()[i],
                               conv.getDilations()[i], merged[i]) > kMaxBorderPositions)
        return failure();
    rewriter.modifyOpInPlace(conv, [&] {
      conv.getInputMutable().assign(pad.getInput());
      conv.setPads(merged);
      conv->setLoc(rewriter.getFusedLoc({conv.getLoc(), pad.getLoc()}));
    });
    recordApplied(conv, "fuse-pad");
    if (pad->use_empty())
      rewriter.eraseOp(pad);
    return success();
  }
};

struct FusePadPass : tinyc::impl::TinycFusePadBase<FusePadPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<PadIntoConv>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
