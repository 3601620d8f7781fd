//===- SparsifyWeights.cpp - code that neither stores nor multiplies zeros ===//

#include "tinyc/Dialect/TinycShapes.h"
#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCSPARSIFYWEIGHTS
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

enum class Kernel { dense, arrays, unrolled };

//===----------------------------------------------------------------------===//
// Cost model
//===----------------------------------------------------------------------===//

// Instruction estimates, fitted (least relative error) to the per-layer
// counts of the pruned MLPerf models on the Cortex-M7 under QEMU:
// `bench/bench.py costmodel` measures every layer with each kernel forced and
// sets these estimates against the counts; docs/bench.md has the result
// (typical error 10-20 %).

// Dense code, by the number of output channels the lowering blocks together
// (4, or 2 or 1 in groups of fewer channels; a depthwise convolution blocks
// positions instead): per MAC and, for the epilogue and stores, per output.
double densePerMac(int64_t channelBlock, bool depthwise) {
  if (depthwise)
    return 2.1;
  return channelBlock >= 4 ? 1.85 : channelBlock == 2 ? 2.33 : 2.8;
}
double densePerOutput(int64_t channelBlock, bool depthwise) {
  if (depthwise)
    return 0.25;
  return channelBlock >= 4 ? 6.6 : channelBlock == 2 ? 6.1 : 4.35;
}

// Arrays, by the number of output positions that share each weight load
// (`block`, the lowering's position blocking): per nonzero weight and
// position, and per row (output channel) and block of positions. The
// padded input copy's cost is part of the fitted figures. A depthwise row
// holds one channel's few taps, so its per-row setup weighs much more.
double arraysPerMac(int64_t block, bool depthwise) {
  if (depthwise)
    return block >= 8 ? 3.9 : 4.9;
  return block >= 8 ? 3.2 : block >= 4 ? 4.7 : block == 2 ? 5.5 : 6.5;
}
double arraysPerRowBlock(bool depthwise) { return depthwise ? 55.0 : 9.3; }

// Unrolled code (measured on VWW at 90 %, before the fit above; the cost
// model rarely picks it since its code size budget binds first).
double unrolledPerMac(int64_t block) {
  return block >= 8 ? 1.9 : block >= 4 ? 2.0 : block == 2 ? 2.4 : 3.2;
}
// Copying the input into a padded buffer, per element of the copy.
constexpr double kPadPerElement = 3.0;
// Unrolled code takes about this many bytes of flash per weight and
// position of the block (LLVM also unrolls the short position loops around
// it); layers that would exceed the budget use arrays.
constexpr int64_t kUnrolledBytesPerTap = 40;
constexpr int64_t kUnrolledBudget = 4 * 1024;

// A sparse form must be estimated this much cheaper than dense code: on
// near ties dense code is the safer bet.
constexpr double kSparseMargin = 0.9;

struct Choice {
  Kernel kernel;
  double cost[3];
  /// What the estimates were computed from.
  std::string inputs;
};

/// `weights` dense weights of which `nonzero` are not zero, in `rows` output
/// channels (`channelsPerGroup` per group); `padded` is the size of the
/// padded input copy the sparse forms need (0 if none).
Choice choose(llvm::StringRef forced, int64_t denseMacs, int64_t positions, int64_t weights,
              int64_t nonzero, int64_t rows, int64_t channelsPerGroup, int64_t block,
              bool depthwise, int64_t padded) {
  Choice c;
  int64_t channelBlock = ConvOp::getChannelBlock(channelsPerGroup);
  c.inputs = llvm::formatv("positions {0} nonzero {1} rows {2} channel-block {3} block {4} "
                           "depthwise {5} padded {6}",
                           positions, nonzero, rows, channelBlock, block, depthwise ? 1 : 0,
                           padded);
  c.cost[0] = denseMacs * densePerMac(channelBlock, depthwise) +
              positions * rows * densePerOutput(channelBlock, depthwise);
  c.cost[1] = positions * (nonzero * arraysPerMac(block, depthwise) +
                           rows * arraysPerRowBlock(depthwise) / block);
  c.cost[2] = positions * nonzero * unrolledPerMac(block) + padded * kPadPerElement;
  bool unrollFits = nonzero * block * kUnrolledBytesPerTap <= kUnrolledBudget;
  // Sparse forms must also store less: a value and a 16-bit offset per
  // nonzero weight against 4 bytes per weight.
  bool smaller = nonzero * 6 < weights * 4;
  if (forced == "dense")
    c.kernel = Kernel::dense;
  else if (forced == "arrays")
    c.kernel = Kernel::arrays;
  else if (forced == "unrolled")
    c.kernel = Kernel::unrolled;
  else if (!smaller)
    c.kernel = Kernel::dense;
  else if (unrollFits && c.cost[2] < c.cost[1] && c.cost[2] < kSparseMargin * c.cost[0])
    c.kernel = Kernel::unrolled;
  else
    c.kernel = c.cost[1] < kSparseMargin * c.cost[0] ? Kernel::arrays : Kernel::dense;
  return c;
}


