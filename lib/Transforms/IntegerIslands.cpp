//===- IntegerIslands.cpp - quantized islands become integer operators ----===//
//
// A QDQ model says "this float op computes on int8 values" by surrounding
// the op with DequantizeLinear on its inputs and QuantizeLinear on its
// output. Each such island whose op has an integer form becomes one integer
// operator (tinyc.qconv, tinyc.qadd, tinyc.qpool), so that weights stay int8
// in flash and activations int8 in the arena.
//
// Convolutions and pooling compute channels last (NHWC): a reduction over
// input channels then reads contiguous bytes, which the DSP kernels load
// four at a time. The pass wraps each such operator in transposes to and
// from the model's channels-first layout; between two integer layers the
// pair cancels (tinyc.transpose's folder), and the clean-up patterns below
// move transposes through element-wise integer ops so that they cancel
// across residual additions and at the model's input too.
//
// The islands are rewritten by a walk, not by the greedy driver, which
// would fold each DequantizeLinear of a constant weight into float before
// the island that reads its integers is seen.
//
//===----------------------------------------------------------------------===//

#include "tinyc/Dialect/ScalarSemantics.h"
#include "tinyc/Dialect/TinycShapes.h"
#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"

#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <functional>
#include <type_traits>
#include <limits>

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCINTEGERISLANDS
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

constexpr llvm::StringLiteral kApplied = "integer-islands";

bool isQuantType(Type t) { return t.isInteger(8) && !t.isSignedInteger(); }

llvm::ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }
Type elementOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

/// The integers of a constant tensor, widened to int64 with the signedness
/// of its element type.
std::optional<std::vector<int64_t>> readConstantInts(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !isa<IntegerType>(attr.getElementType()))
    return std::nullopt;
  bool isUnsigned = attr.getElementType().isUnsignedInteger();
  std::vector<int64_t> values;
  values.reserve(attr.getNumElements());
  for (const llvm::APInt &x : attr.getValues<llvm::APInt>())
    values.push_back(isUnsigned ? static_cast<int64_t>(x.getZExtValue()) : x.getSExtValue());
  return values;
}

/// Scale and zero point of a QuantizeLinear or DequantizeLinear: one pair
/// per tensor, or one per index of `axis`.
struct QuantParams {
  std::vector<float> scale;
  std::vector<int64_t> zeroPoint;
  int64_t axis = 0;
  bool perTensor() const { return scale.size() == 1; }
  float scaleAt(int64_t i) const { return scale[perTensor() ? 0 : i]; }
  int64_t zeroPointAt(int64_t i) const { return zeroPoint[perTensor() ? 0 : i]; }
  bool operator==(const QuantParams &o) const {
    return scale == o.scale && zeroPoint == o.zeroPoint && (perTensor() || axis == o.axis);
  }
};

std::optional<QuantParams> readParams(Value scale, Value zeroPoint, int64_t axis, int64_t rank) {
  std::optional<std::vector<float>> s = readConstantFloats(scale);
  std::optional<std::vector<int64_t>> z = readConstantInts(zeroPoint);
  if (!s || !z || s->empty() || s->size() != z->size())
    return std::nullopt;
  QuantParams p{*s, *z, axis < 0 ? axis + rank : axis};
  for (float x : p.scale)
    if (!(x > 0.0f) || !std::isfinite(x))
      return std::nullopt;
  return p;
}

std::optional<QuantParams> paramsOf(DequantizeOp dq) {
  return readParams(dq.getScale(), dq.getZeroPoint(), dq.getAxis(),
                    shapeOf(dq.getInput()).size());
}
std::optional<QuantParams> paramsOf(QuantizeOp q) {
  return readParams(q.getScale(), q.getZeroPoint(), q.getAxis(), shapeOf(q.getInput()).size());
}

/// An int8 or uint8 activation quantized per tensor: what integer operators
/// read and write.
struct Activation {
  Value value; ///< the integer tensor (for an input)
  float scale;
  int64_t zeroPoint;
  Type type;
  int64_t qmin, qmax; ///< the saturation bounds (for an output)
};

/// The integer input behind `v` = DequantizeLinear(x), per tensor.
std::optional<Activation> integerInput(Value v) {
  auto dq = v.getDefiningOp<DequantizeOp>();
  if (!dq || !isQuantType(elementOf(dq.getInput())) || !elementOf(dq).isF32())
    return std::nullopt;
  std::optional<QuantParams> p = paramsOf(dq);
  if (!p || !p->perTensor())
    return std::nullopt;
  Type t = elementOf(dq.getInput());
  return Activation{dq.getInput(), p->scale[0], p->zeroPoint[0], t, 0, 0};
}

int64_t typeMin(Type t) { return t.isUnsignedInteger() ? 0 : -128; }
int64_t typeMax(Type t) { return t.isUnsignedInteger() ? 255 : 127; }

