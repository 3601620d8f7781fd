//===- OnnxShape.cpp - reshapes, data movement and constants --------------===//

#include "NodeImporter.h"

#include "llvm/Support/CheckedArithmetic.h"

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::onnx_import;

/// Axes from the `axes` attribute (before `inputSinceOpset`) or from input 1.
/// Absent axes give std::nullopt.
static FailureOr<std::optional<llvm::SmallVector<int64_t>>>
readAxes(NodeImporter &n, int64_t inputSinceOpset, unsigned inputIndex = 1) {
  if (n.opset < inputSinceOpset) {
    if (!n.attribute("axes"))
      return std::optional<llvm::SmallVector<int64_t>>();
    return std::optional<llvm::SmallVector<int64_t>>(n.getInts("axes"));
  }
  if (!n.input(inputIndex))
    return std::optional<llvm::SmallVector<int64_t>>();
  FailureOr<llvm::SmallVector<int64_t>> axes = n.constantInts(inputIndex, "axes");
  if (failed(axes))
    return failure();
  return std::optional<llvm::SmallVector<int64_t>>(*axes);
}

/// Normalizes axes against `rank` and checks they are distinct.
static FailureOr<llvm::SmallVector<int64_t>> normalizeAxes(NodeImporter &n,
                                                           llvm::ArrayRef<int64_t> axes,
                                                           int64_t rank) {
  llvm::SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    FailureOr<int64_t> a = n.normalizeAxis(axis, rank, "axis");
    if (failed(a))
      return failure();
    if (llvm::is_contained(result, *a)) {
      n.error() << "axis " << axis << " appears twice";
      return failure();
    }
    result.push_back(*a);
  }
  llvm::sort(result);
  return result;
}

LogicalResult onnx_import::convertReshape(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"shape", "allowzero", "consumed_inputs"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  llvm::SmallVector<int64_t> target;
  if (n.opset < 5) {
    target = n.getInts("shape");
  } else {
    FailureOr<llvm::SmallVector<int64_t>> shape = n.constantInts(1, "shape");
    if (failed(shape))
      return failure();
    target = *shape;
  }
  llvm::ArrayRef<int64_t> in = n.inputType(0).getShape();
  bool allowZero = n.getInt("allowzero", 0) != 0;
  int64_t inferred = -1, known = 1;
  for (auto [i, d] : llvm::enumerate(target)) {
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return n.error() << "shape entry 0 at index " << i << " copies a dimension the input ("
                         << formatShape(in) << ") does not have";
      d = in[i];
    }
    if (d == -1) {
      if (inferred >= 0)
        return n.error() << "shape " << formatShape(target) << " has more than one -1";
      inferred = i;
      continue;
    }
    if (d < 0)
      return n.error() << "shape entry " << d << " is invalid";
    std::optional<int64_t> product = llvm::checkedMul(known, d);
    if (!product)
      return n.error() << "shape " << formatShape(target) << " has more elements than 64 bits can count";
    known = *product;
  }
  int64_t count = getNumElements(in);
  if (inferred >= 0) {
    if (known == 0 || count % known != 0)
      return n.error() << "cannot reshape " << formatShape(in) << " into "
                       << formatShape(target);
    target[inferred] = count / known;
  }
  if (getNumElements(target) != count)
    return n.error() << "cannot reshape " << formatShape(in) << " (" << count
                     << " elements) into " << formatShape(target);
  n.setOutput(0, n.reshape(*x, target));
  return success();
}

LogicalResult onnx_import::convertFlatten(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  llvm::ArrayRef<int64_t> in = n.inputType(0).getShape();
  int64_t rank = in.size(), axis = n.getInt("axis", 1);
  if (axis < -rank || axis > rank)
    return n.error() << "axis " << axis << " is out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  n.setOutput(0, n.reshape(*x, {getNumElements(in.take_front(axis)),
                                getNumElements(in.drop_front(axis))}));
  return success();
}

LogicalResult onnx_import::convertSqueeze(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axes"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  auto axes = readAxes(n, /*inputSinceOpset=*/13);
  if (failed(axes))
    return failure();
  llvm::ArrayRef<int64_t> in = n.inputType(0).getShape();
  llvm::SmallVector<int64_t> squeezed;
  if (*axes) {
    FailureOr<llvm::SmallVector<int64_t>> normalized = normalizeAxes(n, **axes, in.size());
    if (failed(normalized))
      return failure();
    squeezed = *normalized;
    for (int64_t a : squeezed)
      if (in[a] != 1)
        return n.error() << "cannot squeeze axis " << a << " of extent " << in[a];
  } else {
    for (auto [i, d] : llvm::enumerate(in))
      if (d == 1)
        squeezed.push_back(i);
  }
  Shape out;
  for (auto [i, d] : llvm::enumerate(in))
    if (!llvm::is_contained(squeezed, static_cast<int64_t>(i)))
      out.push_back(d);
  n.setOutput(0, n.reshape(*x, out));
  return success();
}

