//===- OnnxElementwise.cpp - arithmetic, activations, casts, Q/DQ ---------===//

#include "NodeImporter.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::onnx_import;

namespace {

bool isSupportedArithmeticType(Type elem) {
  return elem.isF32() || elem.isF64() || (elem.isInteger() && !elem.isInteger(1));
}

/// lhs op rhs of element type `elem`, broadcasting as the node's opset says.
template <typename OpTy>
FailureOr<Value> buildBinary(NodeImporter &n, Value lhs, Value rhs, Type elem) {
  // Before opset 7, `broadcast=1` aligned B with A starting at `axis`; padding
  // B's shape with trailing ones expresses that as NumPy broadcasting.
  if (n.opset < 7 && n.getInt("broadcast", 0) != 0 && n.attribute("axis")) {
    int64_t lhsRank = cast<RankedTensorType>(lhs.getType()).getRank();
    FailureOr<int64_t> axis = n.normalizeAxis(n.getInt("axis", 0), lhsRank, "axis");
    if (failed(axis))
      return failure();
    Shape shape(cast<RankedTensorType>(rhs.getType()).getShape());
    if (*axis + static_cast<int64_t>(shape.size()) > lhsRank)
      return n.error() << "B of shape " << formatShape(shape) << " does not fit A at axis "
                       << *axis;
    shape.append(lhsRank - *axis - shape.size(), 1);
    rhs = n.reshape(rhs, shape);
  }
  FailureOr<Shape> shape =
      broadcastShapes(cast<RankedTensorType>(lhs.getType()).getShape(),
                      cast<RankedTensorType>(rhs.getType()).getShape(), n.errorFn());
  if (failed(shape))
    return failure();
  return n.create<OpTy>(n.tensorType(*shape, elem), lhs, rhs, ActivationAttr(), FakeQuantAttr());
}

template <typename OpTy>
LogicalResult convertBinary(NodeImporter &n, llvm::ArrayRef<llvm::StringRef> attributes = {
                                                 "broadcast", "axis", "consumed_inputs"}) {
  if (failed(n.rejectUnknownAttributes(attributes)))
    return failure();
  FailureOr<Value> lhs = n.requiredInput(0), rhs = n.requiredInput(1);
  if (failed(lhs) || failed(rhs))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (n.inputType(1).getElementType() != elem)
    return n.error() << "operands have different element types " << elem << " and "
                     << n.inputType(1).getElementType();
  if (!isSupportedArithmeticType(elem))
    return n.error() << "element type " << elem << " is not supported";
  FailureOr<Value> result = buildBinary<OpTy>(n, *lhs, *rhs, elem);
  if (failed(result))
    return failure();
  n.setOutput(0, *result);
  return success();
}

/// Max, Min, Sum and Mean: one binary operator per further input, left to
/// right as ONNX's reference reduces them, each broadcasting; Mean divides
/// the sum by the number of inputs.
template <typename OpTy>
LogicalResult convertVariadic(NodeImporter &n, bool mean = false) {
  if (failed(n.rejectUnknownAttributes({"consumed_inputs"})))
    return failure();
  if (n.numInputs() == 0)
    return n.error() << "needs at least one input";
  FailureOr<Value> result = n.requiredInput(0);
  if (failed(result))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (!isSupportedArithmeticType(elem) || (mean && !isa<FloatType>(elem)))
    return n.error() << "element type " << elem << " is not supported";
  auto shapeOf = [](Value v) { return cast<RankedTensorType>(v.getType()).getShape(); };
  for (unsigned i = 1; i < n.numInputs(); ++i) {
    FailureOr<Value> next = n.requiredInput(i);
    if (failed(next))
      return failure();
    if (n.inputType(i).getElementType() != elem)
      return n.error() << "input " << i << " has element type " << n.inputType(i).getElementType()
                       << ", input 0 " << elem;
    FailureOr<Shape> shape = broadcastShapes(shapeOf(*result), shapeOf(*next), n.errorFn());
    if (failed(shape))
      return failure();
    *result = n.create<OpTy>(n.tensorType(*shape, elem), *result, *next, ActivationAttr(),
                             FakeQuantAttr());
  }
  if (mean && n.numInputs() > 1)
    *result = n.create<DivOp>(result->getType(), *result, n.scalarConstant(elem, n.numInputs()),
                              ActivationAttr(), FakeQuantAttr());
  n.setOutput(0, *result);
  return success();
}

/// Relu, LeakyRelu, Sigmoid, ...: one `tinyc.activation`.
LogicalResult convertActivation(NodeImporter &n, ActivationKind kind,
                                llvm::ArrayRef<std::pair<llvm::StringRef, float>> params) {
  llvm::SmallVector<llvm::StringRef> known = {"consumed_inputs"};
  for (auto &[name, value] : params)
    known.push_back(name);
  if (failed(n.rejectUnknownAttributes(known)))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (!(elem.isF32() || (elem.isF64() && !ActivationAttr::callsRuntime(kind))))
    return n.error() << "element type " << elem << " is not supported";
  float values[2] = {0.0f, 0.0f};
  for (auto [i, param] : llvm::enumerate(params))
    values[i] = n.getFloat(param.first, param.second);
  auto act = ActivationAttr::get(n.builder.getContext(), kind, values[0], values[1]);
  n.setOutput(0, n.create<ActivationOp>(n.inputType(0), *x, act));
  return success();
}

/// The lowest and highest value of an element type (infinities for floats).
std::pair<double, double> typeLimits(Type elem) {
  if (isa<FloatType>(elem))
    return {-std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()};
  unsigned width = elem.getIntOrFloatBitWidth();
  if (elem.isUnsignedInteger())
    return {0.0, std::ldexp(1.0, width) - 1};
  return {-std::ldexp(1.0, width - 1), std::ldexp(1.0, width - 1) - 1};
}

} // namespace

