//===- OnnxNN.cpp - Conv, Gemm, MatMul, pooling, BatchNorm, Softmax -------===//

#include "NodeImporter.h"

#include "llvm/Support/CheckedArithmetic.h"

#include <array>
#include <numeric>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::onnx_import;

namespace {

LogicalResult requireFloat(NodeImporter &n, unsigned i) {
  Type elem = n.inputType(i).getElementType();
  if (elem.isF32() || elem.isF64())
    return success();
  return n.error() << "input " << i << " has element type " << elem
                   << "; only float and double are supported";
}

/// Strides, dilations and explicit pads of a sliding-window operator, with
/// ONNX defaults and auto_pad resolved against the input's spatial extents.
struct Window {
  llvm::SmallVector<int64_t> strides, dilations, pads;
};

FailureOr<Window> resolveWindow(NodeImporter &n, llvm::ArrayRef<int64_t> spatial,
                                llvm::ArrayRef<int64_t> kernel, bool hasDilations) {
  size_t rank = spatial.size();
  Window w;
  w.strides = n.getInts("strides");
  w.dilations = hasDilations ? n.getInts("dilations") : llvm::SmallVector<int64_t>();
  w.pads = n.getInts("pads");
  if (w.strides.empty())
    w.strides.assign(rank, 1);
  if (w.dilations.empty())
    w.dilations.assign(rank, 1);
  if (w.strides.size() != rank || w.dilations.size() != rank) {
    n.error() << "expected " << rank << " strides and dilations for " << rank
              << " spatial dimensions, got " << w.strides.size() << " and " << w.dilations.size();
    return failure();
  }
  std::string autoPad = n.getString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    if (w.pads.empty())
      w.pads.assign(2 * rank, 0);
    if (w.pads.size() != 2 * rank) {
      n.error() << "expected " << 2 * rank << " pads, got " << w.pads.size();
      return failure();
    }
    return w;
  }
  w.pads.assign(2 * rank, 0);
  if (autoPad == "VALID")
    return w;
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER") {
    n.error() << "auto_pad '" << autoPad << "' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID";
    return failure();
  }
  for (size_t i = 0; i < rank; ++i) {
    if (w.strides[i] < 1) {
      n.error() << "stride " << w.strides[i] << " must be positive";
      return failure();
    }
    if (w.dilations[i] < 1 || kernel[i] < 1) {
      n.error() << "kernel " << kernel[i] << " and dilation " << w.dilations[i]
                << " must be positive";
      return failure();
    }
    // out = ceil(input / stride); total = (out - 1) * stride + span - input.
    int64_t out = spatial[i] / w.strides[i] + (spatial[i] % w.strides[i] != 0);
    std::optional<int64_t> span = llvm::checkedMulAdd(w.dilations[i], kernel[i] - 1, int64_t{1});
    std::optional<int64_t> reach =
        span ? llvm::checkedMulAdd(std::max<int64_t>(out - 1, 0), w.strides[i], *span)
             : std::nullopt;
    if (!reach) {
      n.error() << "auto_pad " << autoPad << " with kernel " << kernel[i] << ", stride "
                << w.strides[i] << " and dilation " << w.dilations[i]
                << " overflows 64-bit extents";
      return failure();
    }
    int64_t total = std::max<int64_t>(0, *reach - spatial[i]);
    int64_t small = total / 2, large = total - small;
    w.pads[i] = autoPad == "SAME_UPPER" ? small : large;
    w.pads[i + rank] = autoPad == "SAME_UPPER" ? large : small;
  }
  return w;
}

/// A dimension with one output position never steps, so any stride beyond
/// the padded input gives the same single window (also in ceil mode, where
/// a second window would start in the end padding and is dropped): bound it
/// by the padded input, so that no stride beyond the target's index range
/// reaches the generated code.
void boundStrides(llvm::SmallVectorImpl<int64_t> &strides, llvm::ArrayRef<int64_t> inSpatial,
                  llvm::ArrayRef<int64_t> outSpatial, llvm::ArrayRef<int64_t> pads) {
  size_t rank = strides.size();
  for (size_t i = 0; i < rank; ++i)
    if (outSpatial[i] == 1)
      strides[i] = std::min(strides[i], inSpatial[i] + pads[i] + pads[i + rank] + 1);
}

DenseI64ArrayAttr i64Array(NodeImporter &n, llvm::ArrayRef<int64_t> values) {
  return n.builder.getDenseI64ArrayAttr(values);
}

