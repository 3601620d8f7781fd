//===- OnnxShape.cpp - reshapes, data movement and constants --------------===//

#include "NodeImporter.h"

#include "llvm/ADT/StringSwitch.h"
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
  if (getCheckedNumElements(target) != count)
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
  // As in ONNX Runtime, an index known at compile time must lie in
  // [-extent, extent - 1]; one known at run time only reads element 0 then.
  int64_t extent = type.getDimSize(*axis);
  if (DenseElementsAttr indexValues = n.constantInput(1))
    for (const llvm::APInt &index : indexValues.getValues<llvm::APInt>())
      if (index.getSExtValue() < -extent || index.getSExtValue() >= extent)
        return n.error() << "index " << index.getSExtValue() << " is out of range for axis "
                         << *axis << " of extent " << extent << " (data "
                         << formatShape(type.getShape()) << ")";
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
  auto expected = llvm::StringSwitch<onnx::AttributeProto::AttributeType>(name)
                      .Case("value", onnx::AttributeProto::TENSOR)
                      .Case("value_float", onnx::AttributeProto::FLOAT)
                      .Case("value_int", onnx::AttributeProto::INT)
                      .Case("value_floats", onnx::AttributeProto::FLOATS)
                      .Case("value_ints", onnx::AttributeProto::INTS)
                      .Default(onnx::AttributeProto::UNDEFINED);
  if (attr.type() != onnx::AttributeProto::UNDEFINED && expected != onnx::AttributeProto::UNDEFINED &&
      attr.type() != expected)
    return n.error() << "attribute '" << name << "' must be of type "
                     << onnx::AttributeProto::AttributeType_Name(expected) << ", not "
                     << onnx::AttributeProto::AttributeType_Name(attr.type());
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

//===----------------------------------------------------------------------===//
// Slicing, splitting, tiling and broadcasting: gathers at constant indices
//===----------------------------------------------------------------------===//

/// `x` with the elements at `indices` along `axis`, in that order: a
/// tinyc.gather with constant indices, which copies exactly and folds when
/// `x` is constant. Slice, Split, Tile and Expand are one such gather per
/// dimension they change; an identity gather is skipped.
static Value gatherAlong(NodeImporter &n, Value x, int64_t axis, llvm::ArrayRef<int64_t> indices) {
  auto type = cast<RankedTensorType>(x.getType());
  bool identity = static_cast<int64_t>(indices.size()) == type.getDimSize(axis);
  for (auto [i, index] : llvm::enumerate(indices))
    identity &= index == static_cast<int64_t>(i);
  if (identity)
    return x;
  // int32 indices: half the flash of int64, and no tensor tinyc compiles has
  // 2^31 elements along an axis.
  llvm::SmallVector<int32_t> narrow(indices.begin(), indices.end());
  auto indexType = n.tensorType({static_cast<int64_t>(indices.size())}, n.builder.getI32Type());
  Value indexValues = n.constant(DenseElementsAttr::get(indexType, llvm::ArrayRef<int32_t>(narrow)));
  Shape shape(type.getShape());
  shape[axis] = indices.size();
  return n.create<GatherOp>(n.tensorType(shape, type.getElementType()), x, indexValues,
                            n.builder.getI64IntegerAttr(axis));
}

/// The constant integer input `i`, or `fallback` when the input is absent.
static FailureOr<llvm::SmallVector<int64_t>> optionalInts(NodeImporter &n, unsigned i,
                                                          llvm::StringRef what,
                                                          llvm::SmallVector<int64_t> fallback) {
  if (!n.input(i))
    return fallback;
  return n.constantInts(i, what);
}