LogicalResult onnx_import::convertAdd(NodeImporter &n) { return convertBinary<AddOp>(n); }
LogicalResult onnx_import::convertSub(NodeImporter &n) { return convertBinary<SubOp>(n); }
LogicalResult onnx_import::convertMul(NodeImporter &n) { return convertBinary<MulOp>(n); }
LogicalResult onnx_import::convertDiv(NodeImporter &n) { return convertBinary<DivOp>(n); }

/// Pow: from opset 12 the exponent's type may differ from the base's; it is
/// converted to the base's type (an integer exponent outside the base type's
/// range wraps, a double one rounds to float32). An integer base with a float exponent is
/// computed in float32 and truncated back, as ONNX's reference (NumPy's power
/// in floating point, then astype) does; the result is exact while it is below
/// 2^24. float32 is the runtime's single-precision powf: double is refused.
LogicalResult onnx_import::convertPow(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"broadcast", "axis"})))
    return failure();
  FailureOr<Value> base = n.requiredInput(0), exponent = n.requiredInput(1);
  if (failed(base) || failed(exponent))
    return failure();
  Type baseType = n.inputType(0).getElementType(), exponentType = n.inputType(1).getElementType();
  bool intBase = baseType.isSignlessInteger(32) || baseType.isSignlessInteger(64);
  if (!baseType.isF32() && !intBase)
    return n.error() << "base (input 0) of element type " << baseType
                     << " is not supported (float32, int32, int64)";
  if (!isSupportedArithmeticType(exponentType))
    return n.error() << "exponent (input 1) of element type " << exponentType
                     << " is not supported";
  Type f32 = n.builder.getF32Type();
  Type computeType = intBase && isa<FloatType>(exponentType) ? f32 : baseType;
  auto convert = [&](Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getElementType() == computeType)
      return v;
    return n.create<CastOp>(n.tensorType(type.getShape(), computeType), v);
  };
  Value lhs = convert(*base);
  Value rhs = convert(*exponent);
  FailureOr<Value> power = buildBinary<PowOp>(n, lhs, rhs, computeType);
  if (failed(power))
    return failure();
  Value result = *power;
  if (computeType != baseType) {
    auto shape = cast<RankedTensorType>(result.getType()).getShape();
    result = n.create<CastOp>(n.tensorType(shape, baseType), result);
  }
  n.setOutput(0, result);
  return success();
}

LogicalResult onnx_import::convertRelu(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (!elem.isSignlessInteger() || elem.isInteger(1))
    return convertActivation(n, ActivationKind::relu, {});
  // Integer Relu (opset 14) is a clip at zero.
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  n.setOutput(0, n.create<ClipOp>(n.inputType(0), *x, n.scalarConstant(elem, 0),
                                  n.scalarConstant(elem, typeLimits(elem).second)));
  return success();
}

