//===- QuantizeInt8.cpp - post-training int8 quantization from calibration ===//
//
// `tinyc --quantize=int8 --calibration=DIR` turns a float model into the QDQ
// form that tinyc-integer-islands already compiles to integers:
//
//  1. Calibration: the float function is evaluated on the host, op by op, on
//     each calibration set (the `tinyc.calibration` attribute of the function,
//     one array of input tensors per set, put there by the driver), and every
//     activation's range is recorded: min/max, or the given percentile of its
//     values and its complement.
//  2. Insertion: each activation gets QuantizeLinear -> DequantizeLinear with
//     per-tensor asymmetric int8 parameters from its range (the range always
//     holds 0, so that zero padding and Relu's zeros are exact). A Relu or
//     constant Clip is left inside its producer's island: integer islands
//     fold it into the saturation bounds. Constant weights of Conv, Gemm and
//     2-d MatMul become DequantizeLinear of int8 per output channel, symmetric
//     (zero point 0, [-127, 127]), and their float biases DequantizeLinear of
//     int32 in the accumulator's scale (input scale x weight scale).
//  3. SQNR: the rewritten function is evaluated the same way (QuantizeLinear
//     and DequantizeLinear computed as ONNX defines them, so this is a
//     simulation of the integer arithmetic with fake quantization, not the
//     integer kernels themselves), and each layer's dequantized output is set
//     against the float output on the calibration set. The figures go to the
//     function's `tinyc.quantization_sqnr` attribute for --report.
//
// The graph's outputs stay float, as in the QDQ models tinyc compiles.
//
//===----------------------------------------------------------------------===//

#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"

#include "mlir/IR/Matchers.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCQUANTIZEINT8
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

using Data = std::vector<double>;

llvm::ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }
Type elementOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }
int64_t countOf(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}
bool isF32Tensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && t.hasStaticShape() && t.getElementType().isF32();
}

llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> s(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    s[d] = s[d + 1] * shape[d + 1];
  return s;
}

/// The index into a tensor of `inShape` that NumPy broadcasting reads for
/// the element at `outIndex` of a result of `outShape`.
int64_t broadcastIndex(int64_t outIndex, llvm::ArrayRef<int64_t> outShape,
                       llvm::ArrayRef<int64_t> inShape) {
  int64_t in = 0, inStride = 1;
  int64_t offset = outShape.size() - inShape.size();
  for (int64_t d = outShape.size() - 1; d >= 0; --d) {
    int64_t coord = outIndex % outShape[d];
    outIndex /= outShape[d];
    int64_t id = d - offset;
    if (id >= 0) {
      if (inShape[id] != 1)
        in += coord * inStride;
      inStride *= inShape[id];
    }
  }
  return in;
}

/// Host values of a dense attribute (floats and integers as doubles; a
/// splat expanded), or nothing for an element type it cannot hold.
std::optional<Data> readDense(DenseElementsAttr attr) {
  Data d;
  d.reserve(attr.getNumElements());
  if (isa<FloatType>(attr.getElementType())) {
    for (llvm::APFloat x : attr.getValues<llvm::APFloat>()) {
      bool lost;
      x.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &lost);
      d.push_back(x.convertToDouble());
    }
    return d;
  }
  auto intType = dyn_cast<IntegerType>(attr.getElementType());
  if (!intType || intType.getWidth() > 64)
    return std::nullopt;
  bool isUnsigned = intType.isUnsigned() || intType.getWidth() == 1;
  for (const llvm::APInt &x : attr.getValues<llvm::APInt>())
    d.push_back(isUnsigned ? static_cast<double>(x.getZExtValue())
                           : static_cast<double>(x.getSExtValue()));
  return d;
}

/// Host values of a constant.
std::optional<Data> readConstant(Value v) {
  DenseElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  return readDense(attr);
}

DenseElementsAttr writeAttr(RankedTensorType type, const Data &d) {
  Type elem = type.getElementType();
  if (auto ft = dyn_cast<FloatType>(elem)) {
    llvm::SmallVector<llvm::APFloat> values;
    for (double x : d) {
      llvm::APFloat f(x);
      bool lost;
      f.convert(ft.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven, &lost);
      values.push_back(f);
    }
    return DenseElementsAttr::get(type, values);
  }
  unsigned width = elem.getIntOrFloatBitWidth();
  llvm::SmallVector<llvm::APInt> values;
  for (double x : d)
    values.push_back(llvm::APInt(width, static_cast<uint64_t>(static_cast<int64_t>(x)),
                                 /*isSigned=*/true));
  return DenseElementsAttr::get(type, values);
}

/// Evaluates a function on the host, op by op, in double precision (float
/// ops also round to float where the generated code would: Quantize divides
/// in float, as ONNX does). What it cannot compute natively it asks the op's
/// folder for, with its operands as constants.
class Evaluator {
public:
  explicit Evaluator(func::FuncOp func) : func(func) {}