/// ONNX QuantizeLinear of one float (infinities saturate).
int64_t quantizeHost(float x, float scale, int64_t zeroPoint, int64_t qmin, int64_t qmax) {
  float q = std::nearbyint(x / scale) + static_cast<float>(zeroPoint);
  if (!(q > static_cast<float>(qmin)))
    return qmin;
  if (q > static_cast<float>(qmax))
    return qmax;
  return static_cast<int64_t>(q);
}

/// The output of an island: QuantizeLinear per tensor to int8 or uint8,
/// after an optional Relu or constant Clip, which narrow the saturation
/// bounds (quantization is monotonic, so clamping before it is clamping its
/// result to the quantized bounds). `producer` becomes the value the
/// activation (if any) reads.
std::optional<Activation> integerOutput(QuantizeOp q, Value &producer,
                                        llvm::SmallVectorImpl<Operation *> &consumed) {
  Type t = elementOf(q);
  if (!isQuantType(t) || !elementOf(q.getInput()).isF32())
    return std::nullopt;
  std::optional<QuantParams> p = paramsOf(q);
  if (!p || !p->perTensor())
    return std::nullopt;
  Activation out{Value(), p->scale[0], p->zeroPoint[0], t, typeMin(t), typeMax(t)};
  producer = q.getInput();
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  if (auto act = getSoleProducer<ActivationOp>(producer)) {
    ActivationAttr a = act.getAct();
    if (a.getKind() == ActivationKind::relu) {
      lo = 0.0f;
    } else if (a.getKind() == ActivationKind::clip) {
      lo = a.getAlphaValue();
      hi = a.getBetaValue();
    } else {
      return out; // the activation is the island's op (no integer form here)
    }
    consumed.push_back(act);
    producer = act.getInput();
  } else if (auto clip = getSoleProducer<ClipOp>(producer)) {
    std::optional<std::vector<float>> cmin = readConstantFloats(clip.getMin());
    std::optional<std::vector<float>> cmax = readConstantFloats(clip.getMax());
    if (!cmin || !cmax || cmin->size() != 1 || cmax->size() != 1)
      return out;
    lo = cmin->front();
    hi = cmax->front();
    consumed.push_back(clip);
    producer = clip.getInput();
  }
  if (lo > -std::numeric_limits<float>::infinity())
    out.qmin = std::max(out.qmin, quantizeHost(lo, out.scale, out.zeroPoint, out.qmin, out.qmax));
  if (hi < std::numeric_limits<float>::infinity())
    out.qmax = std::min(out.qmax, quantizeHost(hi, out.scale, out.zeroPoint, out.qmin, out.qmax));
  if (out.qmin > out.qmax)
    out.qmin = out.qmax; // Clip with min > max: every output is max
  return out;
}

/// A DequantizeLinear of a constant integer tensor: its integers less their
/// zero points, and the scale of each index along the quantization axis.
struct ConstantQuantized {
  std::vector<int64_t> values;
  QuantParams params;
};

std::optional<ConstantQuantized> constantQuantized(Value v) {
  auto dq = v.getDefiningOp<DequantizeOp>();
  if (!dq)
    return std::nullopt;
  std::optional<std::vector<int64_t>> ints = readConstantInts(dq.getInput());
  std::optional<QuantParams> p = paramsOf(dq);
  if (!ints || !p)
    return std::nullopt;
  llvm::ArrayRef<int64_t> shape = shapeOf(dq.getInput());
  if (!p->perTensor() && (p->axis < 0 || p->axis >= static_cast<int64_t>(shape.size()) ||
                          shape[p->axis] != static_cast<int64_t>(p->scale.size())))
    return std::nullopt;
  int64_t inner = 1;
  if (!p->perTensor())
    for (size_t d = p->axis + 1; d < shape.size(); ++d)
      inner *= shape[d];
  ConstantQuantized c{std::move(*ints), *p};
  for (size_t n = 0; n < c.values.size(); ++n) {
    int64_t index = p->perTensor() ? 0 : (n / inner) % shape[p->axis];
    c.values[n] -= p->zeroPointAt(index);
  }
  return c;
}

Value intConstant(OpBuilder &b, Location loc, llvm::ArrayRef<int64_t> shape, unsigned width,
                  llvm::ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get(shape, b.getIntegerType(width));
  llvm::SmallVector<llvm::APInt> bits;
  for (int64_t v : values)
    bits.push_back(llvm::APInt(width, v, /*isSigned=*/true));
  return b.create<ConstantOp>(loc, DenseElementsAttr::get(type, bits));
}

/// An int8 or uint8 constant of `elementType`.
Value byteConstant(OpBuilder &b, Location loc, llvm::ArrayRef<int64_t> shape, Type elementType,
                   llvm::ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get(shape, elementType);
  llvm::SmallVector<llvm::APInt> bits;
  for (int64_t v : values)
    bits.push_back(llvm::APInt(8, static_cast<uint64_t>(v) & 0xff));
  return b.create<ConstantOp>(loc, DenseElementsAttr::get(type, bits));
}

