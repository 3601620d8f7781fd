//===- FuseOps.cpp - activations, quantization and residuals into epilogues ===//

#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCFUSEOPS
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

/// Operators with an epilogue: an optional `act` and/or `quant`.
bool hasEpilogue(Operation *op, bool forQuant) {
  if (isa<ConvOp, GemmOp, MatMulOp, AddOp, SubOp, MulOp, DivOp>(op))
    return isa<FloatType>(cast<RankedTensorType>(op->getResult(0).getType()).getElementType());
  if (isa<ScaleShiftOp>(op))
    return !forQuant;
  if (auto pool = dyn_cast<PoolOp>(op))
    return forQuant && pool.getType().getElementType().isF32();
  return false;
}

/// activation(producer(...)) ==> producer(...) {act}
struct ActivationIntoProducer : OpRewritePattern<ActivationOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ActivationOp op, PatternRewriter &rewriter) const override {
    Operation *producer = op.getInput().getDefiningOp();
    if (!producer || !producer->hasOneUse() || !hasEpilogue(producer, /*forQuant=*/false) ||
        producer->hasAttr("act") || producer->hasAttr("quant"))
      return failure();
    rewriter.modifyOpInPlace(producer, [&] {
      producer->setAttr("act", op.getAct());
      producer->setLoc(rewriter.getFusedLoc({producer->getLoc(), op.getLoc()}));
    });
    recordApplied(producer, "fuse-ops: activation", {op});
    rewriter.replaceOp(op, producer->getResults());
    return success();
  }
};

/// fake_quant(producer(...)) ==> producer(...) {quant}
struct FakeQuantIntoProducer : OpRewritePattern<FakeQuantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FakeQuantOp op, PatternRewriter &rewriter) const override {
    Operation *producer = op.getInput().getDefiningOp();
    if (!producer || !producer->hasOneUse() || !hasEpilogue(producer, /*forQuant=*/true) ||
        producer->hasAttr("quant"))
      return failure();
    rewriter.modifyOpInPlace(producer, [&] {
      producer->setAttr("quant", op.getQuant());
      producer->setLoc(rewriter.getFusedLoc({producer->getLoc(), op.getLoc()}));
    });
    recordApplied(producer, "fuse-ops: quantization", {op});
    rewriter.replaceOp(op, producer->getResults());
    return success();
  }
};

/// add(conv(x), r) ==> conv(x) residual r, created where the add was (r may
/// be computed after the convolution).
struct ResidualIntoConv : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    for (auto [mine, other] : {std::pair{add.getLhs(), add.getRhs()},
                               std::pair{add.getRhs(), add.getLhs()}}) {
      auto conv = getSoleProducer<ConvOp>(mine);
      if (!conv || conv.getResidual() || conv.getActAttr() || conv.getQuantAttr() ||
          other.getType() != add.getType() || conv.getType() != add.getType())
        continue;
      auto fused = rewriter.create<ConvOp>(
          rewriter.getFusedLoc({conv.getLoc(), add.getLoc()}), conv.getType(), conv.getInput(),
          conv.getWeight(), conv.getBias(), other, conv.getStridesAttr(), conv.getDilationsAttr(),
          conv.getPadsAttr(), conv.getGroupAttr(), add.getActAttr(), add.getQuantAttr());
      recordApplied(fused, "fuse-ops: residual add", {conv, add});
      rewriter.replaceOp(add, fused);
      rewriter.eraseOp(conv);
      return success();
    }
    return failure();
  }
};

/// add(matmul(a, b), c) with 2-d a, b and c a bias row ==> gemm(a, b, c).
struct BiasIntoMatMul : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add, PatternRewriter &rewriter) const override {
    for (auto [mine, other] : {std::pair{add.getLhs(), add.getRhs()},
                               std::pair{add.getRhs(), add.getLhs()}}) {
      auto matmul = getSoleProducer<MatMulOp>(mine);
      auto bias = other.getDefiningOp<ConstantOp>();
      if (!matmul || !bias || matmul.getActAttr() || matmul.getQuantAttr() ||
          matmul.getLhs().getType().getRank() != 2 || matmul.getRhs().getType().getRank() != 2 ||
          matmul.getType() != add.getType())
        continue;
      auto biasShape = bias.getType().getShape();
      int64_t n = add.getType().getShape()[1];
      if (bias.getType().getNumElements() != n || biasShape.empty() || biasShape.back() != n)
        continue;
      auto gemm = rewriter.create<GemmOp>(
          rewriter.getFusedLoc({matmul.getLoc(), add.getLoc()}), add.getType(), matmul.getLhs(),
          matmul.getRhs(), other, rewriter.getBoolAttr(false), rewriter.getBoolAttr(false),
          rewriter.getF32FloatAttr(1.0f), rewriter.getF32FloatAttr(1.0f), add.getActAttr(),
          add.getQuantAttr());
      recordApplied(gemm, "fuse-ops: bias add", {matmul, add});
      rewriter.replaceOp(add, gemm);
      rewriter.eraseOp(matmul);
      return success();
    }
    return failure();
  }
};

struct FuseOpsPass : tinyc::impl::TinycFuseOpsBase<FuseOpsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ActivationIntoProducer, FakeQuantIntoProducer, ResidualIntoConv, BiasIntoMatMul>(
        &getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