  /// Runs the function on `inputs` (one per argument) and calls `observe`
  /// with each argument's and each op result's values.
  LogicalResult run(llvm::ArrayRef<Data> inputs,
                    llvm::function_ref<void(Value, const Data &)> observe) {
    llvm::DenseMap<Value, Data> values;
    Block &body = func.getBody().front();
    for (auto [arg, data] : llvm::zip(body.getArguments(), inputs)) {
      values[arg] = data;
      observe(arg, data);
    }
    for (Operation &op : body) {
      if (isa<func::ReturnOp>(op))
        break;
      if (op.getNumResults() != 1)
        return op.emitError("calibration cannot evaluate ") << op.getName() << " (results: "
                                                             << op.getNumResults() << ")";
      Value result = op.getResult(0);
      if (isa<ConstantOp>(op)) {
        // Weights are read once, not once per calibration set.
        auto cached = constants.find(result);
        if (cached == constants.end()) {
          std::optional<Data> d = readConstant(result);
          if (!d)
            return op.emitError("calibration cannot read this constant");
          cached = constants.insert({result, std::move(*d)}).first;
        }
        continue;
      }
      llvm::SmallVector<const Data *> operands;
      for (Value operand : op.getOperands()) {
        auto c = constants.find(operand);
        if (c != constants.end()) {
          operands.push_back(&c->second);
          continue;
        }
        auto it = values.find(operand);
        if (it == values.end())
          return op.emitError("calibration cannot evaluate an operand of ") << op.getName();
        operands.push_back(&it->second);
      }
      FailureOr<Data> out = evaluate(&op, operands);
      if (failed(out))
        return failure();
      observe(result, *out);
      values[result] = std::move(*out);
    }
    return success();
  }

private:
  func::FuncOp func;
  llvm::DenseMap<Value, Data> constants;

  FailureOr<Data> evaluate(Operation *op, llvm::ArrayRef<const Data *> in) {
    int64_t count = countOf(shapeOf(op->getResult(0)));
    if (auto conv = dyn_cast<ConvOp>(op))
      return evalConv(conv, in);
    if (auto gemm = dyn_cast<GemmOp>(op))
      return evalGemm(gemm, in);
    if (auto matmul = dyn_cast<MatMulOp>(op))
      return evalMatMul(matmul, in);
    if (auto pool = dyn_cast<PoolOp>(op))
      return evalPool(pool, *in[0]);
    if (auto softmax = dyn_cast<SoftmaxOp>(op))
      return evalSoftmax(softmax, *in[0]);
    if (auto act = dyn_cast<ActivationOp>(op)) {
      Data out(count);
      for (int64_t i = 0; i < count; ++i)
        out[i] = act.getAct().apply(static_cast<float>((*in[0])[i]));
      return out;
    }
    if (isa<ReshapeOp>(op))
      return *in[0];
    if (auto t = dyn_cast<TransposeOp>(op))
      return evalTranspose(t, *in[0]);
    if (auto q = dyn_cast<QuantizeOp>(op))
      return evalQuantize(q, in, /*quantize=*/true);
    if (auto dq = dyn_cast<DequantizeOp>(op))
      return evalQuantize(dq, in, /*quantize=*/false);
    if (isa<AddOp, SubOp, MulOp, DivOp>(op) && !op->hasAttr("act") && !op->hasAttr("quant") &&
        isF32Tensor(op->getResult(0)))
      return evalBinary(op, *in[0], *in[1]);
    if (auto bn = dyn_cast<BatchNormOp>(op))
      return evalBatchNorm(bn, in);
    return foldOp(op, in);
  }

  /// An op the evaluator has no native form for, through its folder.
  FailureOr<Data> foldOp(Operation *op, llvm::ArrayRef<const Data *> in) {
    llvm::SmallVector<Attribute> attrs;
    for (auto [operand, data] : llvm::zip(op->getOperands(), in))
      attrs.push_back(writeAttr(cast<RankedTensorType>(operand.getType()), *data));
    llvm::SmallVector<OpFoldResult> folded;
    if (failed(op->fold(attrs, folded)) || folded.size() != 1) {
      op->emitError("calibration cannot evaluate ") << op->getName();
      return failure();
    }
    Attribute attr = dyn_cast<Attribute>(folded[0]);
    if (!attr) {
      // The fold returned one of the operands.
      Value v = cast<Value>(folded[0]);
      for (auto [operand, data] : llvm::zip(op->getOperands(), in))
        if (operand == v)
          return *data;
    }
    if (auto dense = dyn_cast_or_null<DenseElementsAttr>(attr))
      if (std::optional<Data> values = readDense(dense))
        return *values;
    op->emitError("calibration cannot evaluate ") << op->getName();
    return failure();
  }