LogicalResult onnx_import::convertSlice(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"starts", "ends", "axes"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  llvm::ArrayRef<int64_t> in = n.inputType(0).getShape();
  int64_t rank = in.size();
  llvm::SmallVector<int64_t> starts, ends, axes, steps;
  if (n.opset < 10) {
    starts = n.getInts("starts");
    ends = n.getInts("ends");
    axes = n.getInts("axes");
    if (!n.attribute("axes"))
      axes = llvm::to_vector(llvm::seq<int64_t>(0, starts.size()));
    steps.assign(starts.size(), 1);
  } else {
    FailureOr<llvm::SmallVector<int64_t>> s = n.constantInts(1, "starts"),
                                          e = n.constantInts(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    FailureOr<llvm::SmallVector<int64_t>> a = optionalInts(
        n, 3, "axes", llvm::to_vector(llvm::seq<int64_t>(0, starts.size())));
    FailureOr<llvm::SmallVector<int64_t>> st =
        optionalInts(n, 4, "steps", llvm::SmallVector<int64_t>(starts.size(), 1));
    if (failed(a) || failed(st))
      return failure();
    axes = *a;
    steps = *st;
  }
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return n.error() << "starts, ends, axes and steps have " << starts.size() << ", "
                     << ends.size() << ", " << axes.size() << " and " << steps.size()
                     << " entries";
  if (failed(normalizeAxes(n, axes, rank)))
    return failure();
  Value result = *x;
  for (auto [i, axis] : llvm::enumerate(axes)) {
    int64_t a = axis < 0 ? axis + rank : axis;
    FailureOr<llvm::SmallVector<int64_t>> indices =
        computeSliceIndices(in[a], starts[i], ends[i], steps[i], n.errorFn());
    if (failed(indices))
      return failure();
    result = gatherAlong(n, result, a, *indices);
  }
  n.setOutput(0, result);
  return success();
}

LogicalResult onnx_import::convertSplit(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis", "split", "num_outputs"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  llvm::ArrayRef<int64_t> in = n.inputType(0).getShape();
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), in.size(), "axis");
  if (failed(axis))
    return failure();
  // The sizes are an attribute from opset 2 to 12, an input since 13; opset 1
  // took either.
  std::optional<llvm::SmallVector<int64_t>> sizes;
  if (n.opset < 13 && n.attribute("split")) {
    sizes = n.getInts("split");
  } else if (n.input(1)) {
    FailureOr<llvm::SmallVector<int64_t>> s = n.constantInts(1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  }
  int64_t count = n.numOutputs();
  bool numOutputs = n.opset >= 18 && n.attribute("num_outputs");
  if (numOutputs && (sizes || n.getInt("num_outputs", 0) != count))
    return n.error() << "num_outputs " << n.getInt("num_outputs", 0) << " with "
                     << (sizes ? "split sizes" : std::to_string(count) + " outputs");
  if (sizes && static_cast<int64_t>(sizes->size()) != count)
    return n.error() << sizes->size() << " split sizes for " << count << " outputs";
  std::optional<llvm::ArrayRef<int64_t>> sizesRef;
  if (sizes)
    sizesRef = *sizes;
  FailureOr<llvm::SmallVector<int64_t>> parts =
      inferSplitSizes(in[*axis], sizesRef, count, numOutputs, n.errorFn());
  if (failed(parts))
    return failure();
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(*parts)) {
    if (n.hasOutput(i))
      n.setOutput(i, gatherAlong(n, *x, *axis,
                                 llvm::to_vector(llvm::seq<int64_t>(offset, offset + size))));
    offset += size;
  }
  return success();
}

LogicalResult onnx_import::convertTile(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  FailureOr<llvm::SmallVector<int64_t>> repeats = n.constantInts(1, "repeats");
  if (failed(repeats))
    return failure();
  llvm::ArrayRef<int64_t> in = n.inputType(0).getShape();
  FailureOr<Shape> shape = inferTileShape(in, *repeats, n.errorFn());
  if (failed(shape))
    return failure();
  Value result = *x;
  for (auto [axis, extent] : llvm::enumerate(*shape)) {
    llvm::SmallVector<int64_t> indices;
    for (int64_t k = 0; k < extent; ++k)
      indices.push_back(k % in[axis]);
    result = gatherAlong(n, result, axis, indices);
  }
  n.setOutput(0, result);
  return success();
}