LogicalResult onnx_import::convertLeakyRelu(NodeImporter &n) {
  return convertActivation(n, ActivationKind::leaky_relu, {{"alpha", 0.01f}});
}
LogicalResult onnx_import::convertSigmoid(NodeImporter &n) {
  return convertActivation(n, ActivationKind::sigmoid, {});
}
LogicalResult onnx_import::convertTanh(NodeImporter &n) {
  return convertActivation(n, ActivationKind::tanh, {});
}
LogicalResult onnx_import::convertHardSigmoid(NodeImporter &n) {
  return convertActivation(n, ActivationKind::hard_sigmoid, {{"alpha", 0.2f}, {"beta", 0.5f}});
}
LogicalResult onnx_import::convertHardSwish(NodeImporter &n) {
  return convertActivation(n, ActivationKind::hard_swish, {});
}

namespace {

/// The broadcast shape of the node's inputs [0, count), each required.
FailureOr<Shape> broadcastInputs(NodeImporter &n, unsigned count) {
  if (n.numInputs() != count)
    return n.error() << "expects " << count << " inputs, got " << n.numInputs();
  Shape shape;
  for (unsigned i = 0; i < count; ++i) {
    if (failed(n.requiredInput(i)))
      return failure();
    FailureOr<Shape> next = broadcastShapes(shape, n.inputType(i).getShape(), n.errorFn());
    if (failed(next))
      return failure();
    shape = *next;
  }
  return shape;
}

/// Equal, Less, ...: a `tinyc.compare` of two tensors of one element type.
LogicalResult convertCompare(NodeImporter &n, CompareKind kind) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Shape> shape = broadcastInputs(n, 2);
  if (failed(shape))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (n.inputType(1).getElementType() != elem)
    return n.error() << "operands have different element types " << elem << " and "
                     << n.inputType(1).getElementType();
  if (!isSupportedArithmeticType(elem) && !(kind == CompareKind::eq && elem.isInteger(1)))
    return n.error() << "element type " << elem << " is not supported";
  Type i1 = n.builder.getI1Type();
  n.setOutput(0, n.create<CompareOp>(n.tensorType(*shape, i1),
                                     CompareKindAttr::get(n.builder.getContext(), kind),
                                     n.input(0), n.input(1)));
  return success();
}

LogicalResult requireBoolInputs(NodeImporter &n, unsigned count) {
  for (unsigned i = 0; i < count; ++i)
    if (!n.inputType(i).getElementType().isInteger(1))
      return n.error() << "input " << i << " must be a bool tensor, got "
                       << n.inputType(i).getElementType();
  return success();
}

/// And, Or, Xor of two bool tensors.
LogicalResult convertLogic(NodeImporter &n, LogicKind kind) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Shape> shape = broadcastInputs(n, 2);
  if (failed(shape) || failed(requireBoolInputs(n, 2)))
    return failure();
  n.setOutput(0, n.create<LogicOp>(n.tensorType(*shape, n.builder.getI1Type()),
                                   LogicKindAttr::get(n.builder.getContext(), kind), n.input(0),
                                   n.input(1)));
  return success();
}

} // namespace

LogicalResult onnx_import::convertEqual(NodeImporter &n) {
  return convertCompare(n, CompareKind::eq);
}
LogicalResult onnx_import::convertLess(NodeImporter &n) {
  return convertCompare(n, CompareKind::lt);
}
LogicalResult onnx_import::convertLessOrEqual(NodeImporter &n) {
  return convertCompare(n, CompareKind::le);
}
LogicalResult onnx_import::convertGreater(NodeImporter &n) {
  return convertCompare(n, CompareKind::gt);
}
LogicalResult onnx_import::convertGreaterOrEqual(NodeImporter &n) {
  return convertCompare(n, CompareKind::ge);
}
LogicalResult onnx_import::convertAnd(NodeImporter &n) { return convertLogic(n, LogicKind::and_); }
LogicalResult onnx_import::convertOr(NodeImporter &n) { return convertLogic(n, LogicKind::or_); }
LogicalResult onnx_import::convertXor(NodeImporter &n) { return convertLogic(n, LogicKind::xor_); }

