//===- FactorizeConv.cpp - KxK convolutions into Kx1 and 1xK --------------===//

#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/FormatVariadic.h"

#include <Eigen/SVD>

#include <cmath>

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCFACTORIZECONV
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

struct Factorization {
  /// Which spatial axis the first convolution runs along (0: height).
  unsigned firstAxis = 0;
  int64_t rank = 0;
  double error = 0.0; // relative Frobenius error of the weights
  int64_t macsBefore = 0, macsAfter = 0;
  std::vector<float> first, second; // weights of the two convolutions
};

/// The cheapest factorization of `conv` whose weight error is within
/// `tolerance`, if it saves multiply-accumulates.
std::optional<Factorization> factorize(ConvOp conv, llvm::ArrayRef<float> weight,
                                       double tolerance) {
  auto wShape = conv.getWeight().getType().getShape();
  auto inShape = conv.getInput().getType().getShape();
  auto outShape = conv.getType().getShape();
  int64_t m = wShape[0], cg = wShape[1], k = wShape[2], group = conv.getGroup();
  int64_t mg = m / group;
  std::optional<Factorization> best;
  for (unsigned axis : {0u, 1u}) {
    // Per group: rows (c, tap along `axis`), columns (m, tap along the other).
    std::vector<Eigen::BDCSVD<Eigen::MatrixXd>> svds;
    double total = 0.0;
    for (int64_t g = 0; g < group; ++g) {
      Eigen::MatrixXd a(cg * k, mg * k);
      for (int64_t o = 0; o < mg; ++o)
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t kh = 0; kh < k; ++kh)
            for (int64_t kw = 0; kw < k; ++kw) {
              double v = weight[(((g * mg + o) * cg + c) * k + kh) * k + kw];
              int64_t along = axis == 0 ? kh : kw, across = axis == 0 ? kw : kh;
              a(c * k + along, o * k + across) = v;
              total += v * v;
            }
      svds.emplace_back(a, Eigen::ComputeThinU | Eigen::ComputeThinV);
    }
    if (total == 0.0)
      return std::nullopt;
    // The smallest rank (the same for every group) within the tolerance.
    int64_t maxRank = std::min(cg * k, mg * k);
    int64_t rank = maxRank;
    double error = 0.0;
    for (int64_t r = 1; r <= maxRank; ++r) {
      double residual = 0.0;
      for (auto &svd : svds)
        for (int64_t i = r; i < svd.singularValues().size(); ++i)
          residual += svd.singularValues()[i] * svd.singularValues()[i];
      if (std::sqrt(residual / total) <= tolerance) {
        rank = r, error = std::sqrt(residual / total);
        break;
      }
    }
    // Multiply-accumulates: the first convolution produces group * rank
    // channels at the output's extent along its axis and the input's along the
    // other; the second reads them.
    int64_t n = outShape[0];
    int64_t firstExtent = axis == 0 ? outShape[2] * inShape[3] : inShape[2] * outShape[3];
    int64_t macsFirst = n * group * rank * cg * k * firstExtent;
    int64_t macsSecond = n * m * rank * k * outShape[2] * outShape[3];
    int64_t before = conv.getMacCount();
    if (macsFirst + macsSecond >= before || (best && macsFirst + macsSecond >= best->macsAfter))
      continue;
    Factorization f;
    f.firstAxis = axis, f.rank = rank, f.error = error;
    f.macsBefore = before, f.macsAfter = macsFirst + macsSecond;
    f.first.assign(group * rank * cg * k, 0.0f);
    f.second.assign(m * rank * k, 0.0f);
    for (int64_t g = 0; g < group; ++g) {
      const auto &svd = svds[g];
      int64_t available = svd.singularValues().size();
      for (int64_t r = 0; r < std::min(rank, available); ++r) {
        double root = std::sqrt(svd.singularValues()[r]);
        for (int64_t c = 0; c < cg; ++c)
          for (int64_t t = 0; t < k; ++t)
            f.first[((g * rank + r) * cg + c) * k + t] =
                static_cast<float>(svd.matrixU()(c * k + t, r) * root);
        for (int64_t o = 0; o < mg; ++o)
          for (int64_t t = 0; t < k; ++t)
            f.second[((g * mg + o) * rank + r) * k + t] =
                static_cast<float>(svd.matrixV()(o * k + t, r) * root);
      }
    }
    best = std::move(f);
  }
  return best;
}

struct FactorizeConv : OpRewritePattern<ConvOp> {
  FactorizeConv(MLIRContext *context, double tolerance)
      : OpRewritePattern(context), tolerance(tolerance) {}