LogicalResult onnx_import::convertExpand(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  FailureOr<llvm::SmallVector<int64_t>> target = n.constantInts(1, "shape");
  if (failed(target))
    return failure();
  llvm::ArrayRef<int64_t> in = n.inputType(0).getShape();
  FailureOr<Shape> shape = broadcastShapes(in, *target, n.errorFn());
  if (failed(shape))
    return failure();
  // Align the input with the result's rank, then repeat element 0 along
  // each dimension of extent 1 that broadcasts.
  Shape aligned(shape->size() - in.size(), 1);
  aligned.append(in.begin(), in.end());
  Value result = n.reshape(*x, aligned);
  for (auto [axis, extent] : llvm::enumerate(*shape))
    if (aligned[axis] != extent)
      result = gatherAlong(n, result, axis, llvm::SmallVector<int64_t>(extent, 0));
  n.setOutput(0, result);
  return success();
}

//===----------------------------------------------------------------------===//
// Depth and space: reshape, transpose, reshape
//===----------------------------------------------------------------------===//

/// Reshapes `x` to `split`, permutes by `perm` and reshapes to `result`:
/// DepthToSpace and SpaceToDepth move every element exactly this way.
static Value regroup(NodeImporter &n, Value x, llvm::ArrayRef<int64_t> split,
                     llvm::ArrayRef<int64_t> perm, llvm::ArrayRef<int64_t> result) {
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  Value grouped = n.reshape(x, split);
  Shape permuted;
  for (int64_t p : perm)
    permuted.push_back(split[p]);
  Value moved = n.create<TransposeOp>(n.tensorType(permuted, elem), grouped,
                                      n.builder.getDenseI64ArrayAttr(perm));
  return n.reshape(moved, result);
}

LogicalResult onnx_import::convertDepthToSpace(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"blocksize", "mode"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  if (!n.attribute("blocksize"))
    return n.error() << "blocksize is required";
  int64_t b = n.getInt("blocksize", 0);
  std::string mode = n.getString("mode", "DCR");
  if (mode != "DCR" && mode != "CRD")
    return n.error() << "mode '" << mode << "' is neither DCR nor CRD";
  llvm::ArrayRef<int64_t> in = n.inputType(0).getShape();
  FailureOr<Shape> shape = inferDepthToSpaceShape(in, b, n.errorFn());
  if (failed(shape))
    return failure();
  int64_t c = (*shape)[1], h = in[2], w = in[3];
  // ONNX's definition: DCR reads the channel as (blockrow, blockcol, c), CRD
  // as (c, blockrow, blockcol).
  Value result = mode == "DCR"
                     ? regroup(n, *x, {in[0], b, b, c, h, w}, {0, 3, 4, 1, 5, 2}, *shape)
                     : regroup(n, *x, {in[0], c, b, b, h, w}, {0, 1, 4, 2, 5, 3}, *shape);
  n.setOutput(0, result);
  return success();
}

LogicalResult onnx_import::convertSpaceToDepth(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"blocksize"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  if (!n.attribute("blocksize"))
    return n.error() << "blocksize is required";
  int64_t b = n.getInt("blocksize", 0);
  llvm::ArrayRef<int64_t> in = n.inputType(0).getShape();
  FailureOr<Shape> shape = inferSpaceToDepthShape(in, b, n.errorFn());
  if (failed(shape))
    return failure();
  n.setOutput(0, regroup(n, *x, {in[0], in[1], in[2] / b, b, in[3] / b, b}, {0, 3, 5, 1, 2, 4},
                         *shape));
  return success();
}

//===----------------------------------------------------------------------===//
// Operators whose result is known at compile time
//===----------------------------------------------------------------------===//

LogicalResult onnx_import::convertConstantOfShape(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"value"})))
    return failure();
  FailureOr<llvm::SmallVector<int64_t>> shape = n.constantInts(0, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return n.error() << "shape " << formatShape(*shape) << " has a negative extent";
  if (!getCheckedNumElements(*shape))
    return n.error() << "shape " << formatShape(*shape) << " is too large";
  Attribute fill = n.builder.getF32FloatAttr(0.0f);
  if (const onnx::AttributeProto *value = n.attribute("value")) {
    if (value->type() != onnx::AttributeProto::TENSOR)
      return n.error() << "attribute 'value' must be a tensor";
    FailureOr<DenseElementsAttr> v =
        convertTensor(n.builder.getContext(), value->t(), n.getModelDir(), n.errorFn());
    if (failed(v))
      return failure();
    if (v->getNumElements() != 1)
      return n.error() << "value has " << v->getNumElements() << " elements, not one";
    fill = *v->getValues<Attribute>().begin();
  }
  auto type = n.tensorType(*shape, cast<TypedAttr>(fill).getType());
  n.setOutput(0, n.constant(DenseElementsAttr::get(type, fill)));
  return success();
}