LogicalResult onnx_import::convertNot(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Shape> shape = broadcastInputs(n, 1);
  if (failed(shape) || failed(requireBoolInputs(n, 1)))
    return failure();
  n.setOutput(0, n.create<NotOp>(n.inputType(0), n.input(0)));
  return success();
}

LogicalResult onnx_import::convertWhere(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Shape> shape = broadcastInputs(n, 3);
  if (failed(shape) || failed(requireBoolInputs(n, 1)))
    return failure();
  Type elem = n.inputType(1).getElementType();
  if (n.inputType(2).getElementType() != elem)
    return n.error() << "X and Y have different element types " << elem << " and "
                     << n.inputType(2).getElementType();
  if (!isSupportedArithmeticType(elem) && !elem.isInteger(1))
    return n.error() << "element type " << elem << " is not supported";
  n.setOutput(0, n.create<SelectOp>(n.tensorType(*shape, elem), n.input(0), n.input(1),
                                    n.input(2)));
  return success();
}

LogicalResult onnx_import::convertIsNaN(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  if (failed(broadcastInputs(n, 1)))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (!elem.isF32() && !elem.isF64())
    return n.error() << "element type " << elem << " is not supported";
  n.setOutput(0, n.create<ClassifyOp>(n.tensorType(n.inputType(0).getShape(), n.builder.getI1Type()),
                                      FloatClassAttr::get(n.builder.getContext(), FloatClass::nan),
                                      n.input(0)));
  return success();
}

LogicalResult onnx_import::convertIsInf(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"detect_negative", "detect_positive"})))
    return failure();
  if (failed(broadcastInputs(n, 1)))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (!elem.isF32() && !elem.isF64())
    return n.error() << "element type " << elem << " is not supported";
  bool negative = n.getInt("detect_negative", 1) != 0, positive = n.getInt("detect_positive", 1) != 0;
  Type boolType = n.tensorType(n.inputType(0).getShape(), n.builder.getI1Type());
  if (!negative && !positive) {
    // Detects nothing: all false, whatever the input.
    n.setOutput(0, n.constant(DenseElementsAttr::get(cast<ShapedType>(boolType), false)));
    return success();
  }
  FloatClass kind = negative && positive ? FloatClass::inf
                    : positive           ? FloatClass::pos_inf
                                         : FloatClass::neg_inf;
  n.setOutput(0, n.create<ClassifyOp>(boolType, FloatClassAttr::get(n.builder.getContext(), kind),
                                      n.input(0)));
  return success();
}

LogicalResult onnx_import::convertMax(NodeImporter &n) { return convertVariadic<MaxOp>(n); }
LogicalResult onnx_import::convertMin(NodeImporter &n) { return convertVariadic<MinOp>(n); }
LogicalResult onnx_import::convertSum(NodeImporter &n) { return convertVariadic<AddOp>(n); }
LogicalResult onnx_import::convertMean(NodeImporter &n) {
  return convertVariadic<AddOp>(n, /*mean=*/true);
}