Value transposeTo(OpBuilder &b, Location loc, Value v, llvm::ArrayRef<int64_t> perm) {
  llvm::ArrayRef<int64_t> in = shapeOf(v);
  llvm::SmallVector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(in[p]);
  return b.create<TransposeOp>(loc, RankedTensorType::get(out, elementOf(v)), v,
                               b.getDenseI64ArrayAttr(perm));
}

Value reshapeTo(OpBuilder &b, Location loc, Value v, llvm::ArrayRef<int64_t> shape) {
  return b.create<ReshapeOp>(loc, RankedTensorType::get(shape, elementOf(v)), v);
}

/// [0, 2, ..., rank-1, 1] and its inverse.
llvm::SmallVector<int64_t> toChannelsLast(int64_t rank) {
  llvm::SmallVector<int64_t> perm{0};
  for (int64_t d = 2; d < rank; ++d)
    perm.push_back(d);
  perm.push_back(1);
  return perm;
}
llvm::SmallVector<int64_t> toChannelsFirst(int64_t rank) {
  llvm::SmallVector<int64_t> perm{0, rank - 1};
  for (int64_t d = 1; d < rank - 1; ++d)
    perm.push_back(d);
  return perm;
}

/// What a convolution-like island needs, whatever float op it came from:
/// the weight as [M, kernel..., C/group] (zero point subtracted), the
/// scales per output channel, and the bias in int32.
struct IntegerLayer {
  std::vector<int64_t> weight;
  llvm::SmallVector<int64_t> weightShape;
  std::vector<float> weightScale; // per output channel
  std::vector<int64_t> bias;
};

/// The int32 bias from a float op's bias `c` (or none), in the accumulator's
/// scale (input scale times each channel's weight scale). A DequantizeLinear
/// of int32 whose scale is that (ONNX Runtime's QLinearConv convention) gives
/// its integers as they are; otherwise the float bias is quantized with the
/// accumulator's scale.
LogicalResult readBias(Value c, int64_t m, float inputScale, IntegerLayer &layer, float beta) {
  layer.bias.assign(m, 0);
  if (!c)
    return success();
  std::vector<float> values;
  if (std::optional<ConstantQuantized> q = constantQuantized(c)) {
    if (static_cast<int64_t>(q->values.size()) != m)
      return failure();
    bool asIs = beta == 1.0f && elementOf(c.getDefiningOp<DequantizeOp>().getInput()).isInteger(32);
    for (int64_t i = 0; i < m; ++i) {
      float accScale = inputScale * layer.weightScale[i];
      float scale = q->params.scaleAt(i);
      asIs = asIs && std::fabs(scale - accScale) <= 1e-6f * accScale;
      values.push_back(static_cast<float>(q->values[i]) * scale);
    }
    if (asIs) {
      layer.bias.assign(q->values.begin(), q->values.end());
      return success();
    }
  } else {
    std::optional<std::vector<float>> f = readConstantFloats(c);
    if (!f || static_cast<int64_t>(f->size()) != m)
      return failure();
    values = *f;
  }
  for (int64_t i = 0; i < m; ++i) {
    double q = std::nearbyint(static_cast<double>(beta * values[i]) /
                              static_cast<double>(inputScale * layer.weightScale[i]));
    if (std::fabs(q) > 2147483647.0)
      return failure();
    layer.bias[i] = static_cast<int64_t>(q);
  }
  return success();
}

class IslandRewriter {
public:
  explicit IslandRewriter(MLIRContext *context) : rewriter(context) {}