LogicalResult onnx_import::convertUnsqueeze(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axes"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  auto axes = readAxes(n, /*inputSinceOpset=*/13);
  if (failed(axes))
    return failure();
  if (!*axes)
    return n.error() << "axes are required";
  llvm::ArrayRef<int64_t> in = n.inputType(0).getShape();
  int64_t rank = in.size() + (*axes)->size();
  FailureOr<llvm::SmallVector<int64_t>> inserted = normalizeAxes(n, **axes, rank);
  if (failed(inserted))
    return failure();
  Shape out;
  for (int64_t i = 0, next = 0; i < rank; ++i)
    out.push_back(llvm::is_contained(*inserted, i) ? 1 : in[next++]);
  n.setOutput(0, n.reshape(*x, out));
  return success();
}

LogicalResult onnx_import::convertTranspose(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"perm"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  llvm::SmallVector<int64_t> perm = n.getInts("perm");
  if (!n.attribute("perm"))
    for (int64_t i = type.getRank() - 1; i >= 0; --i)
      perm.push_back(i);
  FailureOr<Shape> shape = inferTransposeShape(type.getShape(), perm, n.errorFn());
  if (failed(shape))
    return failure();
  n.setOutput(0, n.create<TransposeOp>(n.tensorType(*shape, type.getElementType()), *x,
                                       n.builder.getDenseI64ArrayAttr(perm)));
  return success();
}

LogicalResult onnx_import::convertConcat(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis"})))
    return failure();
  llvm::SmallVector<Value> inputs;
  llvm::SmallVector<llvm::ArrayRef<int64_t>> shapes;
  for (unsigned i = 0; i < n.numInputs(); ++i) {
    FailureOr<Value> v = n.requiredInput(i);
    if (failed(v))
      return failure();
    if (n.inputType(i).getElementType() != n.inputType(0).getElementType())
      return n.error() << "inputs have different element types";
    inputs.push_back(*v);
    shapes.push_back(n.inputType(i).getShape());
  }
  if (inputs.empty())
    return n.error() << "needs at least one input";
  FailureOr<int64_t> axis =
      n.normalizeAxis(n.getInt("axis", 1), n.inputType(0).getRank(), "axis");
  if (failed(axis))
    return failure();
  FailureOr<Shape> shape = inferConcatShape(shapes, *axis, n.errorFn());
  if (failed(shape))
    return failure();
  n.setOutput(0, n.create<ConcatOp>(n.tensorType(*shape, n.inputType(0).getElementType()), inputs,
                                    n.builder.getI64IntegerAttr(*axis)));
  return success();
}

LogicalResult onnx_import::convertPad(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"mode", "pads", "paddings", "value"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  std::string modeName = n.getString("mode", "constant");
  std::optional<PadMode> mode = symbolizePadMode(modeName);
  if (!mode)
    return n.error() << "mode '" << modeName << "' is not supported";
  llvm::SmallVector<int64_t> pads;
  Value value;
  if (n.opset < 11) {
    pads = n.getInts(n.opset < 2 ? "paddings" : "pads");
    value = n.scalarConstant(type.getElementType(), n.getFloat("value", 0.0f));
  } else {
    FailureOr<llvm::SmallVector<int64_t>> p = n.constantInts(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
    if (Value v = n.input(2)) {
      if (n.inputType(2).getNumElements() != 1 ||
          n.inputType(2).getElementType() != type.getElementType())
        return n.error() << "constant_value must be a scalar of the input's type";
      value = n.reshape(v, {});
    } else {
      value = n.scalarConstant(type.getElementType(), 0.0);
    }
    // Since opset 18, `axes` says which dimensions `pads` covers.
    auto axes = readAxes(n, /*inputSinceOpset=*/18, /*inputIndex=*/3);
    if (failed(axes))
      return failure();
    if (*axes && n.opset >= 18) {
      FailureOr<llvm::SmallVector<int64_t>> normalized = normalizeAxes(n, **axes, rank);
      if (failed(normalized) || pads.size() != 2 * (*axes)->size())
        return failed(normalized) ? failure()
                                  : n.error() << "expected " << 2 * (*axes)->size()
                                              << " pads for " << (*axes)->size() << " axes";
      llvm::SmallVector<int64_t> full(2 * rank, 0);
      for (auto [i, axis] : llvm::enumerate(**axes)) {
        int64_t a = axis < 0 ? axis + rank : axis;
        full[a] = pads[i];
        full[a + rank] = pads[i + (*axes)->size()];
      }
      pads = full;
    }
  }
  FailureOr<Shape> shape = inferPadShape(type.getShape(), pads, n.errorFn());
  if (failed(shape))
    return failure();
  if (*mode == PadMode::reflect)
    for (int64_t i = 0; i < rank; ++i)
      if (pads[i] >= type.getShape()[i] || pads[i + rank] >= type.getShape()[i])
        return n.error() << "reflect padding of " << pads[i] << " and " << pads[i + rank]
                         << " needs more than the " << type.getShape()[i]
                         << " elements of dimension " << i;
  n.setOutput(0, n.create<PadOp>(n.tensorType(*shape, type.getElementType()), *x, value,
                                 n.builder.getDenseI64ArrayAttr(pads),
                                 PadModeAttr::get(n.builder.getContext(), *mode)));
  return success();
}

LogicalResult onnx_import::convertGather(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis"})))
    return failure();
  FailureOr<Value> data = n.requiredInput(0), indices = n.requiredInput(1);
  if (failed(data) || failed(indices))
    return failure();
  Type indexType = n.inputType(1).getElementType();
  if (!indexType.isSignlessInteger(32) && !indexType.isSignlessInteger(64))
    return n.error() << "indices of type " << indexType << " are not int32 or int64";
  RankedTensorType type = n.inputType(0);
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), type.getRank(), "axis");
  if (failed(axis))
    return failure();
  FailureOr<Shape> shape = inferGatherShape(type.getShape(), n.inputType(1).getShape(), *axis,
                                            n.errorFn());
  if (failed(shape))
    return failure();
  n.setOutput(0, n.create<GatherOp>(n.tensorType(*shape, type.getElementType()), *data, *indices,
                                    n.builder.getI64IntegerAttr(*axis)));
  return success();
}

