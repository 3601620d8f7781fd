//===- FactorizeMatrices.cpp - low-rank Gemm, MatMul and 1x1 weights ------===//

#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/FormatVariadic.h"

#include <Eigen/SVD>

#include <cmath>

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCFACTORIZEMATRICES
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

/// W (rows x cols) ~ P (rows x rank) * Q (rank x cols), row-major.
struct LowRank {
  int64_t rows = 0, cols = 0, rank = 0;
  double error = 0.0; // relative Frobenius error of the weights
  std::vector<float> p, q;
};

/// The smallest rank whose relative weight error is within `tolerance`, if
/// the two factors hold fewer weights than W (and so take fewer
/// multiply-accumulates: both scale with rank * (rows + cols)).
std::optional<LowRank> factorize(const Eigen::MatrixXd &w, double tolerance) {
  int64_t rows = w.rows(), cols = w.cols();
  double total = w.squaredNorm();
  if (total == 0.0)
    return std::nullopt;
  Eigen::BDCSVD<Eigen::MatrixXd> svd(w, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const Eigen::VectorXd &sigma = svd.singularValues();
  // residual[r]: the squared error of keeping r singular values.
  int64_t n = sigma.size();
  std::vector<double> residual(n + 1, 0.0);
  for (int64_t i = n - 1; i >= 0; --i)
    residual[i] = residual[i + 1] + sigma[i] * sigma[i];
  int64_t rank = n;
  for (int64_t r = 1; r <= n; ++r)
    if (std::sqrt(residual[r] / total) <= tolerance) {
      rank = r;
      break;
    }
  if (rank * (rows + cols) >= rows * cols)
    return std::nullopt;
  LowRank f;
  f.rows = rows, f.cols = cols, f.rank = rank, f.error = std::sqrt(residual[rank] / total);
  f.p.assign(rows * rank, 0.0f);
  f.q.assign(rank * cols, 0.0f);
  // The singular value's square root on each side keeps both factors' ranges alike.
  for (int64_t r = 0; r < rank; ++r) {
    double root = std::sqrt(sigma[r]);
    for (int64_t i = 0; i < rows; ++i)
      f.p[i * rank + r] = static_cast<float>(svd.matrixU()(i, r) * root);
    for (int64_t j = 0; j < cols; ++j)
      f.q[r * cols + j] = static_cast<float>(svd.matrixV()(j, r) * root);
  }
  return f;
}

/// The weight of a layer as the matrix (reduced dimension x outputs) its
/// input multiplies, from constant float32 values laid out as `at(i, j)`.
Eigen::MatrixXd matrixOf(int64_t rows, int64_t cols,
                         llvm::function_ref<double(int64_t, int64_t)> at) {
  Eigen::MatrixXd m(rows, cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      m(i, j) = at(i, j);
  return m;
}

struct Factorizer {
  double tolerance;

  void record(PatternRewriter &rewriter, Operation *op, Operation *first, Operation *second,
              const LowRank &f, int64_t macsBefore, int64_t macsAfter) const {
    std::string what = llvm::formatv("factorize-matrices: {0}x{1} weights to rank {2}, weight "
                                     "error {3:e1}, MACs {4} -> {5}",
                                     f.rows, f.cols, f.rank, f.error, macsBefore, macsAfter)
                           .str();
    for (Operation *part : {first, second})
      recordApplied(part, what, {op});
    if (tolerance > 0.0)
      emitRemark(op->getLoc()) << "factorized the " << f.rows << "x" << f.cols
                               << " weights to rank " << f.rank << " (relative weight error "
                               << llvm::formatv("{0:e2}", f.error) << "): " << macsBefore
                               << " -> " << macsAfter << " MACs";
  }
};

/// gemm(A, B) with constant B = P * Q ==> gemm(gemm(A, P), Q): alpha, C and
/// the epilogue stay with the second.
struct FactorizeGemm : OpRewritePattern<GemmOp>, Factorizer {
  FactorizeGemm(MLIRContext *context, double tolerance)
      : OpRewritePattern(context), Factorizer{tolerance} {}

  LogicalResult matchAndRewrite(GemmOp gemm, PatternRewriter &rewriter) const override {
    std::optional<std::vector<float>> b = readConstantFloats(gemm.getB());
    if (!b)
      return failure();
    auto bShape = gemm.getB().getType().getShape();
    bool transB = gemm.getTransB();
    int64_t k = transB ? bShape[1] : bShape[0], n = transB ? bShape[0] : bShape[1];
    Eigen::MatrixXd w = matrixOf(k, n, [&](int64_t i, int64_t j) {
      return (*b)[transB ? j * k + i : i * n + j];
    });
    std::optional<LowRank> f = factorize(w, std::max(tolerance, kExactFactorizationTolerance));
    if (!f)
      return failure();
    Location loc = gemm.getLoc();
    int64_t m = gemm.getType().getShape()[0];
    Type elem = gemm.getType().getElementType();
    Value p = makeConstantFloats(rewriter, loc, {k, f->rank}, f->p);
    Value q = makeConstantFloats(rewriter, loc, {f->rank, n}, f->q);
    auto first = rewriter.create<GemmOp>(
        loc, RankedTensorType::get({m, f->rank}, elem), gemm.getA(), p, Value(),
        gemm.getTransAAttr(), rewriter.getBoolAttr(false), rewriter.getF32FloatAttr(1.0f),
        rewriter.getF32FloatAttr(1.0f), ActivationAttr(), FakeQuantAttr());
    auto second = rewriter.create<GemmOp>(
        loc, gemm.getType(), first, q, gemm.getC(), rewriter.getBoolAttr(false),
        rewriter.getBoolAttr(false), gemm.getAlphaAttr(), gemm.getBetaAttr(), gemm.getActAttr(),
        gemm.getQuantAttr());
    record(rewriter, gemm, first, second, *f, gemm.getMacCount(),
           first.getMacCount() + second.getMacCount());
    rewriter.replaceOp(gemm, second);
    return success();
  }
};

/// matmul(X, W) with a constant 2-d W = P * Q ==> matmul(matmul(X, P), Q).
struct FactorizeMatMul : OpRewritePattern<MatMulOp>, Factorizer {
  FactorizeMatMul(MLIRContext *context, double tolerance)
      : OpRewritePattern(context), Factorizer{tolerance} {}

  LogicalResult matchAndRewrite(MatMulOp matmul, PatternRewriter &rewriter) const override {
    auto lhsType = matmul.getLhs().getType();
    auto rhsShape = matmul.getRhs().getType().getShape();
    if (rhsShape.size() != 2 || lhsType.getRank() < 2)
      return failure();
    std::optional<std::vector<float>> rhs = readConstantFloats(matmul.getRhs());
    if (!rhs)
      return failure();
    int64_t k = rhsShape[0], n = rhsShape[1];
    Eigen::MatrixXd w = matrixOf(k, n, [&](int64_t i, int64_t j) { return (*rhs)[i * n + j]; });
    std::optional<LowRank> f = factorize(w, std::max(tolerance, kExactFactorizationTolerance));
    if (!f)
      return failure();
    Location loc = matmul.getLoc();
    Value p = makeConstantFloats(rewriter, loc, {k, f->rank}, f->p);
    Value q = makeConstantFloats(rewriter, loc, {f->rank, n}, f->q);
    llvm::SmallVector<int64_t> midShape(matmul.getType().getShape());
    midShape.back() = f->rank;
    auto first = rewriter.create<MatMulOp>(
        loc, RankedTensorType::get(midShape, matmul.getType().getElementType()), matmul.getLhs(),
        p, ActivationAttr(), FakeQuantAttr());
    auto second = rewriter.create<MatMulOp>(loc, matmul.getType(), first, q,
                                            matmul.getActAttr(), matmul.getQuantAttr());
    record(rewriter, matmul, first, second, *f, matmul.getMacCount(),
           first.getMacCount() + second.getMacCount());
    rewriter.replaceOp(matmul, second);
    return success();
  }
};

/// A 1x1 convolution (one group) with weights W = P * Q ==> a 1x1
/// convolution into `rank` channels (with the stride, dilation and padding)
/// and a 1x1 convolution from them (with the bias, residual and epilogue).
/// A padded position reads zeros, so the first gives 0 there and the second
/// the bias, as the original did.
struct FactorizePointwise : OpRewritePattern<ConvOp>, Factorizer {
  FactorizePointwise(MLIRContext *context, double tolerance)
      : OpRewritePattern(context), Factorizer{tolerance} {}

  LogicalResult matchAndRewrite(ConvOp conv, PatternRewriter &rewriter) const override {
    auto wShape = conv.getWeight().getType().getShape();
    if (conv.getGroup() != 1 || wShape.size() < 3 ||
        llvm::any_of(wShape.drop_front(2), [](int64_t k) { return k != 1; }) ||
        !conv.getType().getElementType().isF32())
      return failure();
    std::optional<std::vector<float>> weight = readConstantFloats(conv.getWeight());
    if (!weight)
      return failure();
    int64_t outputs = wShape[0], channels = wShape[1];
    // Rows: input channels; columns: output channels.
    Eigen::MatrixXd w = matrixOf(channels, outputs, [&](int64_t c, int64_t o) {
      return (*weight)[o * channels + c];
    });
    std::optional<LowRank> f = factorize(w, std::max(tolerance, kExactFactorizationTolerance));
    if (!f)
      return failure();
    Location loc = conv.getLoc();
    int64_t rank = f->rank;
    llvm::SmallVector<int64_t> firstShape{rank, channels}, secondShape{outputs, rank};
    for (size_t i = 2; i < wShape.size(); ++i)
      firstShape.push_back(1), secondShape.push_back(1);
    std::vector<float> first(rank * channels), second(outputs * rank);
    for (int64_t r = 0; r < rank; ++r)
      for (int64_t c = 0; c < channels; ++c)
        first[r * channels + c] = f->p[c * rank + r];
    for (int64_t o = 0; o < outputs; ++o)
      for (int64_t r = 0; r < rank; ++r)
        second[o * rank + r] = f->q[r * outputs + o];
    llvm::SmallVector<int64_t> midShape(conv.getType().getShape());
    midShape[1] = rank;
    unsigned spatial = wShape.size() - 2;
    auto ones = rewriter.getDenseI64ArrayAttr(llvm::SmallVector<int64_t>(spatial, 1));
    auto zeros = rewriter.getDenseI64ArrayAttr(llvm::SmallVector<int64_t>(2 * spatial, 0));
    auto firstConv = rewriter.create<ConvOp>(
        loc, RankedTensorType::get(midShape, conv.getType().getElementType()), conv.getInput(),
        makeConstantFloats(rewriter, loc, firstShape, first), Value(), Value(),
        conv.getStridesAttr(), conv.getDilationsAttr(), conv.getPadsAttr(), conv.getGroupAttr(),
        ActivationAttr(), FakeQuantAttr());
    auto secondConv = rewriter.create<ConvOp>(
        loc, conv.getType(), firstConv, makeConstantFloats(rewriter, loc, secondShape, second),
        conv.getBias(), conv.getResidual(), ones, ones, zeros, conv.getGroupAttr(),
        conv.getActAttr(), conv.getQuantAttr());
    record(rewriter, conv, firstConv, secondConv, *f, conv.getMacCount(),
           firstConv.getMacCount() + secondConv.getMacCount());
    rewriter.replaceOp(conv, secondConv);
    return success();
  }
};

// A factor is never factorized again: with rank r its r * (rows + cols)
// weights are never fewer than its rows * cols.
struct FactorizeMatricesPass
    : tinyc::impl::TinycFactorizeMatricesBase<FactorizeMatricesPass> {
  using TinycFactorizeMatricesBase::TinycFactorizeMatricesBase;

  void runOnOperation() override {
    if (failed(checkFactorizationTolerance(getOperation(), tolerance)))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<FactorizeGemm, FactorizeMatMul, FactorizePointwise>(&getContext(), tolerance);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