/// EyeLike: ones on the k-th diagonal (k > 0 above the main one) of a 2-D
/// tensor of the input's shape, of type `dtype` (default the input's). Shapes
/// are static, so it is a constant; the input's values are never read.
LogicalResult onnx_import::convertEyeLike(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"dtype", "k"})))
    return failure();
  if (failed(n.requiredInput(0)))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (type.getRank() != 2)
    return n.error() << "input of shape " << formatShape(type.getShape()) << " is not 2-D";
  Type elem = type.getElementType();
  if (n.attribute("dtype")) {
    int64_t dtype = n.getInt("dtype", 0);
    elem = convertElementType(n.builder.getContext(), static_cast<int>(dtype));
    if (!elem)
      return n.error() << "dtype " << dtype << " is not supported";
  }
  int64_t k = n.getInt("k", 0);
  Attribute zero = n.builder.getZeroAttr(elem), one = n.builder.getOneAttr(elem);
  int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  llvm::SmallVector<Attribute> values;
  values.reserve(rows * columns);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < columns; ++c)
      values.push_back(c - r == k ? one : zero);
  n.setOutput(0, n.constant(DenseElementsAttr::get(n.tensorType(type.getShape(), elem), values)));
  return success();
}

LogicalResult onnx_import::convertRange(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  Type elem = n.inputType(0).getElementType();
  for (unsigned i = 0; i < 3; ++i) {
    if (failed(n.requiredInput(i)))
      return failure();
    if (n.inputType(i).getElementType() != elem || n.inputType(i).getNumElements() != 1)
      return n.error() << "start, limit and delta must be scalars of one type";
  }
  if (!elem.isF32() && !elem.isF64() && !elem.isSignlessInteger(16) &&
      !elem.isSignlessInteger(32) && !elem.isSignlessInteger(64))
    return n.error() << "element type " << elem << " is not supported";
  DenseElementsAttr bounds[3];
  const char *names[3] = {"start", "limit", "delta"};
  for (unsigned i = 0; i < 3; ++i)
    if (!(bounds[i] = n.constantInput(i)))
      return n.requireConstant(i, names[i]);
  if (isa<FloatType>(elem)) {
    double v[3];
    for (unsigned i = 0; i < 3; ++i)
      v[i] = (*bounds[i].getValues<llvm::APFloat>().begin()).convertToDouble();
    FailureOr<int64_t> count = inferRangeCount(v[0], v[1], v[2], n.errorFn());
    if (failed(count))
      return failure();
    auto type = n.tensorType({*count}, elem);
    // In the element type's own arithmetic, start + i * delta, as NumPy's
    // arange (ONNX's reference) fills its result.
    if (elem.isF32()) {
      llvm::SmallVector<float> out;
      for (int64_t i = 0; i < *count; ++i)
        out.push_back(static_cast<float>(v[0]) + static_cast<float>(i) * static_cast<float>(v[2]));
      n.setOutput(0, n.constant(DenseElementsAttr::get(type, llvm::ArrayRef<float>(out))));
    } else {
      llvm::SmallVector<double> out;
      for (int64_t i = 0; i < *count; ++i)
        out.push_back(v[0] + static_cast<double>(i) * v[2]);
      n.setOutput(0, n.constant(DenseElementsAttr::get(type, llvm::ArrayRef<double>(out))));
    }
    return success();
  }
  int64_t v[3];
  for (unsigned i = 0; i < 3; ++i)
    v[i] = (*bounds[i].getValues<llvm::APInt>().begin()).getSExtValue();
  if (v[2] == 0)
    return n.error() << "delta is 0";
  // Exact in integers: ceil((limit - start) / delta) without rounding.
  __int128 span = static_cast<__int128>(v[1]) - v[0];
  __int128 count = span / v[2] + (span % v[2] != 0 && ((span > 0) == (v[2] > 0)) ? 1 : 0);
  if (count > (int64_t{1} << 40))
    return n.error() << "range is too large";
  llvm::SmallVector<llvm::APInt> out;
  unsigned width = elem.getIntOrFloatBitWidth();
  for (int64_t i = 0; i < static_cast<int64_t>(std::max<__int128>(count, 0)); ++i)
    out.push_back(llvm::APInt(64, static_cast<uint64_t>(v[0] + i * v[2])).trunc(width));
  n.setOutput(0, n.constant(DenseElementsAttr::get(
                     n.tensorType({static_cast<int64_t>(out.size())}, elem), out)));
  return success();
}