  /// Rewrites the island whose QuantizeLinear is `q`, if it is one.
  bool rewrite(QuantizeOp q) {
    if (rewriteTable(q))
      return true;
    llvm::SmallVector<Operation *> consumed{q};
    Value producer;
    std::optional<Activation> out = integerOutput(q, producer, consumed);
    if (!out)
      return false;
    Operation *op = producer.getDefiningOp();
    if (!op || !op->hasOneUse())
      return false;
    consumed.push_back(op);
    rewriter.setInsertionPoint(q);
    Value result;
    if (auto conv = dyn_cast<ConvOp>(op))
      result = rewriteConv(conv, *out);
    else if (auto gemm = dyn_cast<GemmOp>(op))
      result = rewriteGemm(gemm, *out);
    else if (auto matmul = dyn_cast<MatMulOp>(op))
      result = rewriteMatMul(matmul, *out);
    else if (auto add = dyn_cast<AddOp>(op))
      result = rewriteAdd(add.getLoc(), add, *out, /*negateRhs=*/false);
    else if (auto sub = dyn_cast<SubOp>(op))
      result = rewriteAdd(sub.getLoc(), sub, *out, /*negateRhs=*/true);
    else if (auto mul = dyn_cast<MulOp>(op))
      result = rewriteMul(mul, *out);
    else if (auto concat = dyn_cast<ConcatOp>(op))
      result = rewriteConcat(concat, *out);
    else if (auto pad = dyn_cast<PadOp>(op))
      result = rewritePad(pad, *out);
    else if (auto pool = dyn_cast<PoolOp>(op))
      result = rewritePool(pool, *out);
    else if (isa<ReshapeOp, TransposeOp>(op))
      result = rewriteDataMovement(op, *out, consumed.size() == 2);
    if (!result)
      return false;
    // --report describes the integer op behind the transposes and reshapes.
    Operation *integerOp = result.getDefiningOp();
    while (isa<TransposeOp, ReshapeOp>(integerOp) &&
           isa_and_nonnull<QConvOp, QPoolOp>(integerOp->getOperand(0).getDefiningOp()))
      integerOp = integerOp->getOperand(0).getDefiningOp();
    recordApplied(integerOp, kApplied, consumed);
    rewriter.replaceOp(q, result);
    for (Operation *dead : llvm::drop_begin(consumed))
      if (dead->use_empty())
        rewriter.eraseOp(dead);
    return true;
  }

  /// Reshape or Transpose of a per-tensor DequantizeLinear is the
  /// DequantizeLinear of the reshaped integers: an island whose op reads a
  /// flattened activation (Flatten before Gemm) then starts at its DQ.
  void moveDequantizeDown(Operation *op) {
    auto dq = op->getOperand(0).getDefiningOp<DequantizeOp>();
    std::optional<QuantParams> p = dq ? paramsOf(dq) : std::nullopt;
    if (!p || !p->perTensor())
      return;
    rewriter.setInsertionPoint(op);
    Value moved;
    if (auto transpose = dyn_cast<TransposeOp>(op))
      moved = transposeTo(rewriter, op->getLoc(), dq.getInput(), transpose.getPerm());
    else
      moved = reshapeTo(rewriter, op->getLoc(), dq.getInput(), shapeOf(op->getResult(0)));
    Value result = rewriter.create<DequantizeOp>(dq.getLoc(), op->getResult(0).getType(), moved,
                                                 dq.getScale(), dq.getZeroPoint(), dq.getAxisAttr());
    rewriter.replaceOp(op, result);
    if (dq->use_empty())
      rewriter.eraseOp(dq);
  }

  /// Q(DQ(x)) with one scale, zero point and type is x.
  bool rewriteRoundTrip(QuantizeOp q) {
    auto dq = q.getInput().getDefiningOp<DequantizeOp>();
    if (!dq || dq.getInput().getType() != q.getType())
      return false;
    std::optional<QuantParams> a = paramsOf(dq), b = paramsOf(q);
    if (!a || !b || !(*a == *b))
      return false;
    rewriter.replaceOp(q, dq.getInput());
    return true;
  }

private:
  /// The integer convolution of `x` (channels first) with `layer`, wrapped
  /// in the transposes to and from channels last.
  Value buildConv(Location loc, const Activation &in, const Activation &out, IntegerLayer &layer,
                  llvm::ArrayRef<int64_t> strides, llvm::ArrayRef<int64_t> dilations,
                  llvm::ArrayRef<int64_t> pads, int64_t group, llvm::ArrayRef<int64_t> outShape,
                  bool channelsFirst) {
    int64_t m = layer.weightShape.front();
    std::vector<float> multiplier;
    for (int64_t i = 0; i < m; ++i)
      multiplier.push_back(in.scale * layer.weightScale[i] / out.scale);
    for (int64_t w : layer.weight)
      if (w < -128 || w > 127)
        return {}; // a weight zero point that pushes values out of int8
    int64_t rank = outShape.size();
    Value x = channelsFirst ? transposeTo(rewriter, loc, in.value, toChannelsLast(rank)) : in.value;
    llvm::SmallVector<int64_t> resultShape(outShape);
    if (channelsFirst) {
      resultShape.clear();
      for (int64_t p : toChannelsLast(rank))
        resultShape.push_back(outShape[p]);
    }
    Value weight = intConstant(rewriter, loc, layer.weightShape, 8, layer.weight);
    Value bias = intConstant(rewriter, loc, {m}, 32, layer.bias);
    Value scales = makeConstantFloats(rewriter, loc, {m}, multiplier);
    auto qconv = rewriter.create<QConvOp>(
        loc, RankedTensorType::get(resultShape, out.type), x, weight, bias, scales,
        rewriter.getDenseI64ArrayAttr(strides), rewriter.getDenseI64ArrayAttr(dilations),
        rewriter.getDenseI64ArrayAttr(pads), rewriter.getI64IntegerAttr(group),
        rewriter.getI64IntegerAttr(in.zeroPoint), rewriter.getI64IntegerAttr(out.zeroPoint),
        rewriter.getI64IntegerAttr(out.qmin), rewriter.getI64IntegerAttr(out.qmax));
    if (!channelsFirst)
      return qconv;
    return transposeTo(rewriter, loc, qconv, toChannelsFirst(rank));
  }

