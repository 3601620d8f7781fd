//===- PackBinaryWeights.cpp - +-alpha weights as bits --------------------===//

#include "tinyc/Dialect/TinycShapes.h"
#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"
#include "tinyc_abi.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCPACKBINARYWEIGHTS
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

/// Bits per packed word (the words are uint32_t).
constexpr int64_t kBits = TINYC_ABI_BITS_PER_PACKED_WORD;

/// Per output channel the alpha that every weight is plus or minus, or
/// nothing. `channelOf(i)` names the output channel of flat weight i.
std::optional<std::vector<float>> binaryAlphas(llvm::ArrayRef<float> weight, int64_t channels,
                                               llvm::function_ref<int64_t(int64_t)> channelOf) {
  std::vector<float> alpha(channels, -1.0f);
  for (auto [i, w] : llvm::enumerate(weight)) {
    float &a = alpha[channelOf(i)];
    float magnitude = std::fabs(w);
    if (!(magnitude > 0.0f) || !std::isfinite(magnitude) || (a >= 0.0f && a != magnitude))
      return std::nullopt;
    a = magnitude;
  }
  return alpha;
}

/// The value before a Sign that `v` is (through reshapes), rebuilt in
/// `v`'s shape; null when `v` does not come from a Sign.
Value beforeSign(Value v, PatternRewriter &rewriter) {
  Value root = v;
  while (auto reshape = root.getDefiningOp<ReshapeOp>())
    root = reshape.getInput();
  auto sign = root.getDefiningOp<SignOp>();
  if (!sign)
    return nullptr;
  Value x = sign.getInput();
  if (x.getType() == v.getType())
    return x;
  return rewriter.create<ReshapeOp>(v.getLoc(), v.getType(), x);
}

Value packedInput(Value beforeSignValue, int64_t axis, PatternRewriter &rewriter) {
  auto type = cast<RankedTensorType>(beforeSignValue.getType());
  Shape shape;
  for (auto [d, extent] : llvm::enumerate(type.getShape()))
    if (static_cast<int64_t>(d) != axis)
      shape.push_back(extent);
  shape.push_back(2 * ((type.getShape()[axis] + kBits - 1) / kBits));
  return rewriter.create<PackBitsOp>(beforeSignValue.getLoc(),
                                     RankedTensorType::get(shape, rewriter.getI32Type()),
                                     beforeSignValue, rewriter.getI64IntegerAttr(axis));
}

Value makeBits(OpBuilder &b, Location loc, llvm::ArrayRef<int64_t> shape,
               llvm::ArrayRef<uint32_t> words) {
  llvm::SmallVector<int32_t> values(words.begin(), words.end());
  return b.create<ConstantOp>(
      loc, DenseElementsAttr::get(RankedTensorType::get(shape, b.getI32Type()),
                                  llvm::ArrayRef<int32_t>(values)));
}

std::string describe(bool packed, int64_t weights, int64_t words, int64_t channels) {
  return llvm::formatv("pack-binary-weights: {0}, weights {1} -> {2} bytes",
                       packed ? "XNOR/popcount" : "add/subtract", 4 * weights,
                       4 * (words + channels))
      .str();
}

struct BinaryConv : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvOp conv, PatternRewriter &rewriter) const override {
    if (conv.getGroup() != 1 || conv.getResidual() || !conv.getType().getElementType().isF32())
      return failure();
    std::optional<std::vector<float>> weight = readConstantFloats(conv.getWeight());
    if (!weight)
      return failure();
    auto wShape = conv.getWeight().getType().getShape();
    int64_t m = wShape[0], c = wShape[1], taps = getNumElements(wShape.drop_front(2));
    std::optional<std::vector<float>> alpha =
        binaryAlphas(*weight, m, [&](int64_t i) { return i / (c * taps); });
    if (!alpha)
      return failure();
    // Bits [m, taps..., word]: input channel c is bit c % kBits of word c / kBits.
    int64_t words = (c + kBits - 1) / kBits;
    std::vector<uint32_t> bits(m * taps * words, 0);
    for (int64_t o = 0; o < m; ++o)
      for (int64_t ch = 0; ch < c; ++ch)
        for (int64_t t = 0; t < taps; ++t)
          if ((*weight)[(o * c + ch) * taps + t] < 0.0f)
            bits[(o * taps + t) * words + ch / kBits] |= uint32_t{1} << (ch % kBits);
    Location loc = conv.getLoc();
    Value input = conv.getInput();
    bool packed = false;
    if (Value x = beforeSign(input, rewriter)) {
      input = packedInput(x, /*axis=*/1, rewriter);
      packed = true;
    }
    llvm::SmallVector<int64_t> bitShape{m};
    bitShape.append(wShape.begin() + 2, wShape.end());
    bitShape.push_back(words);
    auto binary = rewriter.create<BinaryConvOp>(
        loc, conv.getType(), input, makeBits(rewriter, loc, bitShape, bits),
        makeConstantFloats(rewriter, loc, {m}, *alpha), conv.getBias(), conv.getStridesAttr(),
        conv.getDilationsAttr(), conv.getPadsAttr(), conv.getActAttr(), conv.getQuantAttr());
    recordApplied(binary, describe(packed, weight->size(), bits.size(), m), {conv});
    rewriter.replaceOp(conv, binary);
    return success();
  }
};