/// MaxPool, AveragePool and their global forms.
LogicalResult convertPool(NodeImporter &n, PoolKind kind, bool global) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (type.getRank() < 3)
    return n.error() << "input of shape " << formatShape(type.getShape())
                     << " has no spatial dimensions";
  Type elem = type.getElementType();
  if (kind == PoolKind::avg ? !isa<FloatType>(elem)
                            : !(isa<FloatType>(elem) || elem.isInteger(8)))
    return n.error() << "element type " << elem << " is not supported";
  if (isa<FloatType>(elem) && !elem.isF32() && !elem.isF64())
    return n.error() << "element type " << elem << " is not supported";
  llvm::ArrayRef<int64_t> spatial = type.getShape().drop_front(2);
  size_t rank = spatial.size();

  llvm::SmallVector<int64_t> kernel;
  Window window;
  bool ceilMode = false, countIncludePad = false;
  if (global) {
    if (failed(n.rejectUnknownAttributes({})))
      return failure();
    kernel.assign(spatial.begin(), spatial.end());
    window.strides.assign(rank, 1);
    window.dilations.assign(rank, 1);
    window.pads.assign(2 * rank, 0);
  } else {
    llvm::SmallVector<llvm::StringRef> known = {"auto_pad", "ceil_mode", "dilations",
                                                "kernel_shape", "pads", "strides"};
    known.push_back(kind == PoolKind::max ? "storage_order" : "count_include_pad");
    if (failed(n.rejectUnknownAttributes(known)))
      return failure();
    if (n.hasOutput(1))
      return n.error() << "the Indices output is not supported";
    kernel = n.getInts("kernel_shape");
    if (kernel.size() != rank)
      return n.error() << "kernel_shape has " << kernel.size() << " extents for " << rank
                       << " spatial dimensions";
    FailureOr<Window> w = resolveWindow(n, spatial, kernel, /*hasDilations=*/true);
    if (failed(w))
      return failure();
    window = std::move(*w);
    // ONNX Runtime's rule ("Pad should be smaller than kernel"): a larger pad
    // only adds windows that see nothing but padding.
    for (size_t i = 0; i < 2 * rank; ++i)
      if (window.pads[i] >= kernel[i % rank])
        return n.error() << "pad " << window.pads[i] << " is not smaller than the kernel extent "
                         << kernel[i % rank];
    ceilMode = n.getInt("ceil_mode", 0) != 0;
    countIncludePad = n.getInt("count_include_pad", 0) != 0;
  }
  FailureOr<Shape> shape =
      inferPoolShape(type.getShape(), kernel, window.strides, window.dilations, window.pads,
                     ceilMode, n.errorFn());
  if (failed(shape))
    return failure();
  boundStrides(window.strides, spatial, llvm::ArrayRef<int64_t>(*shape).drop_front(2),
               window.pads);
  n.setOutput(0, n.create<PoolOp>(n.tensorType(*shape, elem), *x,
                                  PoolKindAttr::get(n.builder.getContext(), kind),
                                  i64Array(n, kernel), i64Array(n, window.strides),
                                  i64Array(n, window.dilations), i64Array(n, window.pads),
                                  n.builder.getBoolAttr(ceilMode),
                                  n.builder.getBoolAttr(countIncludePad), FakeQuantAttr()));
  return success();
}

} // namespace

LogicalResult onnx_import::convertConv(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes(
          {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0), w = n.requiredInput(1);
  if (failed(x) || failed(w) || failed(requireFloat(n, 0)) || failed(requireFloat(n, 1)))
    return failure();
  RankedTensorType xType = n.inputType(0), wType = n.inputType(1);
  if (xType.getRank() < 3 || xType.getRank() != wType.getRank())
    return n.error() << "expected input and weight of equal rank >= 3, got "
                     << formatShape(xType.getShape()) << " and " << formatShape(wType.getShape());
  llvm::ArrayRef<int64_t> kernel = wType.getShape().drop_front(2);
  llvm::SmallVector<int64_t> kernelAttr = n.getInts("kernel_shape");
  if (!kernelAttr.empty() && llvm::ArrayRef<int64_t>(kernelAttr) != kernel)
    return n.error() << "kernel_shape " << formatShape(kernelAttr)
                     << " does not match the weight's " << formatShape(kernel);
  FailureOr<Window> window =
      resolveWindow(n, xType.getShape().drop_front(2), kernel, /*hasDilations=*/true);
  if (failed(window))
    return failure();
  int64_t group = n.getInt("group", 1);
  FailureOr<Shape> shape = inferConvShape(xType.getShape(), wType.getShape(), window->strides,
                                          window->dilations, window->pads, group, n.errorFn());
  if (failed(shape))
    return failure();
  boundStrides(window->strides, xType.getShape().drop_front(2),
               llvm::ArrayRef<int64_t>(*shape).drop_front(2), window->pads);
  Value bias = n.input(2);
  if (bias && n.inputType(2).getShape() != llvm::ArrayRef<int64_t>{wType.getShape()[0]})
    return n.error() << "bias of shape " << formatShape(n.inputType(2).getShape())
                     << " does not match the " << wType.getShape()[0] << " output channels";
  n.setOutput(0, n.create<ConvOp>(n.tensorType(*shape, xType.getElementType()), *x, *w, bias,
                                  /*residual=*/Value(), i64Array(n, window->strides),
                                  i64Array(n, window->dilations), i64Array(n, window->pads),
                                  n.builder.getI64IntegerAttr(group), ActivationAttr(), FakeQuantAttr()));
  return success();
}

LogicalResult onnx_import::convertGemm(NodeImporter &n) {
  // `broadcast` (before opset 7) only allowed what broadcasting allows anyway.
  if (failed(n.rejectUnknownAttributes({"alpha", "beta", "transA", "transB", "broadcast"})))
    return failure();
  FailureOr<Value> a = n.requiredInput(0), b = n.requiredInput(1);
  if (failed(a) || failed(b) || failed(requireFloat(n, 0)) || failed(requireFloat(n, 1)))
    return failure();
  bool transA = n.getInt("transA", 0) != 0, transB = n.getInt("transB", 0) != 0;
  FailureOr<Shape> shape = inferGemmShape(n.inputType(0).getShape(), n.inputType(1).getShape(),
                                          transA, transB, n.errorFn());
  if (failed(shape))
    return failure();
  Value c = n.input(2);
  if (c && failed(broadcastShapes(n.inputType(2).getShape(), *shape, n.errorFn())))
    return failure();
  n.setOutput(0, n.create<GemmOp>(n.tensorType(*shape, n.inputType(0).getElementType()), *a, *b,
                                  c, n.builder.getBoolAttr(transA), n.builder.getBoolAttr(transB),
                                  n.builder.getF32FloatAttr(n.getFloat("alpha", 1.0f)),
                                  n.builder.getF32FloatAttr(n.getFloat("beta", 1.0f)),
                                  ActivationAttr(), FakeQuantAttr()));
  return success();
}

LogicalResult onnx_import::convertMatMul(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Value> a = n.requiredInput(0), b = n.requiredInput(1);
  if (failed(a) || failed(b) || failed(requireFloat(n, 0)) || failed(requireFloat(n, 1)))
    return failure();
  FailureOr<Shape> shape =
      inferMatMulShape(n.inputType(0).getShape(), n.inputType(1).getShape(), n.errorFn());
  if (failed(shape))
    return failure();
  n.setOutput(0, n.create<MatMulOp>(n.tensorType(*shape, n.inputType(0).getElementType()), *a,
                                    *b, ActivationAttr(), FakeQuantAttr()));
  return success();
}

LogicalResult onnx_import::convertMaxPool(NodeImporter &n) {
  return convertPool(n, PoolKind::max, /*global=*/false);
}
LogicalResult onnx_import::convertAveragePool(NodeImporter &n) {
  return convertPool(n, PoolKind::avg, /*global=*/false);
}
LogicalResult onnx_import::convertGlobalAveragePool(NodeImporter &n) {
  return convertPool(n, PoolKind::avg, /*global=*/true);
}
LogicalResult onnx_import::convertGlobalMaxPool(NodeImporter &n) {
  return convertPool(n, PoolKind::max, /*global=*/true);
}

LogicalResult onnx_import::convertBatchNormalization(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes(
          {"epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs"})))
    return failure();
  if (n.getInt("training_mode", 0) != 0 || n.hasOutput(1) || n.hasOutput(2))
    return n.error() << "training mode (running statistics as outputs) is not supported";
  if (n.getInt("spatial", 1) != 1)
    return n.error() << "spatial=0 (per-element statistics) is not supported";
  llvm::SmallVector<Value> in;
  for (unsigned i = 0; i < 5; ++i) {
    FailureOr<Value> v = n.requiredInput(i);
    if (failed(v) || failed(requireFloat(n, i)))
      return failure();
    in.push_back(*v);
  }
  RankedTensorType type = n.inputType(0);
  if (type.getRank() < 2)
    return n.error() << "input of shape " << formatShape(type.getShape())
                     << " has no channel dimension";
  for (unsigned i = 1; i < 5; ++i)
    if (n.inputType(i).getShape() != llvm::ArrayRef<int64_t>{type.getShape()[1]})
      return n.error() << "input " << i << " of shape " << formatShape(n.inputType(i).getShape())
                       << " does not match the " << type.getShape()[1] << " channels";
  n.setOutput(0, n.create<BatchNormOp>(type, in[0], in[1], in[2], in[3], in[4],
                                       n.builder.getF32FloatAttr(n.getFloat("epsilon", 1e-5f))));
  return success();
}