/// The compressed weights: per row, offsets and values of the nonzeros.
struct Rows {
  std::vector<float> values;
  std::vector<int64_t> offsets;
  std::vector<int32_t> rowStarts{0};
};

/// Values, offsets and row starts as constants; offsets take 16 bits where
/// they fit. Returns the bytes they occupy.
int64_t makeRowConstants(OpBuilder &b, Location loc, const Rows &rows, Value &values,
                         Value &offsets, Value &rowStarts) {
  int64_t nonzero = rows.values.size();
  values = makeConstantFloats(b, loc, {nonzero}, rows.values);
  bool narrow = llvm::all_of(rows.offsets, [](int64_t o) { return o >= 0 && o <= INT16_MAX; });
  Type offsetType = b.getIntegerType(narrow ? 16 : 32);
  llvm::SmallVector<llvm::APInt> offsetValues;
  for (int64_t o : rows.offsets)
    offsetValues.push_back(llvm::APInt(narrow ? 16 : 32, o));
  offsets = b.create<ConstantOp>(
      loc, DenseElementsAttr::get(RankedTensorType::get({nonzero}, offsetType), offsetValues));
  rowStarts = b.create<ConstantOp>(
      loc, DenseElementsAttr::get(
               RankedTensorType::get({static_cast<int64_t>(rows.rowStarts.size())},
                                     b.getI32Type()),
               llvm::ArrayRef<int32_t>(rows.rowStarts)));
  return nonzero * (4 + (narrow ? 2 : 4)) + 4 * static_cast<int64_t>(rows.rowStarts.size());
}

/// What the pass did, with the cost model's estimates so that bench/sparsity
/// can set them against measured counts.
std::string describe(const Choice &choice, int64_t zeros, int64_t total, int64_t bytesBefore,
                     int64_t bytesAfter) {
  return llvm::formatv("sparsify-weights: {0}, {1:f1}% zeros, weights {2} -> {3} bytes, "
                       "estimated instructions dense {4:f0} arrays {5:f0} unrolled {6:f0} ({7})",
                       choice.kernel == Kernel::arrays ? "arrays" : "unrolled",
                       100.0 * zeros / total, bytesBefore, bytesAfter, choice.cost[0],
                       choice.cost[1], choice.cost[2], choice.inputs)
      .str();
}

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

struct SparseConv : OpRewritePattern<ConvOp> {
  SparseConv(MLIRContext *context, std::string kernel)
      : OpRewritePattern(context), forced(std::move(kernel)) {}