  Value rewriteConv(ConvOp conv, const Activation &out) {
    std::optional<Activation> in = integerInput(conv.getInput());
    std::optional<ConstantQuantized> w = constantQuantized(conv.getWeight());
    if (!in || !w || conv.getResidual() || conv.getActAttr() || conv.getQuantAttr())
      return {};
    if (!w->params.perTensor() && w->params.axis != 0)
      return {};
    llvm::ArrayRef<int64_t> ws = shapeOf(conv.getWeight());
    int64_t m = ws[0], cg = ws[1];
    int64_t taps = getNumElements(ws.drop_front(2));
    IntegerLayer layer;
    layer.weightShape.push_back(m);
    layer.weightShape.append(ws.begin() + 2, ws.end());
    layer.weightShape.push_back(cg);
    // [M, C/g, taps] -> [M, taps, C/g]
    layer.weight.resize(w->values.size());
    for (int64_t o = 0; o < m; ++o)
      for (int64_t c = 0; c < cg; ++c)
        for (int64_t t = 0; t < taps; ++t)
          layer.weight[(o * taps + t) * cg + c] = w->values[(o * cg + c) * taps + t];
    for (int64_t o = 0; o < m; ++o)
      layer.weightScale.push_back(w->params.scaleAt(o));
    if (failed(readBias(conv.getBias(), m, in->scale, layer, 1.0f)))
      return {};
    return buildConv(conv.getLoc(), *in, out, layer, conv.getStrides(), conv.getDilations(),
                     conv.getPads(), conv.getGroup(), shapeOf(conv), /*channelsFirst=*/true);
  }