LogicalResult onnx_import::convertSoftmax(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x) || failed(requireFloat(n, 0)))
    return failure();
  if (!n.inputType(0).getElementType().isF32())
    return n.error() << "only float Softmax is supported";
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  if (rank == 0)
    return n.error() << "input is a scalar";
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", n.opset < 13 ? 1 : -1), rank, "axis");
  if (failed(axis))
    return failure();
  if (n.opset >= 13 || *axis == rank - 1) {
    n.setOutput(0, n.create<SoftmaxOp>(type, *x, n.builder.getI64IntegerAttr(*axis)));
    return success();
  }
  // Before opset 13, Softmax normalizes over all dimensions from `axis` on:
  // flatten them into one.
  llvm::ArrayRef<int64_t> shape = type.getShape();
  Shape flat{getNumElements(shape.take_front(*axis)), getNumElements(shape.drop_front(*axis))};
  Value reshaped = n.reshape(*x, flat);
  Value softmax = n.create<SoftmaxOp>(n.tensorType(flat, type.getElementType()), reshaped,
                                      n.builder.getI64IntegerAttr(1));
  n.setOutput(0, n.reshape(softmax, shape));
  return success();
}

/// The elementwise steps around a reduction: ReduceL2 is sqrt(sum(x * x)).
enum class ReduceStep { none, abs, square, exp, sqrt, log };

static Value applyReduceStep(NodeImporter &n, Value v, ReduceStep step) {
  auto type = cast<RankedTensorType>(v.getType());
  auto activation = [&](ActivationKind kind) {
    return n.create<ActivationOp>(type, v, ActivationAttr::get(n.builder.getContext(), kind));
  };
  switch (step) {
  case ReduceStep::none: return v;
  case ReduceStep::abs: return activation(ActivationKind::abs);
  case ReduceStep::square: return n.create<MulOp>(type, v, v, ActivationAttr(), FakeQuantAttr());
  case ReduceStep::exp: return activation(ActivationKind::exp);
  case ReduceStep::sqrt: return activation(ActivationKind::sqrt);
  case ReduceStep::log: return activation(ActivationKind::log);
  }
  llvm_unreachable("unknown reduce step");
}