  LogicalResult matchAndRewrite(ConvOp conv, PatternRewriter &rewriter) const override {
    if (!conv.getType().getElementType().isF32())
      return failure();
    std::optional<std::vector<float>> weight = readConstantFloats(conv.getWeight());
    if (!weight)
      return failure();
    auto wShape = conv.getWeight().getType().getShape();
    auto inShape = conv.getInput().getType().getShape();
    auto outShape = conv.getType().getShape();
    size_t spatial = conv.getNumSpatialDims();
    int64_t m = wShape[0], cg = wShape[1];
    int64_t taps = getNumElements(wShape.drop_front(2));
    int64_t zeros = llvm::count(*weight, 0.0f);
    int64_t nonzero = weight->size() - zeros;
    int64_t positions = getNumElements(outShape) / m;
    int64_t block = SparseConvOp::getPositionBlock(outShape.back());
    // The sparse forms read a padded copy of the input, whose flat offsets
    // every tap can use unchecked.
    llvm::ArrayRef<int64_t> pads = conv.getPads();
    bool hasPads = llvm::any_of(pads, [](int64_t p) { return p != 0; });
    llvm::SmallVector<int64_t> padded(inShape);
    for (size_t i = 0; i < spatial; ++i)
      padded[2 + i] += pads[i] + pads[spatial + i];
    Choice choice = choose(forced, conv.getMacCount(), positions, weight->size(), nonzero, m,
                           m / conv.getGroup(), block, conv.getGroup() > 1 && cg == 1,
                           hasPads ? getNumElements(padded) : 0);
    if (choice.kernel == Kernel::dense)
      return failure();

    Location loc = conv.getLoc();
    Value input = conv.getInput();
    if (hasPads) {
      llvm::SmallVector<int64_t> fullPads(2 * (spatial + 2), 0);
      for (size_t i = 0; i < spatial; ++i) {
        fullPads[2 + i] = pads[i];
        fullPads[spatial + 4 + i] = pads[spatial + i];
      }
      Value zero = rewriter.create<ConstantOp>(
          loc, DenseElementsAttr::get(RankedTensorType::get({}, rewriter.getF32Type()), 0.0f));
      input = rewriter.create<PadOp>(loc, RankedTensorType::get(padded, rewriter.getF32Type()),
                                     input, zero, rewriter.getDenseI64ArrayAttr(fullPads),
                                     PadModeAttr::get(getContext(), PadMode::constant));
    }
    // Offsets within the group's channels of the padded input.
    llvm::SmallVector<int64_t> strides(spatial, 1);
    for (int64_t d = spatial - 2; d >= 0; --d)
      strides[d] = strides[d + 1] * padded[d + 3];
    int64_t channelSize = strides[0] * padded[2];
    Rows rows;
    for (int64_t o = 0; o < m; ++o) {
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t t = 0; t < taps; ++t) {
          float w = (*weight)[(o * cg + c) * taps + t];
          if (w == 0.0f)
            continue;
          int64_t offset = c * channelSize, rest = t;
          for (int64_t d = spatial - 1; d >= 0; --d) {
            offset += (rest % wShape[2 + d]) * conv.getDilations()[d] * strides[d];
            rest /= wShape[2 + d];
          }
          rows.values.push_back(w);
          rows.offsets.push_back(offset);
        }
      rows.rowStarts.push_back(rows.values.size());
    }
    Value values, offsets, rowStarts;
    int64_t bytes = makeRowConstants(rewriter, loc, rows, values, offsets, rowStarts);
    bool unroll = choice.kernel == Kernel::unrolled;
    auto sparse = rewriter.create<SparseConvOp>(
        loc, conv.getType(), input, values, offsets, rowStarts, conv.getBias(),
        conv.getResidual(), rewriter.getDenseI64ArrayAttr(wShape.drop_front(2)),
        conv.getStridesAttr(), conv.getDilationsAttr(), conv.getGroupAttr(),
        rewriter.getBoolAttr(unroll), conv.getActAttr(), conv.getQuantAttr());
    recordApplied(sparse,
                  describe(choice, zeros, weight->size(), 4 * weight->size(),
                           unroll ? 0 : bytes),
                  {conv});
    rewriter.replaceOp(conv, sparse);
    return success();
  }

  std::string forced;
};

//===----------------------------------------------------------------------===//
// Gemm and 2-d MatMul
//===----------------------------------------------------------------------===//

/// y = alpha * a * B + beta * c with constant B; output column j keeps B's
/// nonzeros of column j (row j when B is transposed), scaled by alpha.
LogicalResult rewriteProduct(const ConstantProduct &p, llvm::StringRef forced,
                             PatternRewriter &rewriter) {
  auto type = cast<RankedTensorType>(p.op->getResult(0).getType());
  int64_t size = p.weight.size();
  int64_t zeros = llvm::count(p.weight, 0.0f);
  int64_t rowsOfA = type.getShape()[0];
  Choice choice =
      choose(forced, rowsOfA * p.k * p.n, rowsOfA, size, size - zeros, p.n, p.n, 1, false, 0);
  if (choice.kernel == Kernel::dense)
    return failure();
  FailureOr<Value> bias = productBias(rewriter, p);
  if (failed(bias))
    return failure();
  Rows rows;
  for (int64_t j = 0; j < p.n; ++j) {
    for (int64_t i = 0; i < p.k; ++i) {
      float w = p.at(i, j);
      if (w != 0.0f) {
        rows.values.push_back(p.alpha * w);
        rows.offsets.push_back(i);
      }
    }
    rows.rowStarts.push_back(rows.values.size());
  }
  Location loc = p.op->getLoc();
  Value values, offsets, rowStarts;
  int64_t bytes = makeRowConstants(rewriter, loc, rows, values, offsets, rowStarts);
  bool unroll = choice.kernel == Kernel::unrolled;
  auto sparse = rewriter.create<SparseGemmOp>(loc, type, p.a, values, offsets, rowStarts, *bias,
                                              rewriter.getBoolAttr(unroll), p.act, p.quant);
  recordApplied(sparse, describe(choice, zeros, size, 4 * size, unroll ? 0 : bytes), {p.op});
  rewriter.replaceOp(p.op, sparse);
  return success();
}