/// alpha * a * B + beta * c with binary B ==> binary_gemm(a, bits, alpha * alpha_n, beta * c).
LogicalResult rewriteProduct(const ConstantProduct &p, PatternRewriter &rewriter) {
  std::optional<std::vector<float>> alpha =
      binaryAlphas(p.weight, p.n, [&](int64_t i) { return p.columnOf(i); });
  if (!alpha)
    return failure();
  FailureOr<Value> bias = productBias(rewriter, p);
  if (failed(bias))
    return failure();
  Location loc = p.op->getLoc();
  int64_t words = (p.k + kBits - 1) / kBits;
  std::vector<uint32_t> bits(p.n * words, 0);
  for (auto [i, w] : llvm::enumerate(p.weight)) {
    int64_t row = p.rowOf(i);
    if (w < 0.0f)
      bits[p.columnOf(i) * words + row / kBits] |= uint32_t{1} << (row % kBits);
  }
  for (float &v : *alpha)
    v *= p.alpha;
  Value input = p.a;
  bool packed = false;
  if (Value x = beforeSign(p.a, rewriter)) {
    input = packedInput(x, /*axis=*/1, rewriter);
    packed = true;
  }
  auto binary = rewriter.create<BinaryGemmOp>(
      loc, p.op->getResult(0).getType(), input, makeBits(rewriter, loc, {p.n, words}, bits),
      makeConstantFloats(rewriter, loc, {p.n}, *alpha), *bias, p.act, p.quant);
  recordApplied(binary, describe(packed, p.weight.size(), bits.size(), p.n), {p.op});
  rewriter.replaceOp(p.op, binary);
  return success();
}

/// Gemm and 2-d MatMul.
template <typename OpTy>
struct BinaryProduct : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    std::optional<ConstantProduct> product = matchConstantProduct(op);
    return product && !product->transA ? rewriteProduct(*product, rewriter) : failure();
  }
};

/// maxpool(sign(x)) ==> sign(maxpool(x)): Sign never decreases, so it
/// commutes with max, and the Sign then sits next to the layer reading it.
struct SignAfterMaxPool : OpRewritePattern<PoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PoolOp pool, PatternRewriter &rewriter) const override {
    auto sign = getSoleProducer<SignOp>(pool.getInput());
    if (!sign || pool.getKind() != PoolKind::max || pool.getQuantAttr())
      return failure();
    auto inner = rewriter.create<PoolOp>(
        pool.getLoc(), pool.getType(), sign.getInput(), pool.getKindAttr(), pool.getKernelAttr(),
        pool.getStridesAttr(), pool.getDilationsAttr(), pool.getPadsAttr(), pool.getCeilModeAttr(),
        pool.getCountIncludePadAttr(), FakeQuantAttr());
    rewriter.replaceOpWithNewOp<SignOp>(pool, pool.getType(), inner);
    return success();
  }
};

struct PackBinaryWeightsPass : tinyc::impl::TinycPackBinaryWeightsBase<PackBinaryWeightsPass> {
  void runOnOperation() override {
    // Signs move next to their readers first, so that every layer reading a
    // Sign is seen reading it.
    RewritePatternSet signs(&getContext());
    signs.add<SignAfterMaxPool>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(signs))))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<BinaryConv, BinaryProduct<GemmOp>, BinaryProduct<MatMulOp>>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