/// ReduceSum, ReduceMean, ...: the axes are an attribute before
/// `inputSinceOpset` (13 for ReduceSum, 18 for the others), then an input.
/// `before` and `after` are elementwise steps on the input and on the
/// reduced result (ReduceL1, ReduceL2, ReduceLogSum, ReduceLogSumExp and
/// ReduceSumSquare are a sum between two of them, as ONNX's reference computes
/// them); they take float tensors.
static LogicalResult convertReduce(NodeImporter &n, ReduceKind kind, int64_t inputSinceOpset,
                                   ReduceStep before = ReduceStep::none,
                                   ReduceStep after = ReduceStep::none) {
  if (failed(n.rejectUnknownAttributes({"axes", "keepdims", "noop_with_empty_axes"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  Type elem = type.getElementType();
  if (!(elem.isF32() || elem.isF64() || (kind != ReduceKind::mean && elem.isSignlessInteger() &&
                                         !elem.isInteger(1))))
    return n.error() << "element type " << elem << " is not supported";
  // The runtime's exp, sqrt and log are single precision; abs and the square
  // compute in doubles too.
  auto callsRuntime = [](ReduceStep step) {
    return step == ReduceStep::exp || step == ReduceStep::sqrt || step == ReduceStep::log;
  };
  if ((before != ReduceStep::none || after != ReduceStep::none) &&
      !(elem.isF32() || (elem.isF64() && !callsRuntime(before) && !callsRuntime(after))))
    return n.error() << "element type " << elem << " is not supported";
  llvm::SmallVector<int64_t> axes;
  if (n.opset < inputSinceOpset) {
    axes = n.getInts("axes");
  } else if (n.input(1)) {
    FailureOr<llvm::SmallVector<int64_t>> given = n.constantInts(1, "axes");
    if (failed(given))
      return failure();
    axes = *given;
  }
  if (axes.empty()) {
    if (n.getInt("noop_with_empty_axes", 0) != 0) {
      // A reduction over no axis: only the elementwise steps (ONNX's
      // reference returns np.square(x) for ReduceSumSquare).
      n.setOutput(0, applyReduceStep(n, applyReduceStep(n, *x, before), after));
      return success();
    }
    for (int64_t d = 0; d < type.getRank(); ++d)
      axes.push_back(d);
  }
  for (int64_t &axis : axes) {
    FailureOr<int64_t> normalized = n.normalizeAxis(axis, type.getRank(), "axis");
    if (failed(normalized))
      return failure();
    axis = *normalized;
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return n.error() << "axes repeat an axis";
  bool keepdims = n.getInt("keepdims", 1) != 0;
  FailureOr<Shape> shape = inferReduceShape(type.getShape(), axes, keepdims, n.errorFn());
  if (failed(shape))
    return failure();
  Value reduced = n.create<ReduceOp>(n.tensorType(*shape, elem), applyReduceStep(n, *x, before),
                                     ReduceKindAttr::get(n.builder.getContext(), kind),
                                     i64Array(n, axes), n.builder.getBoolAttr(keepdims));
  n.setOutput(0, applyReduceStep(n, reduced, after));
  return success();
}

LogicalResult onnx_import::convertReduceSum(NodeImporter &n) {
  return convertReduce(n, ReduceKind::sum, 13);
}
LogicalResult onnx_import::convertReduceMean(NodeImporter &n) {
  return convertReduce(n, ReduceKind::mean, 18);
}
LogicalResult onnx_import::convertReduceMax(NodeImporter &n) {
  return convertReduce(n, ReduceKind::max, 18);
}
LogicalResult onnx_import::convertReduceMin(NodeImporter &n) {
  return convertReduce(n, ReduceKind::min, 18);
}
LogicalResult onnx_import::convertReduceProd(NodeImporter &n) {
  return convertReduce(n, ReduceKind::prod, 18);
}
LogicalResult onnx_import::convertReduceL1(NodeImporter &n) {
  return convertReduce(n, ReduceKind::sum, 18, ReduceStep::abs);
}
LogicalResult onnx_import::convertReduceL2(NodeImporter &n) {
  return convertReduce(n, ReduceKind::sum, 18, ReduceStep::square, ReduceStep::sqrt);
}
LogicalResult onnx_import::convertReduceLogSum(NodeImporter &n) {
  return convertReduce(n, ReduceKind::sum, 18, ReduceStep::none, ReduceStep::log);
}
LogicalResult onnx_import::convertReduceLogSumExp(NodeImporter &n) {
  return convertReduce(n, ReduceKind::sum, 18, ReduceStep::exp, ReduceStep::log);
}
LogicalResult onnx_import::convertReduceSumSquare(NodeImporter &n) {
  return convertReduce(n, ReduceKind::sum, 18, ReduceStep::square);
}

namespace {

/// LogSoftmax of a float32 tensor along `axis` (one dimension), ONNX's
/// reference in its order: t = x - max(x); y = t - log(sum(exp(t))).
Value logSoftmax(NodeImporter &n, Value input, int64_t axis) {
  MLIRContext *context = n.builder.getContext();
  auto inputType = cast<RankedTensorType>(input.getType());
  Shape kept(inputType.getShape());
  kept[axis] = 1;
  auto keptType = n.tensorType(kept, inputType.getElementType());
  auto reduce = [&](Value v, ReduceKind kind) {
    return n.create<ReduceOp>(keptType, v, ReduceKindAttr::get(context, kind),
                              n.builder.getDenseI64ArrayAttr({axis}), n.builder.getBoolAttr(true));
  };
  auto activation = [&](Value v, ActivationKind kind) {
    return n.create<ActivationOp>(cast<RankedTensorType>(v.getType()), v,
                                  ActivationAttr::get(context, kind));
  };
  Value shifted = n.create<SubOp>(inputType, input, reduce(input, ReduceKind::max),
                                  ActivationAttr(), FakeQuantAttr());
  Value logSum = activation(reduce(activation(shifted, ActivationKind::exp), ReduceKind::sum),
                            ActivationKind::log);
  return n.create<SubOp>(inputType, shifted, logSum, ActivationAttr(), FakeQuantAttr());
}

} // namespace

LogicalResult onnx_import::convertLogSoftmax(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x) || failed(requireFloat(n, 0)))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type.getElementType().isF32())
    return n.error() << "only float LogSoftmax is supported";
  int64_t rank = type.getRank();
  if (rank == 0)
    return n.error() << "input is a scalar";
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", n.opset < 13 ? 1 : -1), rank, "axis");
  if (failed(axis))
    return failure();
  // Before opset 13 the normalization runs over all dimensions from `axis`
  // on: flatten them into one, as for Softmax.
  Value input = *x;
  int64_t reduced = *axis;
  llvm::ArrayRef<int64_t> shape = type.getShape();
  if (n.opset < 13 && *axis != rank - 1) {
    input = n.reshape(*x, {getNumElements(shape.take_front(*axis)),
                           getNumElements(shape.drop_front(*axis))});
    reduced = 1;
  }
  n.setOutput(0, n.reshape(logSoftmax(n, input, reduced), shape));
  return success();
}

namespace {

/// The float arithmetic that the normalizations are written in, each step a
/// tinyc operation in the order of ONNX's reference, broadcasting as NumPy
/// does. The caller has checked that the operands broadcast.
struct Composer {
  NodeImporter &n;

  static RankedTensorType typeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

  template <typename OpTy>
  Value binary(Value a, Value b) {
    FailureOr<Shape> shape =
        broadcastShapes(typeOf(a).getShape(), typeOf(b).getShape(), n.errorFn());
    assert(succeeded(shape) && "operands checked to broadcast");
    return n.create<OpTy>(n.tensorType(*shape, typeOf(a).getElementType()), a, b, ActivationAttr(),
                          FakeQuantAttr());
  }
  Value add(Value a, Value b) { return binary<AddOp>(a, b); }
  Value sub(Value a, Value b) { return binary<SubOp>(a, b); }
  Value mul(Value a, Value b) { return binary<MulOp>(a, b); }
  Value div(Value a, Value b) { return binary<DivOp>(a, b); }
  Value activation(Value v, ActivationKind kind) {
    return n.create<ActivationOp>(typeOf(v), v, ActivationAttr::get(n.builder.getContext(), kind));
  }
  Value scalar(double value, Value like) {
    return n.scalarConstant(typeOf(like).getElementType(), value);
  }
  /// The mean over `axes` (sorted), kept as dimensions of extent 1.
  Value mean(Value v, llvm::ArrayRef<int64_t> axes) {
    Shape kept(typeOf(v).getShape());
    for (int64_t axis : axes)
      kept[axis] = 1;
    return n.create<ReduceOp>(n.tensorType(kept, typeOf(v).getElementType()), v,
                              ReduceKindAttr::get(n.builder.getContext(), ReduceKind::mean),
                              n.builder.getDenseI64ArrayAttr(axes), n.builder.getBoolAttr(true));
  }
};

/// Fails unless input i broadcasts to `shape` without changing it.
LogicalResult requireBroadcastsTo(NodeImporter &n, unsigned i, llvm::StringRef what,
                                  llvm::ArrayRef<int64_t> shape) {
  FailureOr<Shape> joint = broadcastShapes(shape, n.inputType(i).getShape(), n.errorFn());
  if (failed(joint))
    return failure();
  if (llvm::ArrayRef<int64_t>(*joint) != shape)
    return n.error() << what << " (input " << i << ") of shape "
                     << formatShape(n.inputType(i).getShape()) << " does not broadcast to "
                     << formatShape(shape);
  return success();
}

/// The float32 inputs [0, count) of a normalization, the optional ones null.
FailureOr<llvm::SmallVector<Value>> floatInputs(NodeImporter &n, unsigned required,
                                                unsigned count) {
  llvm::SmallVector<Value> in;
  for (unsigned i = 0; i < count; ++i) {
    if (i >= required && !n.input(i)) {
      in.push_back(Value());
      continue;
    }
    FailureOr<Value> v = n.requiredInput(i);
    if (failed(v))
      return failure();
    // sqrt is the runtime's single-precision routine
    if (!n.inputType(i).getElementType().isF32())
      return n.error() << "input " << i << " has element type " << n.inputType(i).getElementType()
                       << "; only float32 is supported";
    in.push_back(*v);
  }
  return in;
}

} // namespace

/// LayerNormalization (opset 17): ONNX's reference over the dimensions from
/// `axis` on: mean, d = x - mean, var = mean(d * d),
/// inv = 1 / sqrt(var + epsilon), y = d * inv * scale + bias; Mean and
/// InvStdDev are the optional outputs.
LogicalResult onnx_import::convertLayerNormalization(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis", "epsilon", "stash_type"})))
    return failure();
  FailureOr<llvm::SmallVector<Value>> in = floatInputs(n, 2, 3);
  if (failed(in))
    return failure();
  // The statistics are computed in float32, which is what stash_type 1 asks for.
  if (n.getInt("stash_type", 1) != 1)
    return n.error() << "stash_type " << n.getInt("stash_type", 1) << " is not supported";
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", -1), rank, "axis");
  if (failed(axis))
    return failure();
  if (failed(requireBroadcastsTo(n, 1, "scale", type.getShape())) ||
      ((*in)[2] && failed(requireBroadcastsTo(n, 2, "bias", type.getShape()))))
    return failure();
  llvm::SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < rank; ++d)
    axes.push_back(d);
  Composer c{n};
  Value x = (*in)[0];
  Value mean = c.mean(x, axes);
  Value d = c.sub(x, mean);
  Value variance = c.mean(c.mul(d, d), axes);
  Value std = c.activation(c.add(variance, c.scalar(n.getFloat("epsilon", 1e-5f), x)),
                           ActivationKind::sqrt);
  Value inv = c.activation(std, ActivationKind::reciprocal);
  Value y = c.mul(c.mul(d, inv), (*in)[1]);
  if ((*in)[2])
    y = c.add(y, (*in)[2]);
  n.setOutput(0, y);
  n.setOutput(1, mean);
  n.setOutput(2, inv);
  return success();
}

/// InstanceNormalization: per image and channel over the spatial dimensions,
/// ONNX's reference scale * (x - mean) / sqrt(var + epsilon) + bias.
LogicalResult onnx_import::convertInstanceNormalization(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"epsilon", "consumed_inputs"})))
    return failure();
  FailureOr<llvm::SmallVector<Value>> in = floatInputs(n, 3, 3);
  if (failed(in))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 3)
    return n.error() << "input of shape " << formatShape(type.getShape())
                     << " has no spatial dimension";
  int64_t channels = type.getShape()[1];
  for (unsigned i = 1; i < 3; ++i)
    if (n.inputType(i).getShape() != llvm::ArrayRef<int64_t>{channels})
      return n.error() << "input " << i << " of shape " << formatShape(n.inputType(i).getShape())
                       << " does not match the " << channels << " channels";
  llvm::SmallVector<int64_t> axes;
  for (int64_t d = 2; d < rank; ++d)
    axes.push_back(d);
  // scale and bias as [C, 1, ...] to broadcast over the spatial dimensions
  Shape perChannel(rank - 1, 1);
  perChannel[0] = channels;
  Composer c{n};
  Value x = (*in)[0];
  Value mean = c.mean(x, axes);
  Value d = c.sub(x, mean);
  Value variance = c.mean(c.mul(d, d), axes);
  Value std = c.activation(c.add(variance, c.scalar(n.getFloat("epsilon", 1e-5f), x)),
                           ActivationKind::sqrt);
  Value y = c.div(c.mul(n.reshape((*in)[1], perChannel), d), std);
  n.setOutput(0, c.add(y, n.reshape((*in)[2], perChannel)));
  return success();
}