LogicalResult onnx_import::convertShape(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"start", "end"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  // Shapes are static, so Shape is always a constant.
  llvm::ArrayRef<int64_t> in = n.inputType(0).getShape();
  int64_t rank = in.size();
  auto clampIndex = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
  int64_t start = clampIndex(n.getInt("start", 0)), end = clampIndex(n.getInt("end", rank));
  llvm::SmallVector<int64_t> dims(in.begin() + start, in.begin() + std::max(start, end));
  auto type = n.tensorType({static_cast<int64_t>(dims.size())}, n.builder.getI64Type());
  n.setOutput(0, n.constant(DenseElementsAttr::get(type, llvm::ArrayRef<int64_t>(dims))));
  return success();
}

LogicalResult onnx_import::convertConstant(NodeImporter &n) {
  if (n.node.attribute_size() != 1)
    return n.error() << "expected exactly one value attribute";
  const onnx::AttributeProto &attr = n.node.attribute(0);
  Builder &b = n.builder;
  llvm::StringRef name = attr.name();
  if (name == "value") {
    FailureOr<DenseElementsAttr> value =
        convertTensor(b.getContext(), attr.t(), n.getModelDir(), n.errorFn());
    if (failed(value))
      return failure();
    n.setOutput(0, n.constant(*value));
  } else if (name == "value_float") {
    n.setOutput(0, n.constant(DenseElementsAttr::get(
                       RankedTensorType::get({}, b.getF32Type()), attr.f())));
  } else if (name == "value_int") {
    n.setOutput(0, n.constant(DenseElementsAttr::get(
                       RankedTensorType::get({}, b.getI64Type()), static_cast<int64_t>(attr.i()))));
  } else if (name == "value_floats") {
    llvm::SmallVector<float> v(attr.floats().begin(), attr.floats().end());
    n.setOutput(0, n.constant(DenseElementsAttr::get(
                       RankedTensorType::get({static_cast<int64_t>(v.size())}, b.getF32Type()),
                       llvm::ArrayRef<float>(v))));
  } else if (name == "value_ints") {
    llvm::SmallVector<int64_t> v(attr.ints().begin(), attr.ints().end());
    n.setOutput(0, n.constant(DenseElementsAttr::get(
                       RankedTensorType::get({static_cast<int64_t>(v.size())}, b.getI64Type()),
                       llvm::ArrayRef<int64_t>(v))));
  } else {
    return n.error() << "constant attribute '" << name << "' is not supported";
  }
  return success();
}

LogicalResult onnx_import::convertIdentity(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  n.setOutput(0, *x);
  return success();
}

LogicalResult onnx_import::convertDropout(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"ratio", "is_test", "seed", "consumed_inputs"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  // Inference is the identity. Training mode is too when the ratio is 0; with
  // any other ratio it is random, which a deterministic program cannot do.
  if (n.input(2)) {
    DenseElementsAttr training = n.constantInput(2);
    if (!training)
      return n.requireConstant(2, "training_mode");
    if (!training.isSplat() || training.getSplatValue<bool>()) {
      DenseElementsAttr ratio = n.constantInput(1);
      if (n.input(1) && !ratio)
        return n.requireConstant(1, "ratio");
      bool zeroRatio = ratio && isa<FloatType>(ratio.getElementType()) && ratio.isSplat() &&
                       ratio.getSplatValue<llvm::APFloat>().isZero();
      if (!zeroRatio)
        return n.error() << "training-mode dropout with a nonzero ratio is random and "
                            "is not supported";
    }
  }
  n.setOutput(0, *x);
  if (n.hasOutput(1)) {
    // The mask is all true; before opset 10 it had the input's type.
    RankedTensorType type = n.inputType(0);
    Type maskType = n.opset < 10 ? type.getElementType() : n.builder.getI1Type();
    auto mask = RankedTensorType::get(type.getShape(), maskType);
    Attribute one = isa<FloatType>(maskType) ? Attribute(n.builder.getFloatAttr(maskType, 1.0))
                                             : Attribute(n.builder.getIntegerAttr(maskType, 1));
    n.setOutput(1, n.constant(DenseElementsAttr::get(mask, one)));
  }
  return success();
}