  static double applyEpilogue(Operation *op, double x) {
    if (auto act = op->getAttrOfType<ActivationAttr>("act"))
      x = act.apply(static_cast<float>(x));
    return x;
  }

  FailureOr<Data> evalConv(ConvOp conv, llvm::ArrayRef<const Data *> in) {
    if (conv.getQuantAttr()) {
      conv.emitError("calibration cannot evaluate a convolution with a fused quantization");
      return failure();
    }
    llvm::ArrayRef<int64_t> xs = shapeOf(conv.getInput()), ws = shapeOf(conv.getWeight()),
                            ys = shapeOf(conv);
    int64_t spatial = conv.getNumSpatialDims();
    if (spatial < 1 || spatial > 3) {
      conv.emitError("calibration evaluates 1-, 2- and 3-d convolutions only");
      return failure();
    }
    // As 3-d: missing leading spatial dimensions are 1.
    auto pad3 = [&](llvm::ArrayRef<int64_t> dims, int64_t fill) {
      llvm::SmallVector<int64_t, 3> r(3 - dims.size(), fill);
      r.append(dims.begin(), dims.end());
      return r;
    };
    auto xsp = pad3(xs.drop_front(2), 1), wsp = pad3(ws.drop_front(2), 1),
         ysp = pad3(ys.drop_front(2), 1);
    auto st = pad3(conv.getStrides(), 1), dl = pad3(conv.getDilations(), 1);
    auto pb = pad3(conv.getPads().take_front(spatial), 0);
    int64_t n = xs[0], c = xs[1], m = ws[0], cg = ws[1], group = conv.getGroup();
    int64_t mg = m / group;
    const Data &x = *in[0], &w = *in[1];
    const Data *bias = conv.getBias() ? in[2] : nullptr;
    const Data *residual = conv.getResidual() ? in[conv.getBias() ? 3 : 2] : nullptr;
    Data y(countOf(ys));
    int64_t xPlane = xsp[0] * xsp[1] * xsp[2], yPlane = ysp[0] * ysp[1] * ysp[2];
    int64_t wTaps = wsp[0] * wsp[1] * wsp[2];
    for (int64_t b = 0; b < n; ++b)
      for (int64_t o = 0; o < m; ++o) {
        int64_t g = o / mg;
        for (int64_t od = 0; od < ysp[0]; ++od)
          for (int64_t oh = 0; oh < ysp[1]; ++oh)
            for (int64_t ow = 0; ow < ysp[2]; ++ow) {
              double acc = bias ? (*bias)[o] : 0.0;
              for (int64_t ci = 0; ci < cg; ++ci) {
                int64_t ic = g * cg + ci;
                const double *xp = &x[(b * c + ic) * xPlane];
                const double *wp = &w[(o * cg + ci) * wTaps];
                for (int64_t kd = 0; kd < wsp[0]; ++kd) {
                  int64_t id = od * st[0] - pb[0] + kd * dl[0];
                  if (id < 0 || id >= xsp[0])
                    continue;
                  for (int64_t kh = 0; kh < wsp[1]; ++kh) {
                    int64_t ih = oh * st[1] - pb[1] + kh * dl[1];
                    if (ih < 0 || ih >= xsp[1])
                      continue;
                    for (int64_t kw = 0; kw < wsp[2]; ++kw) {
                      int64_t iw = ow * st[2] - pb[2] + kw * dl[2];
                      if (iw < 0 || iw >= xsp[2])
                        continue;
                      acc += xp[(id * xsp[1] + ih) * xsp[2] + iw] *
                             wp[(kd * wsp[1] + kh) * wsp[2] + kw];
                    }
                  }
                }
              }
              int64_t yi = (b * m + o) * yPlane + (od * ysp[1] + oh) * ysp[2] + ow;
              if (residual)
                acc += (*residual)[yi];
              y[yi] = applyEpilogue(conv, acc);
            }
      }
    return y;
  }