LogicalResult onnx_import::convertSize(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  if (failed(n.requiredInput(0)))
    return failure();
  // Shapes are static, so Size is always a constant.
  auto type = n.tensorType({}, n.builder.getI64Type());
  n.setOutput(0, n.constant(DenseElementsAttr::get(type, n.inputType(0).getNumElements())));
  return success();
}

/// Trilu: the elements on and above (upper) or on and below the k-th
/// diagonal of the last two dimensions; the others become 0. A select with a
/// constant mask, which the shapes make known at compile time.
LogicalResult onnx_import::convertTrilu(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"upper"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  int64_t rank = type.getRank();
  if (rank < 2)
    return n.error() << "input of shape " << formatShape(type.getShape())
                     << " has fewer than 2 dimensions";
  int64_t k = 0;
  if (n.input(1)) {
    FailureOr<llvm::SmallVector<int64_t>> given = n.constantInts(1, "k");
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return n.error() << "k (input 1) must hold one value, got " << given->size();
    k = (*given)[0];
  }
  bool upper = n.getInt("upper", 1) != 0;
  int64_t rows = type.getShape()[rank - 2], cols = type.getShape()[rank - 1];
  llvm::SmallVector<bool> keep;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      keep.push_back(upper ? j - i >= k : j - i <= k);
  auto maskType = RankedTensorType::get({rows, cols}, n.builder.getI1Type());
  Value mask = n.constant(DenseElementsAttr::get(maskType, keep));
  n.setOutput(0, n.create<SelectOp>(type, mask, *x, n.scalarConstant(type.getElementType(), 0)));
  return success();
}