/// Gemm and 2-d MatMul.
template <typename OpTy>
struct SparseProduct : OpRewritePattern<OpTy> {
  SparseProduct(MLIRContext *context, std::string kernel)
      : OpRewritePattern<OpTy>(context), forced(std::move(kernel)) {}
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    std::optional<ConstantProduct> product = matchConstantProduct(op);
    return product && !product->transA ? rewriteProduct(*product, forced, rewriter) : failure();
  }
  std::string forced;
};

//===----------------------------------------------------------------------===//
// Structured pruning
//===----------------------------------------------------------------------===//

/// A convolution's constant parameters, read once.
struct ConvData {
  mutable ConvOp op; // ODS accessors are not const
  std::vector<float> weight, bias;
  int64_t perChannel = 0; // weights per output channel

  static std::optional<ConvData> read(ConvOp op) {
    if (!op || op.getResidual() || !op.getType().getElementType().isF32())
      return std::nullopt;
    ConvData d{op};
    std::optional<std::vector<float>> w = readConstantFloats(op.getWeight());
    if (!w)
      return std::nullopt;
    d.weight = std::move(*w);
    int64_t channels = op.getWeight().getType().getShape()[0];
    d.perChannel = d.weight.size() / channels;
    if (op.getBias()) {
      std::optional<std::vector<float>> b = readConstantFloats(op.getBias());
      if (!b)
        return std::nullopt;
      d.bias = std::move(*b);
    } else {
      d.bias.assign(channels, 0.0f);
    }
    return d;
  }
  /// What output channel c is where its input is all zero: the epilogue of
  /// its bias.
  float valueOnZeroInput(int64_t c) const {
    float v = bias[c];
    if (ActivationAttr act = op.getActAttr())
      v = act.apply(v);
    if (FakeQuantAttr quant = op.getQuantAttr())
      v = quant.apply(v);
    return v;
  }
  bool filterIsZero(int64_t c) const {
    return llvm::all_of(llvm::ArrayRef<float>(weight).slice(c * perChannel, perChannel),
                        [](float w) { return w == 0.0f; });
  }
  /// A copy keeping output channels `kept` (and, for a depthwise convolution,
  /// the matching groups).
  ConvOp rebuild(PatternRewriter &rewriter, Value input, llvm::ArrayRef<int64_t> kept,
                 bool depthwise) const {
    int64_t k = kept.size();
    std::vector<float> w, b;
    for (int64_t c : kept) {
      auto filter = llvm::ArrayRef<float>(weight).slice(c * perChannel, perChannel);
      w.insert(w.end(), filter.begin(), filter.end());
      b.push_back(bias[c]);
    }
    llvm::SmallVector<int64_t> wShape(op.getWeight().getType().getShape()), out(op.getType().getShape());
    wShape[0] = k, out[1] = k;
    Location loc = op.getLoc();
    Value wValue = makeConstantFloats(rewriter, loc, wShape, w);
    Value bValue = op.getBias() ? makeConstantFloats(rewriter, loc, {k}, b) : Value();
    return rewriter.create<ConvOp>(
        loc, RankedTensorType::get(out, rewriter.getF32Type()), input, wValue, bValue, Value(),
        op.getStridesAttr(), op.getDilationsAttr(), op.getPadsAttr(),
        depthwise ? rewriter.getI64IntegerAttr(k) : op.getGroupAttr(), op.getActAttr(),
        op.getQuantAttr());
  }
};

/// producer -> [depthwise ->] consumer, the producer and consumer ungrouped
/// convolutions with constant weights: removes the channels between them
/// that carry nothing the consumer needs. A channel goes when the consumer's
/// weights for it are zero, or when the producer's filter and bias make it
/// zero everywhere (padding included). Through a depthwise convolution such a
/// channel becomes the constant the depthwise bias and epilogue give; it goes
/// too when that constant is 0, or when the consumer pads nothing, so that
/// the constant's contribution joins the consumer's bias exactly.
struct RemoveDeadChannels : OpRewritePattern<ConvOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ConvOp consumer, PatternRewriter &rewriter) const override {
    if (consumer.getGroup() != 1)
      return failure();
    std::optional<ConvData> q = ConvData::read(consumer);
    std::optional<ConvData> depthwise;
    ConvOp producerOp = getSoleProducer<ConvOp>(consumer.getInput());
    if (producerOp && producerOp.getGroup() > 1) {
      int64_t channels = producerOp.getType().getShape()[1];
      if (static_cast<int64_t>(producerOp.getGroup()) != channels ||
          producerOp.getInput().getType().getShape()[1] != channels)
        return failure();
      depthwise = ConvData::read(producerOp);
      if (!depthwise)
        return failure();
      producerOp = getSoleProducer<ConvOp>(producerOp.getInput());
    }
    std::optional<ConvData> p = ConvData::read(producerOp);
    if (!q || !p || producerOp.getGroup() != 1)
      return failure();