  /// y[N, n] = a[N, k] * B[k, n] + bias as a convolution over one position:
  /// a as [N, 1, k], the weight [n, 1, k].
  Value buildProduct(Location loc, const Activation &in, const Activation &out,
                     const ConstantQuantized &b, bool transB, int64_t k, int64_t n, Value c,
                     float alpha, float beta) {
    int64_t outAxis = transB ? 0 : 1;
    if (!b.params.perTensor() && b.params.axis != outAxis)
      return {};
    IntegerLayer layer;
    layer.weightShape = {n, 1, k};
    layer.weight.resize(k * n);
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < k; ++i)
        layer.weight[j * k + i] = b.values[transB ? j * k + i : i * n + j];
    // alpha scales the product: it joins the weights' scales (so the
    // requantization multiplier), and the bias is read in that scale.
    for (int64_t j = 0; j < n; ++j)
      layer.weightScale.push_back(alpha * b.params.scaleAt(j));
    if (c && shapeOf(c).size() > 0 && getNumElements(shapeOf(c)) != n)
      return {}; // a bias that varies along the rows
    if (failed(readBias(c, n, in.scale, layer, beta)))
      return {};
    int64_t rows = shapeOf(in.value)[0];
    Activation reshaped = in;
    reshaped.value = reshapeTo(rewriter, loc, in.value, {rows, 1, k});
    Value y = buildConv(loc, reshaped, out, layer, {1}, {1}, {0, 0}, 1, {rows, 1, n},
                        /*channelsFirst=*/false);
    if (!y)
      return {};
    return reshapeTo(rewriter, loc, y, {rows, n});
  }

  Value rewriteGemm(GemmOp gemm, const Activation &out) {
    std::optional<Activation> in = integerInput(gemm.getA());
    std::optional<ConstantQuantized> b = constantQuantized(gemm.getB());
    float alpha = gemm.getAlpha().convertToFloat();
    if (!in || !b || gemm.getTransA() || !(alpha > 0.0f) || !std::isfinite(alpha) ||
        gemm.getActAttr() || gemm.getQuantAttr())
      return {};
    llvm::ArrayRef<int64_t> bs = shapeOf(gemm.getB());
    bool transB = gemm.getTransB();
    return buildProduct(gemm.getLoc(), *in, out, *b, transB, transB ? bs[1] : bs[0],
                        transB ? bs[0] : bs[1], gemm.getC(), alpha,
                        gemm.getBeta().convertToFloat());
  }

  Value rewriteMatMul(MatMulOp matmul, const Activation &out) {
    std::optional<Activation> in = integerInput(matmul.getLhs());
    std::optional<ConstantQuantized> b = constantQuantized(matmul.getRhs());
    if (!in || !b || shapeOf(matmul.getLhs()).size() != 2 || shapeOf(matmul.getRhs()).size() != 2 ||
        matmul.getActAttr() || matmul.getQuantAttr())
      return {};
    llvm::ArrayRef<int64_t> bs = shapeOf(matmul.getRhs());
    return buildProduct(matmul.getLoc(), *in, out, *b, false, bs[0], bs[1], Value(), 1.0f, 1.0f);
  }

  /// Add, or Sub as the addition of the negated scaled right operand.
  template <typename OpTy>
  Value rewriteAdd(Location loc, OpTy op, const Activation &out, bool negateRhs) {
    std::optional<Activation> a = integerInput(op.getLhs()), b = integerInput(op.getRhs());
    if (!a || !b || op.getActAttr() || op.getQuantAttr() ||
        shapeOf(a->value) != shapeOf(op) || shapeOf(b->value) != shapeOf(op))
      return {};
    float rhsScale = b->scale / out.scale;
    return rewriter.create<QAddOp>(
        loc, RankedTensorType::get(shapeOf(op), out.type), a->value, b->value,
        rewriter.getI64IntegerAttr(a->zeroPoint), rewriter.getI64IntegerAttr(b->zeroPoint),
        rewriter.getF32FloatAttr(a->scale / out.scale),
        rewriter.getF32FloatAttr(negateRhs ? -rhsScale : rhsScale),
        rewriter.getI64IntegerAttr(out.zeroPoint), rewriter.getI64IntegerAttr(out.qmin),
        rewriter.getI64IntegerAttr(out.qmax));
  }

  Value rewriteMul(MulOp mul, const Activation &out) {
    std::optional<Activation> a = integerInput(mul.getLhs()), b = integerInput(mul.getRhs());
    if (!a || !b || mul.getActAttr() || mul.getQuantAttr() ||
        shapeOf(a->value) != shapeOf(mul) || shapeOf(b->value) != shapeOf(mul))
      return {};
    return rewriter.create<QMulOp>(
        mul.getLoc(), RankedTensorType::get(shapeOf(mul), out.type), a->value, b->value,
        rewriter.getI64IntegerAttr(a->zeroPoint), rewriter.getI64IntegerAttr(b->zeroPoint),
        rewriter.getF32FloatAttr(a->scale * b->scale / out.scale),
        rewriter.getI64IntegerAttr(out.zeroPoint), rewriter.getI64IntegerAttr(out.qmin),
        rewriter.getI64IntegerAttr(out.qmax));
  }

  /// The table of `f` over every integer of `in`, quantized as `out`:
  /// DequantizeLinear, f and QuantizeLinear as the float code computes them.
  Value buildTable(Location loc, const Activation &in, const Activation &out,
                   llvm::function_ref<float(float)> f) {
    scalar::HostArithmetic host;
    std::vector<int64_t> table;
    for (int64_t i = 0; i < 256; ++i) {
      int64_t x = in.type.isUnsignedInteger() ? i : i - 128;
      float v = static_cast<float>(x - in.zeroPoint) * in.scale;
      float q = scalar::quantize(host, f(v), out.scale, static_cast<float>(out.zeroPoint),
                                 static_cast<float>(out.qmin), static_cast<float>(out.qmax));
      table.push_back(static_cast<int64_t>(q));
    }
    Value constant = byteConstant(rewriter, loc, {256}, out.type, table);
    return rewriter.create<QTableOp>(loc, RankedTensorType::get(shapeOf(in.value), out.type),
                                     in.value, constant);
  }

  /// An activation (or a Clip with constant bounds) alone between a
  /// DequantizeLinear and a QuantizeLinear is a table of 256 values.
  bool rewriteTable(QuantizeOp q) {
    Operation *op = q.getInput().getDefiningOp();
    if (!op || !op->hasOneUse() || !isa<ActivationOp, ClipOp>(op))
      return false;
    std::optional<Activation> in = integerInput(op->getOperand(0));
    Type t = elementOf(q);
    std::optional<QuantParams> p = paramsOf(q);
    if (!in || !isQuantType(t) || !p || !p->perTensor())
      return false;
    Activation out{Value(), p->scale[0], p->zeroPoint[0], t, typeMin(t), typeMax(t)};
    std::function<float(float)> f;
    scalar::HostArithmetic host;
    if (auto act = dyn_cast<ActivationOp>(op)) {
      ActivationAttr attr = act.getAct();
      f = [attr, host](float x) mutable { return scalar::activation(host, x, attr); };
    } else {
      auto clip = cast<ClipOp>(op);
      std::optional<std::vector<float>> lo = readConstantFloats(clip.getMin());
      std::optional<std::vector<float>> hi = readConstantFloats(clip.getMax());
      if (!lo || !hi || lo->size() != 1 || hi->size() != 1)
        return false;
      float l = lo->front(), h = hi->front();
      f = [l, h, host](float x) mutable { return scalar::clamp(host, x, l, h); };
    }
    rewriter.setInsertionPoint(q);
    Value table = buildTable(q.getLoc(), *in, out, f);
    recordApplied(table.getDefiningOp(), kApplied, {q, op});
    rewriter.replaceOp(q, table);
    rewriter.eraseOp(op);
    return true;
  }

  /// Concat of integers; an input quantized otherwise than the output is
  /// requantized by a table first.
  Value rewriteConcat(ConcatOp concat, const Activation &out) {
    if (out.qmin != typeMin(out.type) || out.qmax != typeMax(out.type))
      return {};
    llvm::SmallVector<Value> inputs;
    for (Value v : concat.getInputs()) {
      std::optional<Activation> in = integerInput(v);
      if (!in)
        return {};
      bool same = in->type == out.type && in->scale == out.scale && in->zeroPoint == out.zeroPoint;
      inputs.push_back(same ? in->value
                            : buildTable(concat.getLoc(), *in, out, [](float x) { return x; }));
    }
    return rewriter.create<ConcatOp>(concat.getLoc(),
                                     RankedTensorType::get(shapeOf(concat), out.type), inputs,
                                     concat.getAxisAttr());
  }

  /// Pad moves integers when its input and output quantizations agree; a
  /// constant pad value is quantized as the float code would.
  Value rewritePad(PadOp pad, const Activation &out) {
    std::optional<Activation> in = integerInput(pad.getInput());
    std::optional<std::vector<float>> value = readConstantFloats(pad.getValue());
    if (!in || !value || value->size() != 1 || in->type != out.type || in->scale != out.scale ||
        in->zeroPoint != out.zeroPoint || out.qmin != typeMin(out.type) ||
        out.qmax != typeMax(out.type))
      return {};
    Value padValue = byteConstant(
        rewriter, pad.getLoc(), {}, out.type,
        {quantizeHost(value->front(), out.scale, out.zeroPoint, out.qmin, out.qmax)});
    return rewriter.create<PadOp>(pad.getLoc(), RankedTensorType::get(shapeOf(pad), out.type),
                                  in->value, padValue, pad.getPadsAttr(), pad.getModeAttr());
  }

  Value rewritePool(PoolOp pool, const Activation &out) {
    std::optional<Activation> in = integerInput(pool.getInput());
    if (!in || pool.getQuantAttr())
      return {};
    int64_t rank = shapeOf(pool).size();
    Location loc = pool.getLoc();
    Value x = transposeTo(rewriter, loc, in->value, toChannelsLast(rank));
    llvm::SmallVector<int64_t> resultShape;
    for (int64_t p : toChannelsLast(rank))
      resultShape.push_back(shapeOf(pool)[p]);
    auto qpool = rewriter.create<QPoolOp>(
        loc, RankedTensorType::get(resultShape, out.type), x, pool.getKindAttr(),
        pool.getKernelAttr(), pool.getStridesAttr(), pool.getDilationsAttr(), pool.getPadsAttr(),
        pool.getCeilModeAttr(), pool.getCountIncludePadAttr(),
        rewriter.getI64IntegerAttr(in->zeroPoint), rewriter.getF32FloatAttr(in->scale / out.scale),
        rewriter.getI64IntegerAttr(out.zeroPoint), rewriter.getI64IntegerAttr(out.qmin),
        rewriter.getI64IntegerAttr(out.qmax));
    return transposeTo(rewriter, loc, qpool, toChannelsFirst(rank));
  }

  /// Reshape and Transpose move integers as they move floats, when the
  /// island's two quantizations are the same (no activation between).
  Value rewriteDataMovement(Operation *op, const Activation &out, bool noActivation) {
    std::optional<Activation> in = integerInput(op->getOperand(0));
    if (!in || !noActivation || in->type != out.type || in->scale != out.scale ||
        in->zeroPoint != out.zeroPoint || out.qmin != typeMin(out.type) ||
        out.qmax != typeMax(out.type))
      return {};
    if (auto transpose = dyn_cast<TransposeOp>(op))
      return transposeTo(rewriter, op->getLoc(), in->value, transpose.getPerm());
    return reshapeTo(rewriter, op->getLoc(), in->value, shapeOf(op->getResult(0)));
  }

  IRRewriter rewriter;
};