/// OneHot: `values[1]` where an index equals its position along the new
/// `axis` of extent `depth`, `values[0]` elsewhere; an index in [-depth, 0)
/// counts from the end, one outside [-depth, depth) matches nowhere. depth and
/// values must be constants.
LogicalResult onnx_import::convertOneHot(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis"})))
    return failure();
  FailureOr<Value> indices = n.requiredInput(0);
  if (failed(indices) || failed(n.requiredInput(1)) || failed(n.requiredInput(2)))
    return failure();
  Type indexElem = n.inputType(0).getElementType();
  if (!(indexElem.isF32() || indexElem.isF64() ||
        (indexElem.isInteger() && !indexElem.isInteger(1))))
    return n.error() << "indices (input 0) of element type " << indexElem << " are not supported";
  DenseElementsAttr depthAttr = n.constantInput(1), valuesAttr = n.constantInput(2);
  if (!depthAttr)
    return n.requireConstant(1, "depth");
  if (!valuesAttr)
    return n.requireConstant(2, "values");
  if (depthAttr.getNumElements() != 1)
    return n.error() << "depth (input 1) must hold one value, got " << depthAttr.getNumElements();
  // ONNX converts a floating-point depth to an integer.
  int64_t depth = isa<FloatType>(depthAttr.getElementType())
                      ? static_cast<int64_t>((*depthAttr.getValues<llvm::APFloat>().begin())
                                                 .convertToDouble())
                      : (*depthAttr.getValues<llvm::APInt>().begin()).getSExtValue();
  if (depth < 1 || depth > (int64_t{1} << 24))
    return n.error() << "depth " << depth << " is out of range";
  if (valuesAttr.getNumElements() != 2)
    return n.error() << "values (input 2) must hold [off, on], got "
                     << valuesAttr.getNumElements() << " value(s)";
  RankedTensorType indexType = n.inputType(0);
  int64_t rank = indexType.getRank();
  FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", -1), rank + 1, "axis");
  if (failed(axis))
    return failure();
  // indices as [..., 1, ...] against the positions [1, ..., depth, ..., 1]
  Shape indexShape(indexType.getShape());
  indexShape.insert(indexShape.begin() + *axis, 1);
  Shape outShape(indexType.getShape());
  outShape.insert(outShape.begin() + *axis, depth);
  Shape positionShape(rank + 1, 1);
  positionShape[*axis] = depth;
  Value index = *indices;
  if (!indexElem.isUnsignedInteger()) {
    Type i1 = n.builder.getI1Type();
    Value negative = n.create<CompareOp>(
        n.tensorType(indexType.getShape(), i1),
        CompareKindAttr::get(n.builder.getContext(), CompareKind::lt), index,
        n.scalarConstant(indexElem, 0));
    Value wrapped = n.create<AddOp>(indexType, index, n.scalarConstant(indexElem, depth),
                                    ActivationAttr(), FakeQuantAttr());
    index = n.create<SelectOp>(indexType, negative, wrapped, index);
  }
  index = n.reshape(index, indexShape);
  auto positionType = RankedTensorType::get(positionShape, indexElem);
  Value positions;
  if (isa<FloatType>(indexElem)) {
    llvm::SmallVector<llvm::APFloat> p;
    for (int64_t d = 0; d < depth; ++d) {
      llvm::APFloat v(static_cast<double>(d));
      bool lost;
      v.convert(cast<FloatType>(indexElem).getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven,
                &lost);
      p.push_back(v);
    }
    positions = n.constant(DenseElementsAttr::get(positionType, p));
  } else {
    llvm::SmallVector<llvm::APInt> p;
    for (int64_t d = 0; d < depth; ++d)
      p.push_back(llvm::APInt(indexElem.getIntOrFloatBitWidth(), static_cast<uint64_t>(d)));
    positions = n.constant(DenseElementsAttr::get(positionType, p));
  }
  Value hit = n.create<CompareOp>(n.tensorType(outShape, n.builder.getI1Type()),
                                  CompareKindAttr::get(n.builder.getContext(), CompareKind::eq),
                                  index, positions);
  Type valueElem = valuesAttr.getElementType();
  auto scalarType = RankedTensorType::get({}, valueElem);
  auto valueAt = [&](int64_t i) {
    Attribute element = *(valuesAttr.getValues<Attribute>().begin() + i);
    return n.constant(DenseElementsAttr::get(scalarType, element));
  };
  // In two statements: the order of call arguments is the C++ compiler's.
  Value off = valueAt(0);
  Value on = valueAt(1);
  n.setOutput(0, n.create<SelectOp>(n.tensorType(outShape, valueElem), hit, on, off));
  return success();
}

/// GatherElements: indices of the data's rank select along `axis`; an index
/// known at compile time must lie in [-extent, extent - 1] (ONNX Runtime's
/// rule); one known at run time only reads 0 outside it.
LogicalResult onnx_import::convertGatherElements(NodeImporter &n) {
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
  FailureOr<Shape> shape = inferGatherElementsShape(type.getShape(), n.inputType(1).getShape(),
                                                    *axis, n.errorFn());
  if (failed(shape))
    return failure();
  int64_t extent = type.getDimSize(*axis);
  if (DenseElementsAttr indexValues = n.constantInput(1))
    for (const llvm::APInt &index : indexValues.getValues<llvm::APInt>())
      if (index.getSExtValue() < -extent || index.getSExtValue() >= extent)
        return n.error() << "index " << index.getSExtValue() << " is out of range for axis "
                         << *axis << " of extent " << extent << " (data "
                         << formatShape(type.getShape()) << ")";
  n.setOutput(0, n.create<GatherElementsOp>(n.tensorType(*shape, type.getElementType()), *data,
                                            *indices, n.builder.getI64IntegerAttr(*axis)));
  return success();
}
