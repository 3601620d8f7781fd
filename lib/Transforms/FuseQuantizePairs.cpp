//===- FuseQuantizePairs.cpp - QuantizeLinear -> DequantizeLinear pairs ---===//

#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCFUSEQUANTIZEPAIRS
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

/// The scalar of a constant one-element tensor.
template <typename T>
std::optional<T> scalarConstant(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || attr.getNumElements() != 1)
    return std::nullopt;
  return *attr.getValues<T>().begin();
}

struct QuantizePair : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DequantizeOp dq, PatternRewriter &rewriter) const override {
    auto q = dq.getInput().getDefiningOp<QuantizeOp>();
    if (!q || !dq.getType().getElementType().isF32())
      return failure();
    auto qScale = scalarConstant<float>(q.getScale());
    auto dqScale = scalarConstant<float>(dq.getScale());
    auto qZero = scalarConstant<llvm::APInt>(q.getZeroPoint());
    auto dqZero = scalarConstant<llvm::APInt>(dq.getZeroPoint());
    if (!qScale || !dqScale || !qZero || !dqZero || *qScale != *dqScale || *qZero != *dqZero)
      return failure();
    Type elem = q.getType().getElementType();
    unsigned width = elem.getIntOrFloatBitWidth();
    bool isUnsigned = elem.isUnsignedInteger();
    int64_t zeroPoint = isUnsigned ? qZero->getZExtValue() : qZero->getSExtValue();
    int64_t qmin = isUnsigned ? 0 : -(int64_t{1} << (width - 1));
    int64_t qmax = isUnsigned ? (int64_t{1} << width) - 1 : (int64_t{1} << (width - 1)) - 1;
    auto quant = FakeQuantAttr::get(getContext(), *qScale, zeroPoint, qmin, qmax);
    Location loc = rewriter.getFusedLoc({q.getLoc(), dq.getLoc()});
    auto fused = rewriter.create<FakeQuantOp>(loc, dq.getType(), q.getInput(), quant);
    recordApplied(fused, "fuse-quantize-pairs");
    rewriter.replaceOp(dq, fused);
    return success();
  }
};

struct FuseQuantizePairsPass
    : tinyc::impl::TinycFuseQuantizePairsBase<FuseQuantizePairsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<QuantizePair>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