//===----------------------------------------------------------------------===//
// Clean-up: move transposes so that the pairs around integer layers cancel.
//===----------------------------------------------------------------------===//

/// QuantizeLinear per tensor commutes with a transpose of its input: the
/// model's own NHWC -> NCHW transpose of its input then meets the first
/// layer's NCHW -> NHWC one.
struct QuantizeOfTranspose : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp q, PatternRewriter &rewriter) const override {
    auto t = q.getInput().getDefiningOp<TransposeOp>();
    std::optional<QuantParams> p = paramsOf(q);
    if (!t || !p || !p->perTensor())
      return failure();
    Value quantized = rewriter.create<QuantizeOp>(
        q.getLoc(), RankedTensorType::get(shapeOf(t.getInput()), elementOf(q)), t.getInput(),
        q.getScale(), q.getZeroPoint(), q.getAxisAttr());
    rewriter.replaceOp(q, transposeTo(rewriter, q.getLoc(), quantized, t.getPerm()));
    return success();
  }
};

/// An element-wise integer op (addition, multiplication, table) of operands
/// transposed alike is the transpose of the op: a residual block's
/// transposes then cancel with its convolutions'. A table's second operand
/// is the table itself.
template <typename OpTy>
struct ElementwiseOfTransposes : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op, PatternRewriter &rewriter) const override {
    unsigned count = std::is_same_v<OpTy, QTableOp> ? 1 : op->getNumOperands();
    llvm::SmallVector<Value> operands(op->getOperands());
    std::optional<llvm::SmallVector<int64_t>> perm;
    for (unsigned i = 0; i < count; ++i) {
      auto t = operands[i].template getDefiningOp<TransposeOp>();
      if (!t || (perm && llvm::ArrayRef<int64_t>(*perm) != t.getPerm()))
        return failure();
      perm = llvm::SmallVector<int64_t>(t.getPerm());
      operands[i] = t.getInput();
    }
    Type innerType = RankedTensorType::get(shapeOf(operands[0]), elementOf(op.getResult()));
    auto inner = rewriter.create<OpTy>(op.getLoc(), TypeRange{innerType}, operands,
                                       op->getAttrs());
    rewriter.replaceOp(op, transposeTo(rewriter, op.getLoc(), inner.getResult(), *perm));
    return success();
  }
};