LogicalResult onnx_import::convertAbs(NodeImporter &n) {
  return convertActivation(n, ActivationKind::abs, {});
}
/// Neg: an activation of floats; of signed integers (opset 6), 0 - x, which
/// wraps for the type's minimum as ONNX Runtime's and NumPy's negation does.
LogicalResult onnx_import::convertNeg(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (!elem.isSignlessInteger() || elem.isInteger(1))
    return convertActivation(n, ActivationKind::neg, {});
  if (failed(n.rejectUnknownAttributes({"consumed_inputs"})))
    return failure();
  Value zero = n.scalarConstant(elem, 0);
  n.setOutput(0, n.create<SubOp>(n.inputType(0), zero, *x, ActivationAttr(), FakeQuantAttr()));
  return success();
}
LogicalResult onnx_import::convertReciprocal(NodeImporter &n) {
  return convertActivation(n, ActivationKind::reciprocal, {});
}
LogicalResult onnx_import::convertSqrt(NodeImporter &n) {
  return convertActivation(n, ActivationKind::sqrt, {});
}
LogicalResult onnx_import::convertExp(NodeImporter &n) {
  return convertActivation(n, ActivationKind::exp, {});
}
LogicalResult onnx_import::convertFloor(NodeImporter &n) {
  return convertActivation(n, ActivationKind::floor, {});
}
LogicalResult onnx_import::convertCeil(NodeImporter &n) {
  return convertActivation(n, ActivationKind::ceil, {});
}
LogicalResult onnx_import::convertRound(NodeImporter &n) {
  return convertActivation(n, ActivationKind::round, {});
}
LogicalResult onnx_import::convertElu(NodeImporter &n) {
  return convertActivation(n, ActivationKind::elu, {{"alpha", 1.0f}});
}
LogicalResult onnx_import::convertSelu(NodeImporter &n) {
  // ONNX's defaults, the constants of Klambauer et al. rounded to float.
  return convertActivation(n, ActivationKind::selu,
                           {{"alpha", 1.67326319217681884765625f}, {"gamma", 1.05070102214813232421875f}});
}
LogicalResult onnx_import::convertCelu(NodeImporter &n) {
  if (n.getFloat("alpha", 1.0f) == 0.0f)
    return n.error() << "alpha must not be 0";
  return convertActivation(n, ActivationKind::celu, {{"alpha", 1.0f}});
}
LogicalResult onnx_import::convertSoftsign(NodeImporter &n) {
  return convertActivation(n, ActivationKind::softsign, {});
}
LogicalResult onnx_import::convertThresholdedRelu(NodeImporter &n) {
  return convertActivation(n, ActivationKind::thresholded_relu, {{"alpha", 1.0f}});
}
LogicalResult onnx_import::convertShrink(NodeImporter &n) {
  return convertActivation(n, ActivationKind::shrink, {{"lambd", 0.5f}, {"bias", 0.0f}});
}

LogicalResult onnx_import::convertClip(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"min", "max", "consumed_inputs"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  Type elem = type.getElementType();
  if (!isSupportedArithmeticType(elem))
    return n.error() << "element type " << elem << " is not supported";
  auto [lowest, highest] = typeLimits(elem);
  Value bounds[2];
  if (n.opset < 11) {
    // Bounds were attributes, defaulting to the float range.
    bounds[0] = n.scalarConstant(elem, n.getFloat("min", -std::numeric_limits<float>::max()));
    bounds[1] = n.scalarConstant(elem, n.getFloat("max", std::numeric_limits<float>::max()));
  } else {
    for (unsigned i = 0; i < 2; ++i) {
      Value bound = n.input(i + 1);
      if (bound && (n.inputType(i + 1).getElementType() != elem ||
                    n.inputType(i + 1).getNumElements() != 1))
        return n.error() << (i ? "max" : "min") << " must be a scalar of the input's type, got "
                         << bound.getType();
      bounds[i] = bound ? n.reshape(bound, {}) : n.scalarConstant(elem, i ? highest : lowest);
    }
  }
  n.setOutput(0, n.create<ClipOp>(type, *x, bounds[0], bounds[1]));
  return success();
}

static LogicalResult convertCastTo(NodeImporter &n, Type to) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  n.setOutput(0, n.create<CastOp>(n.tensorType(n.inputType(0).getShape(), to), *x));
  return success();
}

LogicalResult onnx_import::convertCast(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"to", "saturate"})))
    return failure();
  int64_t code = n.getInt("to", 0);
  Type to = convertElementType(n.builder.getContext(), code);
  if (!to)
    return n.error() << "cast to " << onnxTypeName(code) << " is not supported";
  return convertCastTo(n, to);
}

LogicalResult onnx_import::convertCastLike(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"saturate"})))
    return failure();
  FailureOr<Value> like = n.requiredInput(1);
  if (failed(like))
    return failure();
  return convertCastTo(n, n.inputType(1).getElementType());
}

/// The zero point input, or a zero constant of `elem` shaped like the scale.
static Value zeroPointOrZero(NodeImporter &n, unsigned index, Type elem) {
  if (Value zp = n.input(index))
    return zp;
  Shape shape(n.inputType(1).getShape());
  auto type = n.tensorType(shape, elem);
  return n.constant(DenseElementsAttr::get(type, n.builder.getIntegerAttr(elem, 0)));
}