  FailureOr<Data> evalGemm(GemmOp gemm, llvm::ArrayRef<const Data *> in) {
    if (gemm.getQuantAttr()) {
      gemm.emitError("calibration cannot evaluate a Gemm with a fused quantization");
      return failure();
    }
    llvm::ArrayRef<int64_t> as = shapeOf(gemm.getA()), ys = shapeOf(gemm);
    bool ta = gemm.getTransA(), tb = gemm.getTransB();
    int64_t rows = ys[0], cols = ys[1], k = ta ? as[0] : as[1];
    double alpha = gemm.getAlpha().convertToFloat(), beta = gemm.getBeta().convertToFloat();
    const Data &a = *in[0], &b = *in[1];
    Data y(rows * cols);
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        double acc = 0.0;
        for (int64_t p = 0; p < k; ++p)
          acc += a[ta ? p * rows + i : i * k + p] * b[tb ? j * k + p : p * cols + j];
        acc *= alpha;
        if (gemm.getC())
          acc += beta * (*in[2])[broadcastIndex(i * cols + j, ys, shapeOf(gemm.getC()))];
        y[i * cols + j] = applyEpilogue(gemm, acc);
      }
    return y;
  }

  FailureOr<Data> evalMatMul(MatMulOp mm, llvm::ArrayRef<const Data *> in) {
    llvm::ArrayRef<int64_t> ls = shapeOf(mm.getLhs()), rs = shapeOf(mm.getRhs()),
                            ys = shapeOf(mm);
    if (mm.getQuantAttr() || ls.size() < 2 || rs.size() < 2) {
      mm.emitError("calibration evaluates MatMul of operands of rank 2 or more only");
      return failure();
    }
    int64_t rows = ls[ls.size() - 2], k = ls.back(), cols = rs.back();
    llvm::SmallVector<int64_t> batch(ys.drop_back(2)), lb(ls.drop_back(2)), rb(rs.drop_back(2));
    int64_t batches = countOf(batch);
    Data y(countOf(ys));
    for (int64_t bi = 0; bi < batches; ++bi) {
      int64_t l = broadcastIndex(bi, batch, lb) * rows * k;
      int64_t r = broadcastIndex(bi, batch, rb) * k * cols;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) {
          double acc = 0.0;
          for (int64_t p = 0; p < k; ++p)
            acc += (*in[0])[l + i * k + p] * (*in[1])[r + p * cols + j];
          y[(bi * rows + i) * cols + j] = applyEpilogue(mm, acc);
        }
    }
    return y;
  }

  FailureOr<Data> evalPool(PoolOp pool, const Data &x) {
    llvm::ArrayRef<int64_t> xs = shapeOf(pool.getInput()), ys = shapeOf(pool);
    int64_t spatial = pool.getKernel().size();
    if (spatial < 1 || spatial > 3 || pool.getQuantAttr()) {
      pool.emitError("calibration evaluates 1-, 2- and 3-d float pooling only");
      return failure();
    }
    auto pad3 = [&](llvm::ArrayRef<int64_t> dims, int64_t fill) {
      llvm::SmallVector<int64_t, 3> r(3 - dims.size(), fill);
      r.append(dims.begin(), dims.end());
      return r;
    };
    auto xsp = pad3(xs.drop_front(2), 1), ysp = pad3(ys.drop_front(2), 1);
    auto kk = pad3(pool.getKernel(), 1), st = pad3(pool.getStrides(), 1),
         dl = pad3(pool.getDilations(), 1);
    auto pb = pad3(pool.getPads().take_front(spatial), 0),
         pe = pad3(pool.getPads().drop_front(spatial), 0);
    bool isMax = pool.getKind() == PoolKind::max;
    bool includePad = pool.getCountIncludePad();
    int64_t planes = xs[0] * xs[1];
    int64_t xPlane = xsp[0] * xsp[1] * xsp[2], yPlane = ysp[0] * ysp[1] * ysp[2];
    Data y(planes * yPlane);
    for (int64_t p = 0; p < planes; ++p)
      for (int64_t od = 0; od < ysp[0]; ++od)
        for (int64_t oh = 0; oh < ysp[1]; ++oh)
          for (int64_t ow = 0; ow < ysp[2]; ++ow) {
            double acc = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
            int64_t inside = 0, padded = 0;
            int64_t o[3] = {od, oh, ow};
            for (int64_t kd = 0; kd < kk[0]; ++kd)
              for (int64_t kh = 0; kh < kk[1]; ++kh)
                for (int64_t kw = 0; kw < kk[2]; ++kw) {
                  int64_t kx[3] = {kd, kh, kw}, ix[3];
                  bool inInput = true, inPadded = true;
                  for (int d = 0; d < 3; ++d) {
                    ix[d] = o[d] * st[d] - pb[d] + kx[d] * dl[d];
                    inInput = inInput && ix[d] >= 0 && ix[d] < xsp[d];
                    inPadded = inPadded && ix[d] >= -pb[d] && ix[d] < xsp[d] + pe[d];
                  }
                  padded += inPadded;
                  if (!inInput)
                    continue;
                  double v = x[p * xPlane + (ix[0] * xsp[1] + ix[1]) * xsp[2] + ix[2]];
                  acc = isMax ? std::max(acc, v) : acc + v;
                  ++inside;
                }
            if (!isMax) {
              int64_t divisor = includePad ? padded : inside;
              acc = divisor ? acc / divisor : 0.0;
            }
            y[p * yPlane + (od * ysp[1] + oh) * ysp[2] + ow] = acc;
          }
    return y;
  }

  FailureOr<Data> evalSoftmax(SoftmaxOp op, const Data &x) {
    llvm::ArrayRef<int64_t> shape = shapeOf(op);
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += shape.size();
    int64_t len = shape[axis], inner = countOf(shape.drop_front(axis + 1));
    int64_t outer = countOf(shape.take_front(axis));
    Data y(x.size());
    for (int64_t a = 0; a < outer; ++a)
      for (int64_t b = 0; b < inner; ++b) {
        double mx = -std::numeric_limits<double>::infinity(), sum = 0.0;
        for (int64_t i = 0; i < len; ++i)
          mx = std::max(mx, x[(a * len + i) * inner + b]);
        for (int64_t i = 0; i < len; ++i)
          sum += std::exp(x[(a * len + i) * inner + b] - mx);
        for (int64_t i = 0; i < len; ++i)
          y[(a * len + i) * inner + b] = std::exp(x[(a * len + i) * inner + b] - mx) / sum;
      }
    return y;
  }

  FailureOr<Data> evalTranspose(TransposeOp op, const Data &x) {
    llvm::ArrayRef<int64_t> in = shapeOf(op.getInput()), out = shapeOf(op);
    llvm::ArrayRef<int64_t> perm = op.getPerm();
    llvm::SmallVector<int64_t> inStrides = stridesOf(in);
    Data y(x.size());
    for (int64_t i = 0, e = y.size(); i < e; ++i) {
      int64_t rest = i, src = 0;
      for (int64_t d = out.size() - 1; d >= 0; --d) {
        src += (rest % out[d]) * inStrides[perm[d]];
        rest /= out[d];
      }
      y[i] = x[src];
    }
    return y;
  }

  FailureOr<Data> evalBinary(Operation *op, const Data &l, const Data &r) {
    llvm::ArrayRef<int64_t> ys = shapeOf(op->getResult(0)), ls = shapeOf(op->getOperand(0)),
                            rs = shapeOf(op->getOperand(1));
    Data y(countOf(ys));
    for (int64_t i = 0, e = y.size(); i < e; ++i) {
      float a = l[broadcastIndex(i, ys, ls)], b = r[broadcastIndex(i, ys, rs)];
      // In float, as the generated code computes.
      y[i] = isa<AddOp>(op) ? a + b : isa<SubOp>(op) ? a - b : isa<MulOp>(op) ? a * b : a / b;
    }
    return y;
  }

  FailureOr<Data> evalBatchNorm(BatchNormOp op, llvm::ArrayRef<const Data *> in) {
    llvm::ArrayRef<int64_t> shape = shapeOf(op);
    int64_t channels = shape[1], inner = countOf(shape.drop_front(2));
    double eps = op.getEpsilon().convertToFloat();
    Data y(in[0]->size());
    for (int64_t i = 0, e = y.size(); i < e; ++i) {
      int64_t ch = (i / inner) % channels;
      y[i] = ((*in[0])[i] - (*in[3])[ch]) / std::sqrt((*in[4])[ch] + eps) * (*in[1])[ch] +
             (*in[2])[ch];
    }
    return y;
  }

  /// QuantizeLinear / DequantizeLinear as ONNX defines them, in float.
  template <typename OpTy>
  FailureOr<Data> evalQuantize(OpTy op, llvm::ArrayRef<const Data *> in, bool quantize) {
    llvm::ArrayRef<int64_t> shape = shapeOf(op.getInput());
    const Data &x = *in[0], &scale = *in[1], &zp = *in[2];
    int64_t axis = static_cast<int64_t>(op.getAxis());
    if (axis < 0)
      axis += shape.size();
    int64_t inner = scale.size() == 1 ? 1 : countOf(shape.drop_front(axis + 1));
    int64_t lo = 0, hi = 0;
    if (quantize) {
      auto t = cast<IntegerType>(elementOf(op.getResult()));
      unsigned width = t.getWidth();
      lo = t.isUnsigned() ? 0 : -(int64_t{1} << (width - 1));
      hi = t.isUnsigned() ? (int64_t{1} << width) - 1 : (int64_t{1} << (width - 1)) - 1;
    }
    Data y(x.size());
    for (int64_t i = 0, e = y.size(); i < e; ++i) {
      int64_t ch = scale.size() == 1 ? 0 : (i / inner) % static_cast<int64_t>(scale.size());
      float s = static_cast<float>(scale[ch]);
      if (quantize) {
        float q = std::nearbyint(static_cast<float>(x[i]) / s) + static_cast<float>(zp[ch]);
        y[i] = std::clamp<double>(q, lo, hi);
      } else {
        y[i] = static_cast<float>((x[i] - zp[ch]) * s);
      }
    }
    return y;
  }
};