/// A transpose that moves only dimensions of extent 1 keeps the elements in
/// order: it is a reshape (after global pooling, before the classifier).
struct TransposeOfUnitDims : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp t, PatternRewriter &rewriter) const override {
    llvm::ArrayRef<int64_t> in = shapeOf(t.getInput());
    int64_t last = -1;
    for (int64_t p : t.getPerm()) {
      if (in[p] == 1)
        continue;
      if (p < last)
        return failure();
      last = p;
    }
    rewriter.replaceOpWithNewOp<ReshapeOp>(t, t.getType(), t.getInput());
    return success();
  }
};

/// A reshape of a reshape is one reshape.
struct ReshapeOfReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp r, PatternRewriter &rewriter) const override {
    auto inner = r.getInput().getDefiningOp<ReshapeOp>();
    if (!inner)
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(r, r.getType(), inner.getInput());
    return success();
  }
};

/// Why a float op between a DequantizeLinear and a QuantizeLinear kept its
/// float form, for --report.
void explainFloatOps(func::FuncOp func) {
  func.walk([](Operation *op) {
    if (isa<ConstantOp, QuantizeOp, DequantizeOp, ReshapeOp, TransposeOp>(op) ||
        op->getNumResults() != 1 || !isa<RankedTensorType>(op->getResult(0).getType()) ||
        !elementOf(op->getResult(0)).isF32())
      return;
    bool readsDequantized = llvm::any_of(op->getOperands(), [](Value v) {
      auto dq = v.getDefiningOp<DequantizeOp>();
      return dq && !matchPattern(dq.getInput(), m_Constant());
    });
    if (!readsDequantized)
      return;
    bool feedsQuantize = llvm::any_of(op->getUsers(), [](Operation *u) {
      return isa<QuantizeOp>(u) || (isa<ActivationOp>(u) && llvm::any_of(u->getUsers(), [](
                                                               Operation *uu) {
                                      return isa<QuantizeOp>(uu);
                                    }));
    });
    std::string why = feedsQuantize
                          ? "stays float: no integer form of " +
                                op->getName().stripDialect().str() + " with these operands"
                          : "stays float: its result is not quantized";
    recordApplied(op, why);
  });
}

struct IntegerIslandsPass : tinyc::impl::TinycIntegerIslandsBase<IntegerIslandsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    IslandRewriter islands(&getContext());
    llvm::SmallVector<Operation *> moves;
    func.walk([&](Operation *op) {
      if (isa<ReshapeOp, TransposeOp>(op))
        moves.push_back(op);
    });
    for (Operation *op : moves)
      islands.moveDequantizeDown(op);
    llvm::SmallVector<QuantizeOp> quantizes;
    func.walk([&](QuantizeOp q) { quantizes.push_back(q); });
    for (QuantizeOp q : quantizes)
      if (!islands.rewrite(q))
        islands.rewriteRoundTrip(q);

    RewritePatternSet patterns(&getContext());
    patterns.add<QuantizeOfTranspose, ElementwiseOfTransposes<QAddOp>,
                 ElementwiseOfTransposes<QMulOp>, ElementwiseOfTransposes<QTableOp>,
                 TransposeOfUnitDims, ReshapeOfReshape>(
        &getContext());
    if (failed(applyPatternsAndFoldGreedily(func, std::move(patterns))))
      return signalPassFailure();
    explainFloatOps(func);
  }
};

} // namespace