/// Checks the parameters shared by QuantizeLinear and DequantizeLinear and
/// returns the normalized axis.
static FailureOr<int64_t> checkQuantParams(NodeImporter &n, Value zeroPoint) {
  if (n.getInt("block_size", 0) != 0)
    return n.error() << "blocked quantization is not supported", failure();
  RankedTensorType x = n.inputType(0), scale = n.inputType(1);
  int64_t axis = n.getInt("axis", 1);
  if (scale.getRank() == 1 && scale.getNumElements() > 1) {
    FailureOr<int64_t> normalized = n.normalizeAxis(axis, x.getRank(), "axis");
    if (failed(normalized))
      return failure();
    axis = *normalized;
  } else if (scale.getNumElements() != 1) {
    return n.error() << "scale of shape " << formatShape(scale.getShape())
                     << " is neither a scalar nor 1-d", failure();
  } else {
    axis = 0; // Per tensor: the axis is not used.
  }
  if (!scale.getElementType().isF32())
    return n.error() << "scale has element type " << scale.getElementType()
                     << "; only float scales are supported", failure();
  auto zpType = cast<RankedTensorType>(zeroPoint.getType());
  if (zpType.getNumElements() != scale.getNumElements())
    return n.error() << "zero point of shape " << formatShape(zpType.getShape())
                     << " does not match the scale's " << formatShape(scale.getShape()),
           failure();
  return axis;
}

/// A 1-element parameter as a 0-d tensor, the form the operators expect.
static Value perTensorForm(NodeImporter &n, Value param) {
  auto type = cast<RankedTensorType>(param.getType());
  return type.getNumElements() == 1 ? n.reshape(param, {}) : param;
}

LogicalResult onnx_import::convertQuantizeLinear(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis", "saturate", "block_size", "output_dtype"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0), scale = n.requiredInput(1);
  if (failed(x) || failed(scale))
    return failure();
  if (!n.inputType(0).getElementType().isF32())
    return n.error() << "input has element type " << n.inputType(0).getElementType()
                     << "; only float is supported";
  Type target = n.input(2) ? n.inputType(2).getElementType()
                           : convertElementType(n.builder.getContext(),
                                                n.getInt("output_dtype", 2 /*UINT8*/));
  if (!target || !target.isInteger() || target.getIntOrFloatBitWidth() > 32 ||
      target.isInteger(1))
    return n.error() << "quantized type " << target << " is not supported";
  Value zp = zeroPointOrZero(n, 2, target);
  FailureOr<int64_t> axis = checkQuantParams(n, zp);
  if (failed(axis))
    return failure();
  n.setOutput(0, n.create<QuantizeOp>(n.tensorType(n.inputType(0).getShape(), target), *x,
                                      perTensorForm(n, *scale), perTensorForm(n, zp),
                                      n.builder.getI64IntegerAttr(*axis)));
  return success();
}

LogicalResult onnx_import::convertDequantizeLinear(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis", "block_size"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0), scale = n.requiredInput(1);
  if (failed(x) || failed(scale))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (!elem.isInteger() || elem.isInteger(1) || elem.getIntOrFloatBitWidth() > 32)
    return n.error() << "input has element type " << elem << "; only integers are supported";
  Value zp = zeroPointOrZero(n, 2, elem);
  FailureOr<int64_t> axis = checkQuantParams(n, zp);
  if (failed(axis))
    return failure();
  if (cast<RankedTensorType>(zp.getType()).getElementType() != elem)
    return n.error() << "zero point type differs from the input's " << elem;
  // Not folded, even of a constant: tinyc-integer-islands reads the integers
  // of quantized weights (the canonicalizer folds what stays float).
  n.setOutput(0, n.builder.create<DequantizeOp>(
                     n.loc,
                     n.tensorType(n.inputType(0).getShape(), n.inputType(1).getElementType()), *x,
                     perTensorForm(n, *scale), perTensorForm(n, zp),
                     n.builder.getI64IntegerAttr(*axis)));
  return success();
}

LogicalResult onnx_import::convertSign(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (!elem.isF32() && !elem.isF64())
    return n.error() << "element type " << elem << " is not supported";
  n.setOutput(0, n.create<SignOp>(n.inputType(0), *x));
  return success();
}