/// MeanVarianceNormalization: ONNX's function body,
/// (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9) over `axes`.
LogicalResult onnx_import::convertMeanVarianceNormalization(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axes"})))
    return failure();
  FailureOr<llvm::SmallVector<Value>> in = floatInputs(n, 1, 1);
  if (failed(in))
    return failure();
  int64_t rank = n.inputType(0).getRank();
  llvm::SmallVector<int64_t> axes = n.attribute("axes") ? n.getInts("axes")
                                                         : llvm::SmallVector<int64_t>{0, 2, 3};
  for (int64_t &axis : axes) {
    FailureOr<int64_t> normalized = n.normalizeAxis(axis, rank, "axes");
    if (failed(normalized))
      return failure();
    axis = *normalized;
  }
  llvm::sort(axes);
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end())
    return n.error() << "axes repeat an axis";
  Composer c{n};
  Value x = (*in)[0];
  // One operation per statement: the order of a call's arguments is the C++
  // compiler's choice, and the imported IR must not depend on it.
  Value mean = c.mean(x, axes);
  Value meanOfSquares = c.mean(c.mul(x, x), axes);
  Value squaredMean = c.mul(mean, mean);
  Value variance = c.sub(meanOfSquares, squaredMean);
  Value root = c.activation(variance, ActivationKind::sqrt);
  Value std = c.add(root, c.scalar(1e-9, x));
  n.setOutput(0, c.div(c.sub(x, mean), std));
  return success();
}