    int64_t channels = p->bias.size(), qOut = consumer.getType().getShape()[1];
    int64_t qTaps = q->perChannel / channels;
    bool consumerPads = llvm::any_of(consumer.getPads(), [](int64_t v) { return v != 0; });
    llvm::SmallVector<int64_t> kept;
    std::vector<float> qBias = q->bias;
    for (int64_t c = 0; c < channels; ++c) {
      bool unread = true;
      for (int64_t o = 0; o < qOut && unread; ++o)
        unread = llvm::all_of(llvm::ArrayRef<float>(q->weight).slice((o * channels + c) * qTaps, qTaps),
                              [](float w) { return w == 0.0f; });
      if (unread)
        continue;
      bool zero = p->filterIsZero(c) && p->valueOnZeroInput(c) == 0.0f;
      if (!depthwise) {
        if (!zero)
          kept.push_back(c);
        continue;
      }
      // After the depthwise convolution the channel is a constant when its
      // input or its own filter is zero.
      if (!zero && !depthwise->filterIsZero(c)) {
        kept.push_back(c);
        continue;
      }
      float constant = depthwise->valueOnZeroInput(c);
      if (constant != 0.0f && consumerPads) {
        kept.push_back(c);
        continue;
      }
      for (int64_t o = 0; o < qOut && constant != 0.0f; ++o)
        for (int64_t t = 0; t < qTaps; ++t)
          qBias[o] += constant * q->weight[(o * channels + c) * qTaps + t];
    }
    if (kept.size() == static_cast<size_t>(channels) || kept.empty())
      return failure();

    int64_t k = kept.size();
    ConvOp newProducer = p->rebuild(rewriter, producerOp.getInput(), kept, false);
    Value mid = newProducer;
    ConvOp newDepthwise;
    if (depthwise) {
      newDepthwise = depthwise->rebuild(rewriter, newProducer, kept, true);
      mid = newDepthwise;
    }
    std::vector<float> newQ;
    for (int64_t o = 0; o < qOut; ++o)
      for (int64_t c : kept) {
        auto taps = llvm::ArrayRef<float>(q->weight).slice((o * channels + c) * qTaps, qTaps);
        newQ.insert(newQ.end(), taps.begin(), taps.end());
      }
    llvm::SmallVector<int64_t> qShape(consumer.getWeight().getType().getShape());
    qShape[1] = k;
    Location loc = consumer.getLoc();
    Value qWeight = makeConstantFloats(rewriter, loc, qShape, newQ);
    Value qBiasValue = consumer.getBias() || qBias != q->bias
                           ? makeConstantFloats(rewriter, loc, {qOut}, qBias)
                           : Value();
    auto newConsumer = rewriter.create<ConvOp>(
        loc, consumer.getType(), mid, qWeight, qBiasValue, Value(), consumer.getStridesAttr(),
        consumer.getDilationsAttr(), consumer.getPadsAttr(), consumer.getGroupAttr(),
        consumer.getActAttr(), consumer.getQuantAttr());
    std::string what = llvm::formatv("sparsify-weights: removed {0} of {1} channels",
                                     channels - k, channels)
                           .str();
    recordApplied(newProducer, what, {producerOp});
    if (newDepthwise)
      recordApplied(newDepthwise, what, {depthwise->op});
    recordApplied(newConsumer, what, {consumer});
    Operation *middle = depthwise ? depthwise->op.getOperation() : nullptr;
    rewriter.replaceOp(consumer, newConsumer);
    if (middle)
      rewriter.eraseOp(middle);
    rewriter.eraseOp(producerOp);
    return success();
  }
};

struct SparsifyWeightsPass : tinyc::impl::TinycSparsifyWeightsBase<SparsifyWeightsPass> {
  using TinycSparsifyWeightsBase::TinycSparsifyWeightsBase;

  void runOnOperation() override {
    if (!llvm::is_contained(kSparseKernelForms, kernel)) {
      getOperation().emitError()
          << "sparse kernel '" << kernel << "' is not one of "
          << llvm::join(std::begin(kSparseKernelForms), std::end(kSparseKernelForms), ", ");
      return signalPassFailure();
    }
    // Channels first: they shrink the layers the second step looks at.
    RewritePatternSet structured(&getContext());
    structured.add<RemoveDeadChannels>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(structured))))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<SparseConv, SparseProduct<GemmOp>, SparseProduct<MatMulOp>>(&getContext(), kernel);
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