LogicalResult onnx_import::convertPRelu(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"consumed_inputs"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0), slope = n.requiredInput(1);
  if (failed(x) || failed(slope))
    return failure();
  RankedTensorType type = n.inputType(0);
  Type elem = type.getElementType();
  if (n.inputType(1).getElementType() != elem)
    return n.error() << "X and slope have different element types " << elem << " and "
                     << n.inputType(1).getElementType();
  if (!isSupportedArithmeticType(elem) || elem.isUnsignedInteger())
    return n.error() << "element type " << elem << " is not supported";
  // Before opset 7, a 1-d slope of X's channel count is per channel (what
  // PyTorch exported then); align it with dimension 1.
  if (n.opset < 7 && n.inputType(1).getRank() == 1 && type.getRank() >= 2 &&
      n.inputType(1).getDimSize(0) == type.getDimSize(1)) {
    Shape aligned(type.getRank() - 1, 1);
    aligned[0] = type.getDimSize(1);
    *slope = n.reshape(*slope, aligned);
  }
  // The slope broadcasts to X, never X to the slope (unidirectional).
  FailureOr<Shape> shape = broadcastShapes(
      type.getShape(), cast<RankedTensorType>(slope->getType()).getShape(), n.errorFn());
  if (failed(shape))
    return failure();
  if (llvm::ArrayRef<int64_t>(*shape) != type.getShape())
    return n.error() << "slope of shape " << formatShape(n.inputType(1).getShape())
                     << " does not broadcast to X of shape " << formatShape(type.getShape());
  // x < 0 ? x * slope : x, ONNX's definition; NaN is not < 0 and stays NaN.
  Value negative = n.create<CompareOp>(
      n.tensorType(type.getShape(), n.builder.getI1Type()),
      CompareKindAttr::get(n.builder.getContext(), CompareKind::lt), *x,
      n.scalarConstant(elem, 0.0));
  Value scaled = n.create<MulOp>(type, *x, *slope, ActivationAttr(), FakeQuantAttr());
  n.setOutput(0, n.create<SelectOp>(type, negative, scaled, *x));
  return success();
}

LogicalResult onnx_import::convertLog(NodeImporter &n) {
  return convertActivation(n, ActivationKind::log, {});
}

LogicalResult onnx_import::convertSoftplus(NodeImporter &n) {
  return convertActivation(n, ActivationKind::softplus, {});
}

LogicalResult onnx_import::convertSin(NodeImporter &n) {
  return convertActivation(n, ActivationKind::sin, {});
}

LogicalResult onnx_import::convertCos(NodeImporter &n) {
  return convertActivation(n, ActivationKind::cos, {});
}

LogicalResult onnx_import::convertTan(NodeImporter &n) {
  return convertActivation(n, ActivationKind::tan, {});
}

LogicalResult onnx_import::convertAsin(NodeImporter &n) {
  return convertActivation(n, ActivationKind::asin, {});
}

LogicalResult onnx_import::convertAcos(NodeImporter &n) {
  return convertActivation(n, ActivationKind::acos, {});
}

LogicalResult onnx_import::convertAtan(NodeImporter &n) {
  return convertActivation(n, ActivationKind::atan, {});
}

LogicalResult onnx_import::convertSinh(NodeImporter &n) {
  return convertActivation(n, ActivationKind::sinh, {});
}

LogicalResult onnx_import::convertCosh(NodeImporter &n) {
  return convertActivation(n, ActivationKind::cosh, {});
}

LogicalResult onnx_import::convertAsinh(NodeImporter &n) {
  return convertActivation(n, ActivationKind::asinh, {});
}

LogicalResult onnx_import::convertAcosh(NodeImporter &n) {
  return convertActivation(n, ActivationKind::acosh, {});
}

LogicalResult onnx_import::convertAtanh(NodeImporter &n) {
  return convertActivation(n, ActivationKind::atanh, {});
}

LogicalResult onnx_import::convertErf(NodeImporter &n) {
  return convertActivation(n, ActivationKind::erf, {});
}