namespace {

/// ArgMax and ArgMin: the axis, keepdims and (from opset 12) select_last_index.
LogicalResult convertArgReduce(NodeImporter &n, ReduceKind kind) {
  if (failed(n.rejectUnknownAttributes({"axis", "keepdims", "select_last_index"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  Type elem = type.getElementType();
  if (!(elem.isF32() || elem.isF64() || (elem.isInteger() && !elem.isInteger(1))))
    return n.error() << "element type " << elem << " is not supported";
  if (type.getRank() == 0)
    return n.error() << "input is a scalar";
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), type.getRank(), "axis");
  if (failed(axis))
    return failure();
  bool keepdims = n.getInt("keepdims", 1) != 0;
  FailureOr<Shape> shape = inferReduceShape(type.getShape(), {*axis}, keepdims, n.errorFn());
  if (failed(shape))
    return failure();
  n.setOutput(0, n.create<ArgReduceOp>(
                     n.tensorType(*shape, n.builder.getI64Type()), *x,
                     ReduceKindAttr::get(n.builder.getContext(), kind),
                     n.builder.getI64IntegerAttr(*axis), n.builder.getBoolAttr(keepdims),
                     n.builder.getBoolAttr(n.getInt("select_last_index", 0) != 0)));
  return success();
}

} // namespace

LogicalResult onnx_import::convertArgMax(NodeImporter &n) {
  return convertArgReduce(n, ReduceKind::max);
}
LogicalResult onnx_import::convertArgMin(NodeImporter &n) {
  return convertArgReduce(n, ReduceKind::min);
}

/// Hardmax: 1 at the first largest element along `axis`, 0 elsewhere: the
/// ArgMax (NumPy's argmax, ONNX's reference) compared with the positions.
/// Before opset 13 the dimensions from `axis` on count as one.
LogicalResult onnx_import::convertHardmax(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis"})))
    return failure();
  FailureOr<llvm::SmallVector<Value>> in = floatInputs(n, 1, 1);
  if (failed(in))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  if (rank == 0)
    return n.error() << "input is a scalar";
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", n.opset < 13 ? 1 : -1), rank, "axis");
  if (failed(axis))
    return failure();
  llvm::ArrayRef<int64_t> shape = type.getShape();
  Value x = (*in)[0];
  int64_t reduced = *axis;
  if (n.opset < 13) {
    x = n.reshape(x, {getNumElements(shape.take_front(*axis)), getNumElements(shape.drop_front(*axis))});
    reduced = 1;
  }
  auto xType = cast<RankedTensorType>(x.getType());
  Shape kept(xType.getShape());
  int64_t extent = kept[reduced];
  kept[reduced] = 1;
  MLIRContext *context = n.builder.getContext();
  Value index = n.create<ArgReduceOp>(n.tensorType(kept, n.builder.getI64Type()), x,
                                      ReduceKindAttr::get(context, ReduceKind::max),
                                      n.builder.getI64IntegerAttr(reduced), n.builder.getBoolAttr(true),
                                      n.builder.getBoolAttr(false));
  Shape positionShape(xType.getRank(), 1);
  positionShape[reduced] = extent;
  llvm::SmallVector<int64_t> positions;
  for (int64_t i = 0; i < extent; ++i)
    positions.push_back(i);
  Value position = n.constant(DenseElementsAttr::get(
      n.tensorType(positionShape, n.builder.getI64Type()), llvm::ArrayRef<int64_t>(positions)));
  Value hit = n.create<CompareOp>(n.tensorType(xType.getShape(), n.builder.getI1Type()),
                                  CompareKindAttr::get(context, CompareKind::eq), index, position);
  Type f32 = n.builder.getF32Type();
  // In two statements: the order of call arguments is the C++ compiler's.
  Value off = n.scalarConstant(f32, 0.0);
  Value on = n.scalarConstant(f32, 1.0);
  Value y = n.create<SelectOp>(xType, hit, on, off);
  n.setOutput(0, n.reshape(y, shape));
  return success();
}

/// CumSum: the axis is a constant input (a scalar, or one value).
LogicalResult onnx_import::convertCumSum(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"exclusive", "reverse"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x) || failed(n.requiredInput(1)))
    return failure();
  RankedTensorType type = n.inputType(0);
  Type elem = type.getElementType();
  if (!(elem.isF32() || elem.isF64() || (elem.isInteger() && !elem.isInteger(1))))
    return n.error() << "element type " << elem << " is not supported";
  FailureOr<llvm::SmallVector<int64_t>> axes = n.constantInts(1, "axis");
  if (failed(axes))
    return failure();
  if (axes->size() != 1)
    return n.error() << "axis (input 1) must hold one value, got " << axes->size();
  if (type.getRank() == 0)
    return n.error() << "input is a scalar";
  FailureOr<int64_t> axis = n.normalizeAxis((*axes)[0], type.getRank(), "axis");
  if (failed(axis))
    return failure();
  n.setOutput(0, n.create<CumSumOp>(type, *x, n.builder.getI64IntegerAttr(*axis),
                                    n.builder.getBoolAttr(n.getInt("exclusive", 0) != 0),
                                    n.builder.getBoolAttr(n.getInt("reverse", 0) != 0)));
  return success();
}