/// The range one activation took on the calibration set.
struct Range {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  std::vector<float> samples; ///< all values, for the percentile option
};

struct ActivationParams {
  float scale;
  int8_t zeroPoint;
};

/// Per-tensor asymmetric int8 parameters for [lo, hi], widened to hold 0.
ActivationParams paramsFor(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  if (!(hi > lo) || !std::isfinite(hi - lo))
    return {1.0f, 0}; // all zeros (or no finite value): any scale is exact
  float scale = static_cast<float>((hi - lo) / 255.0);
  if (!(scale > 0.0f))
    scale = std::numeric_limits<float>::min();
  double zp = std::nearbyint(-128.0 - lo / scale);
  return {scale, static_cast<int8_t>(std::clamp(zp, -128.0, 127.0))};
}

/// Whether `v` is only read by a Relu or a constant Clip, which integer
/// islands fold into the producer's saturation bounds: its quantization is
/// the activation's.
bool feedsFusableActivation(Value v) {
  if (!v.hasOneUse())
    return false;
  Operation *user = *v.getUsers().begin();
  if (auto act = dyn_cast<ActivationOp>(user))
    return act.getAct().getKind() == ActivationKind::relu ||
           act.getAct().getKind() == ActivationKind::clip;
  if (auto clip = dyn_cast<ClipOp>(user))
    return readConstantFloats(clip.getMin()) && readConstantFloats(clip.getMax());
  return false;
}