/// Mod: the floored remainder (fmod = 0, integers only: ONNX requires fmod = 1
/// for floats) or the truncated one (fmod = 1).
LogicalResult onnx_import::convertMod(NodeImporter &n) {
  int64_t fmod = n.getInt("fmod", 0);
  if (fmod != 0 && fmod != 1)
    return n.error() << "attribute 'fmod' must be 0 or 1, got " << fmod;
  if (n.numInputs() > 0 && isa<FloatType>(n.inputType(0).getElementType()) && fmod == 0)
    return n.error() << "floating-point Mod needs fmod = 1";
  if (fmod == 1)
    return convertBinary<FmodOp>(n, {"fmod"});
  return convertBinary<ModOp>(n, {"fmod"});
}

namespace {

/// x op y for a float tensor x and a scalar y (or the reverse): the steps of
/// the activations ONNX defines as formulas over others.
template <typename OpTy>
Value withScalar(NodeImporter &n, Value x, double y, bool scalarFirst = false) {
  auto type = cast<RankedTensorType>(x.getType());
  Value c = n.scalarConstant(type.getElementType(), y);
  return n.create<OpTy>(type, scalarFirst ? c : x, scalarFirst ? x : c, ActivationAttr(),
                        FakeQuantAttr());
}

template <typename OpTy>
Value elementwise(NodeImporter &n, Value x, Value y) {
  return n.create<OpTy>(x.getType(), x, y, ActivationAttr(), FakeQuantAttr());
}

Value activate(NodeImporter &n, Value x, ActivationKind kind) {
  return n.create<ActivationOp>(x.getType(), x, ActivationAttr::get(n.builder.getContext(), kind));
}

/// The float32 input 0 of a composed activation.
FailureOr<Value> float32Input(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  if (!n.inputType(0).getElementType().isF32())
    return n.error() << "element type " << n.inputType(0).getElementType() << " is not supported";
  return x;
}

} // namespace

/// Gelu (opset 20), as ONNX's reference writes it:
/// 0.5 * x * (1 + erf(x / sqrt(2))), or with approximate = "tanh"
/// 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
LogicalResult onnx_import::convertGelu(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"approximate"})))
    return failure();
  FailureOr<Value> x = float32Input(n);
  if (failed(x))
    return failure();
  std::string approximate = n.getString("approximate", "none");
  Value inner;
  if (approximate == "none") {
    inner = activate(n, withScalar<DivOp>(n, *x, std::sqrt(2.0)), ActivationKind::erf);
  } else if (approximate == "tanh") {
    Value cube = elementwise<MulOp>(n, elementwise<MulOp>(n, *x, *x), *x);
    Value sum = elementwise<AddOp>(n, *x, withScalar<MulOp>(n, cube, 0.044715, true));
    inner = activate(n, withScalar<MulOp>(n, sum, std::sqrt(2.0 / 3.14159265358979323846), true), ActivationKind::tanh);
  } else {
    return n.error() << "approximate '" << approximate << "' is not 'none' or 'tanh'";
  }
  Value half = withScalar<MulOp>(n, *x, 0.5, true);
  n.setOutput(0, elementwise<MulOp>(n, half, withScalar<AddOp>(n, inner, 1.0, true)));
  return success();
}

/// Mish (opset 18): x * tanh(softplus(x)), softplus as ONNX's log(exp(x) + 1).
LogicalResult onnx_import::convertMish(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Value> x = float32Input(n);
  if (failed(x))
    return failure();
  Value gate = activate(n, activate(n, *x, ActivationKind::softplus), ActivationKind::tanh);
  n.setOutput(0, elementwise<MulOp>(n, *x, gate));
  return success();
}

/// BitShift: unsigned integers shifted LEFT or RIGHT (logically); a shift by
/// the element width or more gives 0.
LogicalResult onnx_import::convertBitShift(NodeImporter &n) {
  std::string direction = n.getString("direction", "");
  if (direction != "LEFT" && direction != "RIGHT")
    return n.error() << "attribute 'direction' must be LEFT or RIGHT, got '" << direction << "'";
  if (n.numInputs() > 0 && n.input(0) && !n.inputType(0).getElementType().isUnsignedInteger())
    return n.error() << "element type " << n.inputType(0).getElementType()
                     << " is not an unsigned integer";
  if (direction == "LEFT")
    return convertBinary<ShiftLeftOp>(n, {"direction"});
  return convertBinary<ShiftRightOp>(n, {"direction"});
}