namespace {

/// NegativeLogLikelihoodLoss of float32 log-probabilities `logProb` [N, C, d1..dk]
/// for targets [N, d1..dk], with optional class weights [C]: ONNX's function
/// body, built from tinyc operations in its order.
///   ignored = target == ignore_index           (when the attribute is set)
///   index   = where(ignored, 0, target)         (an ignored target reads class 0)
///   loss    = -gather_elements(logProb, index, axis 1) * w
///   w       = where(ignored, 0, weight[index])  (weight 1 when absent)
/// reduced by `reduction`: none, sum, or mean = sum(loss) / sum(w) (the mean
/// when all weights are 1 and none is ignored). Every form of opsets 12-21.
/// `logProbInput` is the node's input that `logProb` comes from, for the
/// diagnostics.
LogicalResult importNllLoss(NodeImporter &n, Value logProb, Value target, Value weight,
                            unsigned logProbInput) {
  std::string reduction = n.getString("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return n.error() << "reduction '" << reduction << "' is not none, sum or mean";
  auto logProbType = cast<RankedTensorType>(logProb.getType());
  auto targetType = cast<RankedTensorType>(target.getType());
  if (!logProbType.getElementType().isF32())
    return n.error() << "input " << logProbInput << " has element type "
                     << logProbType.getElementType() << "; only float32 is supported";
  Type indexType = targetType.getElementType();
  if (!indexType.isSignlessInteger(32) && !indexType.isSignlessInteger(64))
    return n.error() << "target (input 1) of type " << indexType << " is not int32 or int64";
  llvm::ArrayRef<int64_t> shape = logProbType.getShape();
  if (shape.size() < 2)
    return n.error() << "input " << logProbInput << " of shape " << formatShape(shape)
                     << " has no class dimension (rank below 2)";
  Shape targetShape{shape[0]};
  llvm::append_range(targetShape, shape.drop_front(2));
  if (targetType.getShape() != llvm::ArrayRef<int64_t>(targetShape))
    return n.error() << "target (input 1) of shape " << formatShape(targetType.getShape())
                     << " is not input " << logProbInput << "'s shape " << formatShape(shape)
                     << " without its class dimension";
  if (weight) {
    auto weightType = cast<RankedTensorType>(weight.getType());
    if (!weightType.getElementType().isF32())
      return n.error() << "weight (input 2) has element type " << weightType.getElementType()
                       << "; only float32 is supported";
    if (weightType.getShape() != llvm::ArrayRef<int64_t>{shape[1]})
      return n.error() << "weight (input 2) of shape " << formatShape(weightType.getShape())
                       << " does not hold one value per class (" << shape[1] << ")";
  }
  MLIRContext *context = n.builder.getContext();
  Type f32 = logProbType.getElementType();
  Composer c{n};
  Value index = target;
  Value ignored;
  if (n.attribute("ignore_index")) {
    Value ignoreIndex = n.scalarConstant(indexType, n.getInt("ignore_index", 0));
    ignored = n.create<CompareOp>(n.tensorType(targetShape, n.builder.getI1Type()),
                                  CompareKindAttr::get(context, CompareKind::eq), target,
                                  ignoreIndex);
    Value zeroIndex = n.scalarConstant(indexType, 0);
    index = n.create<SelectOp>(targetType, ignored, zeroIndex, target);
  }
  Shape pickedShape(targetShape);
  pickedShape.insert(pickedShape.begin() + 1, 1);
  Value pickedIndex = n.reshape(index, pickedShape);
  Value picked = n.create<GatherElementsOp>(n.tensorType(pickedShape, f32), logProb, pickedIndex,
                                            n.builder.getI64IntegerAttr(1));
  Value pickedFlat = n.reshape(picked, targetShape);
  Value loss = c.activation(pickedFlat, ActivationKind::neg);
  Value w; // the weight of each loss term; null when all are 1
  if (weight)
    w = n.create<GatherOp>(n.tensorType(targetShape, f32), weight, index,
                           n.builder.getI64IntegerAttr(0));
  if (ignored) {
    Value zero = c.scalar(0.0, loss);
    Value kept = w ? w : c.scalar(1.0, loss);
    w = n.create<SelectOp>(n.tensorType(targetShape, f32), ignored, zero, kept);
  }
  if (w)
    loss = c.mul(loss, w);
  if (reduction == "none") {
    n.setOutput(0, loss);
    return success();
  }
  llvm::SmallVector<int64_t> all(targetShape.size());
  std::iota(all.begin(), all.end(), 0);
  auto reduceAll = [&](Value v, ReduceKind kind) {
    return n.create<ReduceOp>(n.tensorType({}, f32), v, ReduceKindAttr::get(context, kind),
                              n.builder.getDenseI64ArrayAttr(all), n.builder.getBoolAttr(false));
  };
  if (reduction == "sum") {
    n.setOutput(0, reduceAll(loss, ReduceKind::sum));
  } else if (!w) {
    n.setOutput(0, reduceAll(loss, ReduceKind::mean));
  } else {
    Value lossSum = reduceAll(loss, ReduceKind::sum);
    Value weightSum = reduceAll(w, ReduceKind::sum);
    n.setOutput(0, c.div(lossSum, weightSum));
  }
  return success();
}

/// The inputs of the two losses: scores or log-probabilities, target, and
/// the optional weight (null when absent).
FailureOr<std::array<Value, 3>> lossInputs(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"reduction", "ignore_index"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0), target = n.requiredInput(1);
  if (failed(x) || failed(target))
    return failure();
  return std::array<Value, 3>{*x, *target, n.input(2)};
}

} // namespace