/// Producers whose result tinyc-integer-islands can take as int8.
bool hasIntegerForm(Operation *op) {
  return isa<ConvOp, GemmOp, MatMulOp, AddOp, SubOp, MulOp, PoolOp, ActivationOp, ClipOp,
             ReshapeOp, TransposeOp, ConcatOp, PadOp>(op);
}

struct TinycQuantizeInt8 : public mlir::tinyc::impl::TinycQuantizeInt8Base<TinycQuantizeInt8> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    auto sets = func->getAttrOfType<ArrayAttr>(kCalibrationAttr);
    if (!sets || sets.empty()) {
      func.emitError("--quantize=int8 needs calibration inputs (--calibration=DIR); tinyc does "
                     "not guess activation ranges");
      return signalPassFailure();
    }
    if (!(percentile > 50.0 && percentile <= 100.0)) {
      func.emitError("the calibration percentile must be in (50, 100], not ") << percentile;
      return signalPassFailure();
    }
    Block &body = func.getBody().front();
    llvm::SmallVector<llvm::SmallVector<Data>> inputs;
    for (Attribute set : sets) {
      auto tensors = dyn_cast<ArrayAttr>(set);
      if (!tensors || tensors.size() != body.getNumArguments()) {
        func.emitError("a calibration set does not hold one tensor per input");
        return signalPassFailure();
      }
      llvm::SmallVector<Data> values;
      for (auto [arg, tensor] : llvm::zip(body.getArguments(), tensors)) {
        auto dense = dyn_cast<DenseElementsAttr>(tensor);
        if (!dense || dense.getType() != arg.getType()) {
          func.emitError("a calibration tensor's type is not its input's ") << arg.getType();
          return signalPassFailure();
        }
        std::optional<Data> data = readDense(dense);
        if (!data) {
          func.emitError("a calibration tensor's element type is not a number type");
          return signalPassFailure();
        }
        values.push_back(std::move(*data));
      }
      inputs.push_back(std::move(values));
    }

    // Which values get a QuantizeLinear -> DequantizeLinear pair, and which
    // are compared for the SQNR (those and the graph's outputs).
    llvm::SetVector<Value> quantized, compared;
    auto returned = [&](Value v) {
      return llvm::any_of(v.getUsers(), [](Operation *u) { return isa<func::ReturnOp>(u); });
    };
    auto consider = [&](Value v) {
      if (!isF32Tensor(v) || v.use_empty() || returned(v) || feedsFusableActivation(v))
        return;
      quantized.insert(v);
    };
    for (BlockArgument arg : body.getArguments())
      consider(arg);
    for (Operation &op : body)
      if (op.getNumResults() == 1 && hasIntegerForm(&op))
        consider(op.getResult(0));
    compared = quantized;
    for (Value v : body.getTerminator()->getOperands())
      if (isF32Tensor(v) && !isa<BlockArgument>(v))
        compared.insert(v);

    // 1. Calibration: ranges, and the float results to set the quantized
    // ones against.
    bool keepSamples = percentile < 100.0;
    llvm::DenseMap<Value, Range> ranges;
    std::vector<llvm::DenseMap<Value, Data>> reference(inputs.size());
    Evaluator floatModel(func);
    for (size_t s = 0; s < inputs.size(); ++s)
      if (failed(floatModel.run(inputs[s], [&](Value v, const Data &d) {
            if (!compared.contains(v))
              return;
            reference[s][v] = d;
            if (!quantized.contains(v))
              return;
            Range &r = ranges[v];
            for (double x : d) {
              if (!std::isfinite(x))
                continue;
              r.lo = std::min(r.lo, x);
              r.hi = std::max(r.hi, x);
              if (keepSamples)
                r.samples.push_back(static_cast<float>(x));
            }
          })))
        return signalPassFailure();

    llvm::DenseMap<Value, ActivationParams> params;
    for (Value v : quantized) {
      Range &r = ranges[v];
      if (keepSamples && !r.samples.empty()) {
        auto at = [&](double p) {
          size_t k = static_cast<size_t>(std::llround(p / 100.0 * (r.samples.size() - 1)));
          std::nth_element(r.samples.begin(), r.samples.begin() + k, r.samples.end());
          return static_cast<double>(r.samples[k]);
        };
        r.hi = at(percentile);
        r.lo = at(100.0 - percentile);
      }
      params[v] = paramsFor(r.lo, r.hi);
    }

    // 2. Insertion.
    OpBuilder b(func.getContext());
    MLIRContext *ctx = func.getContext();
    Type i8 = IntegerType::get(ctx, 8), i32 = IntegerType::get(ctx, 32);
    auto scalarF32 = [&](Location loc, float x) { return makeConstantFloats(b, loc, {}, {x}); };
    auto intConst = [&](Location loc, llvm::ArrayRef<int64_t> shape, Type elem,
                        llvm::ArrayRef<int64_t> values) {
      auto type = RankedTensorType::get(shape, elem);
      llvm::SmallVector<llvm::APInt> bits;
      for (int64_t x : values)
        bits.push_back(llvm::APInt(elem.getIntOrFloatBitWidth(), static_cast<uint64_t>(x),
                                   /*isSigned=*/true));
      return b.create<ConstantOp>(loc, DenseElementsAttr::get(type, bits));
    };
    llvm::DenseMap<Value, Value> dequantized; // activation -> its DequantizeLinear
    for (Value v : quantized) {
      ActivationParams p = params[v];
      if (auto arg = dyn_cast<BlockArgument>(v))
        b.setInsertionPointToStart(&body);
      else
        b.setInsertionPointAfter(v.getDefiningOp());
      Location loc = isa<BlockArgument>(v) ? func.getLoc() : v.getDefiningOp()->getLoc();
      Value scale = scalarF32(loc, p.scale);
      Value zp = intConst(loc, {}, i8, {p.zeroPoint});
      auto qType = RankedTensorType::get(shapeOf(v), i8);
      Value q = b.create<QuantizeOp>(loc, qType, v, scale, zp, b.getI64IntegerAttr(0));
      Value dq = b.create<DequantizeOp>(loc, v.getType(), q, scale, zp, b.getI64IntegerAttr(0));
      v.replaceAllUsesExcept(dq, q.getDefiningOp());
      dequantized[v] = dq;
    }

    // Weights per output channel, biases in the accumulator's scale.
    auto inputScale = [&](Value operand) -> std::optional<float> {
      auto dq = operand.getDefiningOp<DequantizeOp>();
      auto q = dq ? dq.getInput().getDefiningOp<QuantizeOp>() : QuantizeOp();
      if (!q || !params.count(q.getInput()))
        return std::nullopt;
      return params[q.getInput()].scale;
    };
    auto quantizeLayer = [&](Operation *op, Value input, OpOperand &weight, int64_t axis,
                             OpOperand *bias) {
      std::optional<float> sIn = inputScale(input);
      std::optional<Data> w = readConstant(weight.get());
      if (!sIn || !w || !isF32Tensor(weight.get()))
        return;
      llvm::ArrayRef<int64_t> ws = shapeOf(weight.get());
      int64_t channels = ws[axis], inner = countOf(ws.drop_front(axis + 1));
      std::vector<float> scales(channels, 0.0f);
      for (int64_t i = 0, e = w->size(); i < e; ++i) {
        int64_t ch = (i / inner) % channels;
        scales[ch] = std::max(scales[ch], static_cast<float>(std::fabs((*w)[i])));
      }
      for (float &s : scales)
        s = s > 0.0f ? s / 127.0f : 1.0f; // an all-zero channel: any scale is exact
      // A channel of near-zero weights would make its bias overflow int32 in
      // the accumulator's scale: its weight scale grows until the bias fits
      // in 2^30 (its weights then round to zero, which they nearly are).
      std::optional<Data> bf;
      if (bias && isF32Tensor(bias->get()) && shapeOf(bias->get()).size() == 1 &&
          shapeOf(bias->get())[0] == channels)
        bf = readConstant(bias->get());
      if (bf)
        for (int64_t ch = 0; ch < channels; ++ch)
          scales[ch] = std::max(scales[ch],
                                static_cast<float>(std::fabs((*bf)[ch]) / (*sIn * 1073741824.0)));
      std::vector<int64_t> ints(w->size());
      for (int64_t i = 0, e = w->size(); i < e; ++i) {
        int64_t ch = (i / inner) % channels;
        float q = std::nearbyint(static_cast<float>((*w)[i]) / scales[ch]);
        ints[i] = static_cast<int64_t>(std::clamp(q, -127.0f, 127.0f));
      }
      Location loc = op->getLoc();
      b.setInsertionPoint(op);
      Value wq = intConst(loc, ws, i8, ints);
      Value ws1 = makeConstantFloats(b, loc, {channels}, scales);
      Value wz = intConst(loc, {channels}, i8, std::vector<int64_t>(channels, 0));
      weight.set(b.create<DequantizeOp>(loc, weight.get().getType(), wq, ws1, wz,
                                        b.getI64IntegerAttr(axis)));
      if (!bf)
        return; // no bias, or one integer islands quantize as it is
      std::vector<float> accScales(channels);
      std::vector<int64_t> bq(channels);
      for (int64_t ch = 0; ch < channels; ++ch) {
        accScales[ch] = *sIn * scales[ch];
        double q = std::nearbyint((*bf)[ch] / accScales[ch]);
        if (std::fabs(q) > 2147483647.0)
          return;
        bq[ch] = static_cast<int64_t>(q);
      }
      Value bi = intConst(loc, {channels}, i32, bq);
      Value bs = makeConstantFloats(b, loc, {channels}, accScales);
      Value bz = intConst(loc, {channels}, i32, std::vector<int64_t>(channels, 0));
      bias->set(b.create<DequantizeOp>(loc, bias->get().getType(), bi, bs, bz,
                                       b.getI64IntegerAttr(0)));
    };
    func.walk([&](Operation *op) {
      if (auto conv = dyn_cast<ConvOp>(op)) {
        OpOperand *bias = conv.getBias() ? &conv->getOpOperand(2) : nullptr;
        quantizeLayer(op, conv.getInput(), conv->getOpOperand(1), 0, bias);
      } else if (auto gemm = dyn_cast<GemmOp>(op)) {
        if (gemm.getTransA())
          return;
        OpOperand *bias = gemm.getC() && gemm.getBeta().convertToFloat() == 1.0f
                              ? &gemm->getOpOperand(2)
                              : nullptr;
        quantizeLayer(op, gemm.getA(), gemm->getOpOperand(1), gemm.getTransB() ? 0 : 1, bias);
      } else if (auto mm = dyn_cast<MatMulOp>(op)) {
        if (shapeOf(mm.getLhs()).size() == 2 && shapeOf(mm.getRhs()).size() == 2)
          quantizeLayer(op, mm.getLhs(), mm->getOpOperand(1), 1, nullptr);
      }
    });

    // 3. SQNR of each layer on the calibration set, the quantized graph
    // simulated with fake quantization.
    llvm::DenseMap<Value, Value> observedAs; // the value whose data stands for it
    for (Value v : compared)
      observedAs[dequantized.count(v) ? dequantized[v] : v] = v;
    llvm::DenseMap<Value, std::pair<double, double>> power; // signal, noise
    Evaluator quantizedModel(func);
    for (size_t s = 0; s < inputs.size(); ++s)
      if (failed(quantizedModel.run(inputs[s], [&](Value v, const Data &d) {
            auto it = observedAs.find(v);
            if (it == observedAs.end())
              return;
            const Data &ref = reference[s][it->second];
            auto &[signal, noise] = power[it->second];
            for (size_t i = 0; i < d.size(); ++i) {
              signal += ref[i] * ref[i];
              noise += (ref[i] - d[i]) * (ref[i] - d[i]);
            }
          })))
        return signalPassFailure();
    llvm::SmallVector<Attribute> sqnr;
    for (Value v : compared) {
      if (isa<BlockArgument>(v))
        continue; // the input's quantization is the first layer's
      // A fused Relu's figure is its producer's layer's.
      Operation *layer = v.getDefiningOp();
      if (isa<ActivationOp, ClipOp>(layer) && layer->getOperand(0).getDefiningOp() &&
          !isa<ConstantOp, DequantizeOp>(layer->getOperand(0).getDefiningOp()))
        layer = layer->getOperand(0).getDefiningOp();
      auto [signal, noise] = power[v];
      double db = noise > 0.0 ? 10.0 * std::log10(signal / noise)
                              : std::numeric_limits<double>::infinity();
      sqnr.push_back(ArrayAttr::get(
          ctx, {LocationAttr(layer->getLoc()), FloatAttr::get(Float64Type::get(ctx), db),
                BoolAttr::get(ctx, !quantized.contains(v))}));
    }
    func->removeAttr(kCalibrationAttr);
    func->setAttr(kQuantizationSqnrAttr, ArrayAttr::get(ctx, sqnr));
  }
};

} // namespace