  LogicalResult matchAndRewrite(ConvOp conv, PatternRewriter &rewriter) const override {
    auto wShape = conv.getWeight().getType().getShape();
    if (conv.getNumSpatialDims() != 2 || wShape[2] != wShape[3] || wShape[2] < 3 ||
        !conv.getType().getElementType().isF32())
      return failure();
    std::optional<std::vector<float>> weight = readConstantFloats(conv.getWeight());
    if (!weight)
      return failure();
    std::optional<Factorization> f =
        factorize(conv, *weight, std::max(tolerance, kExactFactorizationTolerance));
    if (!f)
      return failure();

    int64_t k = wShape[2], group = conv.getGroup(), m = wShape[0], cg = wShape[1];
    auto inShape = conv.getInput().getType().getShape();
    auto outShape = conv.getType().getShape();
    llvm::ArrayRef<int64_t> strides = conv.getStrides(), dilations = conv.getDilations(),
                            pads = conv.getPads();
    unsigned a = f->firstAxis, b = 1 - a;
    auto along = [&](unsigned axis, int64_t value, int64_t other) {
      return axis == 0 ? llvm::SmallVector<int64_t>{value, other}
                       : llvm::SmallVector<int64_t>{other, value};
    };
    // First: taps, stride, dilation and padding of axis `a` only.
    llvm::SmallVector<int64_t> firstPads(4, 0), secondPads(4, 0);
    firstPads[a] = pads[a], firstPads[2 + a] = pads[2 + a];
    secondPads[b] = pads[b], secondPads[2 + b] = pads[2 + b];
    llvm::SmallVector<int64_t> midShape{outShape[0], group * f->rank};
    midShape.append(along(a, outShape[2 + a], inShape[2 + b]));
    Location loc = conv.getLoc();
    auto firstKernel = along(a, k, 1), secondKernel = along(a, 1, k);
    llvm::SmallVector<int64_t> firstWeightShape{group * f->rank, cg}, secondWeightShape{m, f->rank};
    firstWeightShape.append(firstKernel);
    secondWeightShape.append(secondKernel);
    Value firstWeight = makeConstantFloats(rewriter, loc, firstWeightShape, f->first);
    Value secondWeight = makeConstantFloats(rewriter, loc, secondWeightShape, f->second);
    auto elem = conv.getType().getElementType();
    auto first = rewriter.create<ConvOp>(
        loc, RankedTensorType::get(midShape, elem), conv.getInput(), firstWeight, Value(), Value(),
        rewriter.getDenseI64ArrayAttr(along(a, strides[a], 1)),
        rewriter.getDenseI64ArrayAttr(along(a, dilations[a], 1)),
        rewriter.getDenseI64ArrayAttr(firstPads), conv.getGroupAttr(), ActivationAttr(),
        FakeQuantAttr());
    auto second = rewriter.create<ConvOp>(
        loc, conv.getType(), first, secondWeight, conv.getBias(), conv.getResidual(),
        rewriter.getDenseI64ArrayAttr(along(b, strides[b], 1)),
        rewriter.getDenseI64ArrayAttr(along(b, dilations[b], 1)),
        rewriter.getDenseI64ArrayAttr(secondPads), conv.getGroupAttr(), conv.getActAttr(),
        conv.getQuantAttr());
    std::string what = llvm::formatv("factorize-conv: {0}x{1} rank {2}, weight error {3:e1}, "
                                     "MACs {4} -> {5}",
                                     k, k, f->rank, f->error, f->macsBefore, f->macsAfter)
                           .str();
    // The pattern does not match the results again: their kernels are not square.
    for (ConvOp part : {first, second})
      recordApplied(part, what, {conv});
    if (tolerance > 0.0)
      emitRemark(loc) << "factorized the " << k << "x" << k << " convolution to rank "
                      << f->rank << " (relative weight error "
                      << llvm::formatv("{0:e2}", f->error) << "): " << f->macsBefore
                      << " -> " << f->macsAfter << " MACs";
    rewriter.replaceOp(conv, second);
    return success();
  }

  double tolerance;
};

struct FactorizeConvPass : tinyc::impl::TinycFactorizeConvBase<FactorizeConvPass> {
  using TinycFactorizeConvBase::TinycFactorizeConvBase;

  void runOnOperation() override {
    if (failed(checkFactorizationTolerance(getOperation(), tolerance)))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<FactorizeConv>(&getContext(), tolerance);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