LogicalResult onnx_import::convertNegativeLogLikelihoodLoss(NodeImporter &n) {
  FailureOr<std::array<Value, 3>> in = lossInputs(n);
  if (failed(in))
    return failure();
  return importNllLoss(n, (*in)[0], (*in)[1], (*in)[2], 0);
}

/// SoftmaxCrossEntropyLoss: ONNX's function body, the NegativeLogLikelihoodLoss
/// of LogSoftmax(scores) along the class dimension (1), which is also the
/// optional output log_prob.
LogicalResult onnx_import::convertSoftmaxCrossEntropyLoss(NodeImporter &n) {
  FailureOr<std::array<Value, 3>> in = lossInputs(n);
  if (failed(in))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type.getElementType().isF32())
    return n.error() << "input 0 has element type " << type.getElementType()
                     << "; only float32 is supported";
  if (type.getRank() < 2)
    return n.error() << "input 0 of shape " << formatShape(type.getShape())
                     << " has no class dimension (rank below 2)";
  Value logProb = logSoftmax(n, (*in)[0], 1);
  if (failed(importNllLoss(n, logProb, (*in)[1], (*in)[2], 0)))
    return failure();
  n.setOutput(1, logProb);
  return success();
}

/// LRN: ONNX's definition, y = x / (bias + alpha / size * square_sum)^beta,
/// square_sum the sum of x^2 over the channels [c - floor((size - 1) / 2),
/// c + ceil((size - 1) / 2)] clipped to [0, C - 1]. The sum is an average pool
/// of x^2 viewed as [N, 1, C, rest] with a (size x 1) window whose zero padding
/// completes every window (count_include_pad: the divisor is always size), so
/// alpha / size * square_sum is alpha times that average.
LogicalResult onnx_import::convertLRN(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"alpha", "beta", "bias", "size"})))
    return failure();
  FailureOr<llvm::SmallVector<Value>> in = floatInputs(n, 1, 1);
  if (failed(in))
    return failure();
  RankedTensorType type = n.inputType(0);
  llvm::ArrayRef<int64_t> shape = type.getShape();
  if (shape.size() < 2)
    return n.error() << "input of shape " << formatShape(shape)
                     << " has no channel dimension (rank below 2)";
  if (!n.attribute("size"))
    return n.error() << "attribute 'size' is required";
  int64_t size = n.getInt("size", 1);
  if (size < 1)
    return n.error() << "size " << size << " is not positive";
  Composer c{n};
  Value x = (*in)[0];
  Value square = c.mul(x, x);
  Shape pooled{shape[0], 1, shape[1], getNumElements(shape.drop_front(2))};
  Value view = n.reshape(square, pooled);
  int64_t before = (size - 1) / 2, after = size - 1 - before;
  Value average = n.create<PoolOp>(
      n.tensorType(pooled, type.getElementType()), view,
      PoolKindAttr::get(n.builder.getContext(), PoolKind::avg), i64Array(n, {size, 1}),
      i64Array(n, {1, 1}), i64Array(n, {1, 1}), i64Array(n, {before, 0, after, 0}),
      n.builder.getBoolAttr(false), n.builder.getBoolAttr(true), FakeQuantAttr());
  Value sum = n.reshape(average, shape);
  Value alpha = c.scalar(n.getFloat("alpha", 1e-4f), x);
  Value scaled = c.mul(alpha, sum);
  Value bias = c.scalar(n.getFloat("bias", 1.0f), x);
  Value base = c.add(bias, scaled);
  Value beta = c.scalar(n.getFloat("beta", 0.75f), x);
  Value denominator = c.binary<PowOp>(base, beta);
  n.setOutput(0, c.div(x, denominator));
  return success();
}
