//===- FoldBatchNorm.cpp - BatchNormalization into the weights before it --===//

#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCFOLDBATCHNORM
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

/// The normalization as y = x * s + t per channel, computed as ONNX Runtime
/// does (s = scale / sqrt(var + eps), t = bias - mean * s, in float).
struct Affine {
  std::vector<float> s, t;
};

std::optional<Affine> constantAffine(BatchNormOp bn) {
  auto scale = readConstantFloats(bn.getScale()), bias = readConstantFloats(bn.getBias());
  auto mean = readConstantFloats(bn.getMean()), var = readConstantFloats(bn.getVar());
  if (!scale || !bias || !mean || !var)
    return std::nullopt;
  float eps = bn.getEpsilon().convertToFloat();
  Affine a;
  for (size_t c = 0; c < scale->size(); ++c) {
    a.s.push_back((*scale)[c] / std::sqrt((*var)[c] + eps));
    a.t.push_back((*bias)[c] - (*mean)[c] * a.s.back());
  }
  return a;
}

/// conv(x, w, b) then x * s + t  ==>  conv(x, w * s, b * s + t).
LogicalResult foldIntoConv(BatchNormOp bn, const Affine &a, PatternRewriter &rewriter) {
  auto conv = getSoleProducer<ConvOp>(bn.getInput());
  if (!conv || conv.getActAttr() || conv.getQuantAttr() || conv.getResidual())
    return failure();
  auto weight = readConstantFloats(conv.getWeight());
  std::optional<std::vector<float>> bias =
      conv.getBias() ? readConstantFloats(conv.getBias()) : std::vector<float>(a.s.size(), 0.0f);
  if (!weight || !bias)
    return failure();
  size_t perChannel = weight->size() / a.s.size();
  for (size_t m = 0; m < a.s.size(); ++m) {
    for (size_t i = 0; i < perChannel; ++i)
      (*weight)[m * perChannel + i] *= a.s[m];
    (*bias)[m] = (*bias)[m] * a.s[m] + a.t[m];
  }
  Location loc = rewriter.getFusedLoc({conv.getLoc(), bn.getLoc()});
  Value w = makeConstantFloats(rewriter, loc, conv.getWeight().getType().getShape(), *weight);
  Value b = makeConstantFloats(rewriter, loc, {static_cast<int64_t>(bias->size())}, *bias);
  auto folded = rewriter.create<ConvOp>(
      loc, conv.getType(), conv.getInput(), w, b, Value(), conv.getStridesAttr(),
      conv.getDilationsAttr(), conv.getPadsAttr(), conv.getGroupAttr(), ActivationAttr(),
      FakeQuantAttr());
  recordApplied(folded, "fold-batchnorm", {conv});
  rewriter.replaceOp(bn, folded);
  rewriter.eraseOp(conv);
  return success();
}

/// A 2-d product y[M, N] normalized over N: the weight columns scale, and the
/// shift joins (or becomes) the bias: gemm(a, b * s, beta * c * s + t).
LogicalResult foldIntoGemm(BatchNormOp bn, const Affine &a, PatternRewriter &rewriter) {
  Operation *producer = bn.getInput().getDefiningOp();
  if (!producer || !producer->hasOneUse() || bn.getType().getRank() != 2)
    return failure();
  std::optional<ConstantProduct> p = matchConstantProduct(producer);
  if (!p || p->act || p->quant)
    return failure();
  size_t n = a.s.size();
  std::vector<float> bias(n, 0.0f);
  if (p->c) {
    // Only a bias per output column folds this way.
    auto cValues = readConstantFloats(p->c);
    auto cShape = cast<RankedTensorType>(p->c.getType()).getShape();
    if (!cValues || cValues->size() != n || cShape.back() != static_cast<int64_t>(n))
      return failure();
    bias = *cValues;
  }
  std::vector<float> weight = std::move(p->weight);
  for (size_t i = 0; i < weight.size(); ++i)
    weight[i] *= a.s[p->columnOf(i)];
  for (size_t j = 0; j < n; ++j)
    bias[j] = p->beta * bias[j] * a.s[j] + a.t[j];
  Location loc = rewriter.getFusedLoc({producer->getLoc(), bn.getLoc()});
  Value w = makeConstantFloats(rewriter, loc, cast<RankedTensorType>(p->b.getType()).getShape(),
                               weight);
  Value b = makeConstantFloats(rewriter, loc, {static_cast<int64_t>(n)}, bias);
  auto folded = rewriter.create<GemmOp>(
      loc, bn.getType(), p->a, w, b, rewriter.getBoolAttr(p->transA),
      rewriter.getBoolAttr(p->transB), rewriter.getF32FloatAttr(p->alpha),
      rewriter.getF32FloatAttr(1.0f), ActivationAttr(), FakeQuantAttr());
  recordApplied(folded, "fold-batchnorm", {producer});
  rewriter.replaceOp(bn, folded);
  rewriter.eraseOp(producer);
  return success();
}

struct FoldBatchNorm : OpRewritePattern<BatchNormOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BatchNormOp bn, PatternRewriter &rewriter) const override {
    if (!bn.getType().getElementType().isF32())
      return failure();
    std::optional<Affine> a = constantAffine(bn);
    if (!a)
      return failure();
    if (succeeded(foldIntoConv(bn, *a, rewriter)) || succeeded(foldIntoGemm(bn, *a, rewriter)))
      return success();
    // Nothing to fold into: one per-channel scale and shift.
    int64_t channels = a->s.size();
    Value s = makeConstantFloats(rewriter, bn.getLoc(), {channels}, a->s);
    Value t = makeConstantFloats(rewriter, bn.getLoc(), {channels}, a->t);
    auto affine =
        rewriter.create<ScaleShiftOp>(bn.getLoc(), bn.getType(), bn.getInput(), s, t, ActivationAttr());
    recordApplied(affine, "fold-batchnorm");
    rewriter.replaceOp(bn, affine);
    return success();
  }
};

struct FoldBatchNormPass : tinyc::impl::TinycFoldBatchNormBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldBatchNorm>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
