//===- OnnxQuantized.cpp - QOperator form as DequantizeLinear islands -----===//
//
// ONNX's quantized operators (QLinearConv, QLinearMatMul, ConvInteger,
// MatMulInteger) and the com.microsoft ones ONNX Runtime's quantizer writes
// (QLinearAdd, QLinearMul, QLinearAveragePool, QLinearGlobalAveragePool,
// QLinearConcat, QLinearSigmoid, QLinearLeakyRelu, QGemm) are imported as the
// islands a QDQ model gives: tinyc.dequantize on each quantized input, the
// float operator (converted by its own converter, so that every attribute
// means what it means there), and tinyc.quantize on the output, with the same
// per-tensor and per-axis scale and zero point semantics.
//
// ConvInteger and MatMulInteger produce exact int32 sums: they dequantize
// with scale 1 (the integers minus their zero points, as floats), compute in
// float and cast to int32. That is exact when no partial sum reaches 2^24 in
// magnitude, which the converter proves from the element types, the zero
// points and, when they are constant, the weights; it refuses the node
// otherwise.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

#include "llvm/Support/MathExtras.h"

#include <cstdlib>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::onnx_import;

namespace {

/// Float computes integers exactly below this magnitude.
constexpr int64_t exactFloatLimit = int64_t{1} << 24;

bool isEightBit(Type t) { return t.isSignlessInteger(8) || t.isUnsignedInteger(8); }

std::pair<int64_t, int64_t> eightBitRange(Type t) {
  return t.isUnsignedInteger() ? std::make_pair(int64_t{0}, int64_t{255})
                               : std::make_pair(int64_t{-128}, int64_t{127});
}

int64_t intValue(const llvm::APInt &v, Type elem) {
  return elem.isUnsignedInteger() ? static_cast<int64_t>(v.getZExtValue()) : v.getSExtValue();
}

/// Input i (`what`), present and of 8-bit integer type.
FailureOr<Value> eightBitInput(NodeImporter &n, unsigned i, llvm::StringRef what) {
  FailureOr<Value> v = n.requiredInput(i);
  if (failed(v))
    return failure();
  Type elem = n.inputType(i).getElementType();
  if (!isEightBit(elem))
    return n.error() << what << " (input " << i << ") has element type " << elem
                     << "; only int8 and uint8 are supported",
           failure();
  return v;
}

/// The scale and zero point of one quantized tensor, in the form the
/// operators take: 0-d for per-tensor, 1-d along `axis` otherwise.
struct QuantParams {
  Value scale, zeroPoint;
  int64_t axis = 0;
  /// The zero points when they are known at compile time (one per scale).
  std::optional<llvm::SmallVector<int64_t>> zeroPoints;
};

/// A float tensor of `shape` filled with `value`, or an integer one of `elem`.
Value splat(NodeImporter &n, llvm::ArrayRef<int64_t> shape, Type elem, double value) {
  auto type = n.tensorType(shape, elem);
  if (isa<FloatType>(elem))
    return n.constant(DenseElementsAttr::get(type, n.builder.getFloatAttr(elem, value)));
  return n.constant(
      DenseElementsAttr::get(type, n.builder.getIntegerAttr(elem, static_cast<int64_t>(value))));
}

/// No per-axis quantization: the parameters must be single values.
constexpr int64_t noAxis = -1;

/// Reads and checks the scale (input `scaleIndex`) and the optional zero
/// point (input `zpIndex`, absent: zeros of `elem`) of the tensor `what` of
/// element type `elem` and shape `shape`. The scale is one float (per
/// tensor) or, when `axis` is not noAxis, possibly a 1-d tensor with the extent of
/// that dimension (per axis); the zero point has `elem` and as many elements.
FailureOr<QuantParams> readQuantParams(NodeImporter &n, unsigned scaleIndex,
                                       std::optional<unsigned> zpIndex, Type elem,
                                       llvm::ArrayRef<int64_t> shape, int64_t axis,
                                       llvm::StringRef what) {
  FailureOr<Value> scale = n.requiredInput(scaleIndex);
  if (failed(scale))
    return failure();
  RankedTensorType scaleType = n.inputType(scaleIndex);
  if (!scaleType.getElementType().isF32())
    return n.error() << what << " scale (input " << scaleIndex << ") has element type "
                     << scaleType.getElementType() << "; only float scales are supported",
           failure();
  QuantParams q;
  Shape form;
  if (scaleType.getNumElements() != 1) {
    if (axis == noAxis)
      return n.error() << what << " scale (input " << scaleIndex << ") of shape "
                       << formatShape(scaleType.getShape()) << " is not a scalar",
             failure();
    if (scaleType.getRank() != 1 || scaleType.getShape()[0] != shape[axis])
      return n.error() << what << " scale (input " << scaleIndex << ") of shape "
                       << formatShape(scaleType.getShape())
                       << " is neither a scalar nor 1-d with the " << shape[axis]
                       << " elements of dimension " << axis,
             failure();
    form.push_back(shape[axis]);
    q.axis = axis;
  }
  q.scale = n.reshape(*scale, form);
  if (zpIndex && n.input(*zpIndex)) {
    RankedTensorType zpType = n.inputType(*zpIndex);
    if (zpType.getElementType() != elem)
      return n.error() << what << " zero point (input " << *zpIndex << ") has element type "
                       << zpType.getElementType() << ", not the " << elem << " of the tensor",
             failure();
    if (zpType.getNumElements() != scaleType.getNumElements())
      return n.error() << what << " zero point (input " << *zpIndex << ") of shape "
                       << formatShape(zpType.getShape()) << " does not match the scale's "
                       << formatShape(scaleType.getShape()),
             failure();
    q.zeroPoint = n.reshape(n.input(*zpIndex), form);
    if (DenseElementsAttr zp = n.constantInput(*zpIndex)) {
      q.zeroPoints.emplace();
      for (const llvm::APInt &v : zp.getValues<llvm::APInt>())
        q.zeroPoints->push_back(intValue(v, elem));
    }
  } else {
    q.zeroPoint = splat(n, form, elem, 0);
    q.zeroPoints.emplace(form.empty() ? 1 : form[0], 0);
  }
  return q;
}

Value dequantize(NodeImporter &n, Value x, const QuantParams &q) {
  auto type = cast<RankedTensorType>(x.getType());
  // Not folded, as DequantizeLinear's own import: tinyc-integer-islands reads
  // the integers of constant weights.
  return n.builder.create<DequantizeOp>(n.loc, n.tensorType(type.getShape(), n.builder.getF32Type()),
                                        x, q.scale, q.zeroPoint,
                                        n.builder.getI64IntegerAttr(q.axis));
}

Value quantize(NodeImporter &n, Value y, const QuantParams &q) {
  auto type = cast<RankedTensorType>(y.getType());
  Type elem = cast<RankedTensorType>(q.zeroPoint.getType()).getElementType();
  return n.create<QuantizeOp>(n.tensorType(type.getShape(), elem), y, q.scale, q.zeroPoint,
                              n.builder.getI64IntegerAttr(q.axis));
}

/// The node's attributes other than `except`, for the float operator.
llvm::SmallVector<const onnx::AttributeProto *>
attributesExcept(NodeImporter &n, llvm::ArrayRef<llvm::StringRef> except = {}) {
  llvm::SmallVector<const onnx::AttributeProto *> result;
  for (const onnx::AttributeProto &attr : n.node.attribute())
    if (!llvm::is_contained(except, attr.name()))
      result.push_back(&attr);
  return result;
}

/// The element type of the quantized output: that of the zero point input
/// `zpIndex` when present, else `fallback`.
Type outputElementType(NodeImporter &n, unsigned zpIndex, Type fallback) {
  return n.input(zpIndex) ? n.inputType(zpIndex).getElementType() : fallback;
}

/// Checks that the output zero point (input `zpIndex`), when present, is 8-bit.
LogicalResult checkOutputZeroPoint(NodeImporter &n, unsigned zpIndex) {
  if (n.input(zpIndex) && !isEightBit(n.inputType(zpIndex).getElementType()))
    return n.error() << "output zero point (input " << zpIndex << ") has element type "
                     << n.inputType(zpIndex).getElementType()
                     << "; only int8 and uint8 are supported";
  return success();
}

/// A per-tensor or per-axis quantized int32 bias (zero point 0) whose scale
/// is the product `scale` (0-d or 1-d along `axis` of the bias).
Value dequantizeBias(NodeImporter &n, Value bias, Value scale, int64_t axis) {
  auto scaleType = cast<RankedTensorType>(scale.getType());
  QuantParams q;
  q.scale = scale;
  q.zeroPoint = splat(n, scaleType.getShape(), n.builder.getI32Type(), 0);
  q.axis = scaleType.getRank() == 0 ? 0 : axis;
  return dequantize(n, bias, q);
}

/// The product of two scales (0-d or 1-d, broadcast).
Value multiplyScales(NodeImporter &n, Value a, Value b) {
  auto aType = cast<RankedTensorType>(a.getType()), bType = cast<RankedTensorType>(b.getType());
  auto type = aType.getRank() >= bType.getRank() ? aType : bType;
  return n.create<MulOp>(type, a, b, ActivationAttr(), FakeQuantAttr());
}

/// The largest |x - zero point| an 8-bit tensor of `elem` can hold.
int64_t maxDistance(Type elem, const QuantParams &q) {
  auto [lo, hi] = eightBitRange(elem);
  if (!q.zeroPoints)
    return hi - lo;
  int64_t worst = 0;
  for (int64_t z : *q.zeroPoints)
    worst = std::max({worst, std::abs(z - lo), std::abs(hi - z)});
  return worst;
}

/// a * b for non-negative a and b, or INT64_MAX when that overflows.
int64_t saturatingProduct(int64_t a, int64_t b) {
  uint64_t product = llvm::SaturatingMultiply<uint64_t>(a, b);
  return static_cast<int64_t>(std::min<uint64_t>(product, INT64_MAX));
}

/// Refuses the node when a partial sum of `bound` (a bound on every partial
/// sum of the integer reduction) could reach 2^24, where float stops being exact.
LogicalResult checkExactInFloat(NodeImporter &n, int64_t bound, llvm::StringRef how) {
  if (bound < exactFloatLimit)
    return success();
  return n.error() << "its int32 sums can reach " << bound << " (" << how
                   << "), beyond the 2^24 below which tinyc computes them exactly; "
                      "integer sums that large are not supported";
}

/// The integer operators' weight-side bound: the largest sum of
/// |w - zero point| over one output's reduction. `w` is viewed as
/// [outer, reduce, inner] (the zero point, per axis, along outer or inner);
/// without constant weights and zero points, reduce times the largest distance.
int64_t weightSumBound(NodeImporter &n, unsigned wIndex, const QuantParams &q, int64_t outer,
                       int64_t reduce, int64_t inner, bool zpAlongOuter) {
  Type elem = n.inputType(wIndex).getElementType();
  DenseElementsAttr w = n.constantInput(wIndex);
  if (!w || !q.zeroPoints)
    return saturatingProduct(maxDistance(elem, q), reduce);
  llvm::SmallVector<int64_t> values;
  for (const llvm::APInt &v : w.getValues<llvm::APInt>())
    values.push_back(intValue(v, elem));
  int64_t worst = 0;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t zp = (*q.zeroPoints)[q.zeroPoints->size() == 1 ? 0 : zpAlongOuter ? o : i];
      int64_t sum = 0;
      for (int64_t r = 0; r < reduce; ++r)
        sum += std::abs(values[(o * reduce + r) * inner + i] - zp);
      worst = std::max(worst, sum);
    }
  return worst;
}

/// ConvInteger's and MatMulInteger's operand parameters: the zero point
/// (input `zpIndex`, absent: 0) of `data`, of `elem`, one or (when `axis` is
/// not noAxis) 1-d along that dimension, and scale 1, so that the dequantized
/// operand is the integers minus their zero points, as floats.
FailureOr<QuantParams> unitScaleParams(NodeImporter &n, Value data, unsigned zpIndex, Type elem,
                                       int64_t axis, llvm::StringRef what) {
  QuantParams q;
  auto shape = cast<RankedTensorType>(data.getType()).getShape();
  Shape form;
  if (n.input(zpIndex)) {
    RankedTensorType zpType = n.inputType(zpIndex);
    if (zpType.getElementType() != elem)
      return n.error() << what << " zero point (input " << zpIndex << ") has element type "
                       << zpType.getElementType() << ", not the " << elem << " of the tensor",
             failure();
    if (zpType.getNumElements() != 1) {
      if (axis == noAxis || zpType.getRank() != 1 || zpType.getShape()[0] != shape[axis])
        return n.error() << what << " zero point (input " << zpIndex << ") of shape "
                         << formatShape(zpType.getShape()) << " is not "
                         << (axis != noAxis ? "a scalar or 1-d with the " +
                                                  std::to_string(shape[axis]) +
                                                  " elements of dimension " + std::to_string(axis)
                                            : std::string("a scalar")),
               failure();
      form.push_back(shape[axis]);
      q.axis = axis;
    }
    q.zeroPoint = n.reshape(n.input(zpIndex), form);
    if (DenseElementsAttr zp = n.constantInput(zpIndex)) {
      q.zeroPoints.emplace();
      for (const llvm::APInt &v : zp.getValues<llvm::APInt>())
        q.zeroPoints->push_back(intValue(v, elem));
    }
  } else {
    q.zeroPoint = splat(n, form, elem, 0);
    q.zeroPoints.emplace(1, 0);
  }
  q.scale = splat(n, form, n.builder.getF32Type(), 1.0);
  return q;
}

/// ConvInteger's and QLinearConv's attributes (Conv's).
const llvm::StringRef convAttributes[] = {"auto_pad", "dilations", "group",
                                          "kernel_shape", "pads", "strides"};

/// Rank and per-channel checks shared by QLinearConv and ConvInteger.
LogicalResult checkConvOperands(NodeImporter &n, unsigned xIndex, unsigned wIndex) {
  RankedTensorType x = n.inputType(xIndex), w = n.inputType(wIndex);
  if (x.getRank() < 3 || x.getRank() != w.getRank())
    return n.error() << "expected input and weight of equal rank >= 3, got "
                     << formatShape(x.getShape()) << " and " << formatShape(w.getShape());
  return success();
}

/// QLinearAdd and QLinearMul: C = quantize(dequantize(A) op dequantize(B)).
LogicalResult convertQLinearBinary(NodeImporter &n, ConvertFn convert, llvm::StringRef opType) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Value> a = eightBitInput(n, 0, "A"), b = eightBitInput(n, 3, "B");
  if (failed(a) || failed(b))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (n.inputType(3).getElementType() != elem)
    return n.error() << "A and B have different element types " << elem << " and "
                     << n.inputType(3).getElementType();
  FailureOr<QuantParams> aq = readQuantParams(n, 1, 2, elem, {}, noAxis, "A"),
                         bq = readQuantParams(n, 4, 5, elem, {}, noAxis, "B"),
                         cq = readQuantParams(n, 6, 7, elem, {}, noAxis, "C");
  if (failed(aq) || failed(bq) || failed(cq))
    return failure();
  FailureOr<Value> c =
      n.convertAs(convert, opType, {dequantize(n, *a, *aq), dequantize(n, *b, *bq)}, {});
  if (failed(c))
    return failure();
  n.setOutput(0, quantize(n, *c, *cq));
  return success();
}

/// The unary operators of the form X, X_scale, X_zero_point, Y_scale,
/// Y_zero_point: Y = quantize(op(dequantize(X))), `op` taking the node's
/// attributes other than `dropped` (which must be 0 when set).
LogicalResult convertQLinearUnary(NodeImporter &n, ConvertFn convert, llvm::StringRef opType,
                                  llvm::ArrayRef<llvm::StringRef> known,
                                  llvm::ArrayRef<llvm::StringRef> dropped = {}) {
  llvm::SmallVector<llvm::StringRef> all(known.begin(), known.end());
  all.append(dropped.begin(), dropped.end());
  if (failed(n.rejectUnknownAttributes(all)))
    return failure();
  for (llvm::StringRef name : dropped)
    if (n.getInt(name, 0) != 0)
      return n.error() << "attribute '" << name << "' = " << n.getInt(name, 0)
                       << " is not supported";
  FailureOr<Value> x = eightBitInput(n, 0, "X");
  if (failed(x))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (failed(checkOutputZeroPoint(n, 4)))
    return failure();
  FailureOr<QuantParams> xq = readQuantParams(n, 1, 2, elem, {}, noAxis, "X"),
                         yq = readQuantParams(n, 3, 4, outputElementType(n, 4, elem), {},
                                              noAxis, "Y");
  if (failed(xq) || failed(yq))
    return failure();
  FailureOr<Value> y =
      n.convertAs(convert, opType, {dequantize(n, *x, *xq)}, attributesExcept(n, dropped));
  if (failed(y))
    return failure();
  n.setOutput(0, quantize(n, *y, *yq));
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// ai.onnx
//===----------------------------------------------------------------------===//

// x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B:
// y = quantize(Conv(dequantize(x), dequantize(w), dequantize(B, x_scale * w_scale))).
LogicalResult onnx_import::convertQLinearConv(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes(convAttributes)))
    return failure();
  FailureOr<Value> x = eightBitInput(n, 0, "x"), w = eightBitInput(n, 3, "w");
  if (failed(x) || failed(w) || failed(checkConvOperands(n, 0, 3)) ||
      failed(checkOutputZeroPoint(n, 7)))
    return failure();
  Type xElem = n.inputType(0).getElementType(), wElem = n.inputType(3).getElementType();
  llvm::ArrayRef<int64_t> wShape = n.inputType(3).getShape();
  FailureOr<QuantParams> xq = readQuantParams(n, 1, 2, xElem, {}, noAxis, "x"),
                         wq = readQuantParams(n, 4, 5, wElem, wShape, 0, "w"),
                         yq = readQuantParams(n, 6, 7, outputElementType(n, 7, xElem), {},
                                              noAxis, "y");
  if (failed(xq) || failed(wq) || failed(yq))
    return failure();
  Value bias;
  if (Value b = n.input(8)) {
    RankedTensorType bType = n.inputType(8);
    if (!bType.getElementType().isSignlessInteger(32) ||
        bType.getShape() != llvm::ArrayRef<int64_t>{wShape[0]})
      return n.error() << "bias B must be int32 of shape " << wShape[0] << ", got "
                       << bType.getElementType() << " " << formatShape(bType.getShape());
    bias = dequantizeBias(n, b, multiplyScales(n, xq->scale, wq->scale), 0);
  }
  FailureOr<Value> y = n.convertAs(convertConv, "Conv",
                                   {dequantize(n, *x, *xq), dequantize(n, *w, *wq), bias},
                                   attributesExcept(n));
  if (failed(y))
    return failure();
  n.setOutput(0, quantize(n, *y, *yq));
  return success();
}

// a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point:
// y = quantize(MatMul(dequantize(a), dequantize(b))); a and y may be quantized
// per row, b per column.
LogicalResult onnx_import::convertQLinearMatMul(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Value> a = eightBitInput(n, 0, "a"), b = eightBitInput(n, 3, "b");
  if (failed(a) || failed(b) || failed(checkOutputZeroPoint(n, 7)))
    return failure();
  RankedTensorType aType = n.inputType(0), bType = n.inputType(3);
  auto rowAxis = [](RankedTensorType t) { return t.getRank() >= 2 ? t.getRank() - 2 : noAxis; };
  int64_t columnAxis = bType.getRank() >= 2 ? bType.getRank() - 1 : noAxis;
  FailureOr<QuantParams> aq = readQuantParams(n, 1, 2, aType.getElementType(), aType.getShape(),
                                              rowAxis(aType), "a"),
                         bq = readQuantParams(n, 4, 5, bType.getElementType(), bType.getShape(),
                                              columnAxis, "b");
  if (failed(aq) || failed(bq))
    return failure();
  FailureOr<Value> y = n.convertAs(convertMatMul, "MatMul",
                                   {dequantize(n, *a, *aq), dequantize(n, *b, *bq)}, {});
  if (failed(y))
    return failure();
  auto yType = cast<RankedTensorType>(y->getType());
  FailureOr<QuantParams> yq =
      readQuantParams(n, 6, 7, outputElementType(n, 7, aType.getElementType()),
                      yType.getShape(), rowAxis(yType), "y");
  if (failed(yq))
    return failure();
  n.setOutput(0, quantize(n, *y, *yq));
  return success();
}

// x, w, x_zero_point, w_zero_point -> int32: Conv of (x - x_zero_point) and
// (w - w_zero_point), exactly.
LogicalResult onnx_import::convertConvInteger(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes(convAttributes)))
    return failure();
  FailureOr<Value> x = eightBitInput(n, 0, "x"), w = eightBitInput(n, 1, "w");
  if (failed(x) || failed(w) || failed(checkConvOperands(n, 0, 1)))
    return failure();
  Type xElem = n.inputType(0).getElementType(), wElem = n.inputType(1).getElementType();
  llvm::ArrayRef<int64_t> wShape = n.inputType(1).getShape();
  FailureOr<QuantParams> xq = unitScaleParams(n, *x, 2, xElem, noAxis, "x"),
                         wq = unitScaleParams(n, *w, 3, wElem, 0, "w");
  if (failed(xq) || failed(wq))
    return failure();
  // Each output sums (C/group) * kernel products of one output channel's weights.
  int64_t outputs = wShape[0], reduce = getNumElements(wShape) / std::max<int64_t>(outputs, 1);
  int64_t bound = saturatingProduct(
      maxDistance(xElem, *xq), weightSumBound(n, 1, *wq, outputs, reduce, 1, /*zpAlongOuter=*/true));
  if (failed(checkExactInFloat(n, bound, "largest |x - x_zero_point| times the largest sum of "
                                         "|w - w_zero_point| of an output channel")))
    return failure();
  FailureOr<Value> y = n.convertAs(convertConv, "Conv",
                                   {dequantize(n, *x, *xq), dequantize(n, *w, *wq)},
                                   attributesExcept(n));
  if (failed(y))
    return failure();
  auto yType = cast<RankedTensorType>(y->getType());
  n.setOutput(0, n.create<CastOp>(n.tensorType(yType.getShape(), n.builder.getI32Type()), *y));
  return success();
}

// A, B, a_zero_point, b_zero_point -> int32: MatMul of (A - a_zero_point)
// and (B - b_zero_point), exactly; a_zero_point may be per row, b_zero_point
// per column.
LogicalResult onnx_import::convertMatMulInteger(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Value> a = eightBitInput(n, 0, "A"), b = eightBitInput(n, 1, "B");
  if (failed(a) || failed(b))
    return failure();
  RankedTensorType aType = n.inputType(0), bType = n.inputType(1);
  if (aType.getRank() == 0 || bType.getRank() == 0)
    return n.error() << "operands of shapes " << formatShape(aType.getShape()) << " and "
                     << formatShape(bType.getShape()) << " are not matrices or vectors";
  int64_t rowAxis = aType.getRank() >= 2 ? aType.getRank() - 2 : noAxis;
  int64_t columnAxis = bType.getRank() >= 2 ? bType.getRank() - 1 : noAxis;
  FailureOr<QuantParams> aq = unitScaleParams(n, *a, 2, aType.getElementType(), rowAxis, "A"),
                         bq = unitScaleParams(n, *b, 3, bType.getElementType(), columnAxis, "B");
  if (failed(aq) || failed(bq))
    return failure();
  // Each output sums K products of one column of B (B viewed as [batch, K, N]).
  llvm::ArrayRef<int64_t> bShape = bType.getShape();
  int64_t k = bType.getRank() >= 2 ? bShape[bType.getRank() - 2] : bShape[0];
  int64_t columns = bType.getRank() >= 2 ? bShape.back() : 1;
  int64_t batch = getNumElements(bShape) / std::max<int64_t>(k * columns, 1);
  int64_t bound =
      saturatingProduct(maxDistance(aType.getElementType(), *aq),
                        weightSumBound(n, 1, *bq, batch, k, columns, /*zpAlongOuter=*/false));
  if (failed(checkExactInFloat(n, bound, "largest |A - a_zero_point| times the largest sum of "
                                         "|B - b_zero_point| of a column")))
    return failure();
  FailureOr<Value> y = n.convertAs(convertMatMul, "MatMul",
                                   {dequantize(n, *a, *aq), dequantize(n, *b, *bq)}, {});
  if (failed(y))
    return failure();
  auto yType = cast<RankedTensorType>(y->getType());
  n.setOutput(0, n.create<CastOp>(n.tensorType(yType.getShape(), n.builder.getI32Type()), *y));
  return success();
}

//===----------------------------------------------------------------------===//
// com.microsoft
//===----------------------------------------------------------------------===//

LogicalResult onnx_import::convertQLinearAdd(NodeImporter &n) {
  return convertQLinearBinary(n, convertAdd, "Add");
}

LogicalResult onnx_import::convertQLinearMul(NodeImporter &n) {
  return convertQLinearBinary(n, convertMul, "Mul");
}

LogicalResult onnx_import::convertQLinearAveragePool(NodeImporter &n) {
  return convertQLinearUnary(n, convertAveragePool, "AveragePool",
                             {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
                              "strides"},
                             {"channels_last"});
}

LogicalResult onnx_import::convertQLinearGlobalAveragePool(NodeImporter &n) {
  return convertQLinearUnary(n, convertGlobalAveragePool, "GlobalAveragePool", {},
                             {"channels_last"});
}

LogicalResult onnx_import::convertQLinearSigmoid(NodeImporter &n) {
  return convertQLinearUnary(n, convertSigmoid, "Sigmoid", {});
}

LogicalResult onnx_import::convertQLinearLeakyRelu(NodeImporter &n) {
  return convertQLinearUnary(n, convertLeakyRelu, "LeakyRelu", {"alpha"});
}

// Y_scale, Y_zero_point, then (tensor, scale, zero point) per input.
LogicalResult onnx_import::convertQLinearConcat(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis"})))
    return failure();
  if (n.numInputs() < 5 || (n.numInputs() - 2) % 3 != 0)
    return n.error() << "takes Y_scale, Y_zero_point and (tensor, scale, zero point) triples, got "
                     << n.numInputs() << " inputs";
  FailureOr<Value> yzp = n.requiredInput(1);
  if (failed(yzp) || failed(checkOutputZeroPoint(n, 1)))
    return failure();
  Type elem = n.inputType(1).getElementType();
  FailureOr<QuantParams> yq = readQuantParams(n, 0, 1, elem, {}, noAxis, "Y");
  if (failed(yq))
    return failure();
  llvm::SmallVector<Value> floats;
  for (unsigned i = 2; i < n.numInputs(); i += 3) {
    std::string what = "tensor " + std::to_string((i - 2) / 3);
    FailureOr<Value> x = eightBitInput(n, i, what);
    if (failed(x))
      return failure();
    if (n.inputType(i).getElementType() != elem)
      return n.error() << what << " has element type " << n.inputType(i).getElementType()
                       << ", not Y's " << elem;
    FailureOr<QuantParams> xq = readQuantParams(n, i + 1, i + 2, elem, {}, noAxis, what);
    if (failed(xq))
      return failure();
    floats.push_back(dequantize(n, *x, *xq));
  }
  FailureOr<Value> y = n.convertAs(convertConcat, "Concat", floats, attributesExcept(n));
  if (failed(y))
    return failure();
  n.setOutput(0, quantize(n, *y, *yq));
  return success();
}

// A, a_scale, a_zero_point, B, b_scale, b_zero_point, C, y_scale, y_zero_point:
// Y = quantize(Gemm(dequantize(A), dequantize(B), dequantize(C, alpha * a_scale * b_scale)))
// with b quantized per tensor or per column; without y_scale, Y is the float Gemm.
LogicalResult onnx_import::convertQGemm(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"alpha", "transA", "transB"})))
    return failure();
  FailureOr<Value> a = eightBitInput(n, 0, "A"), b = eightBitInput(n, 3, "B");
  if (failed(a) || failed(b))
    return failure();
  RankedTensorType aType = n.inputType(0), bType = n.inputType(3);
  if (aType.getRank() != 2 || bType.getRank() != 2)
    return n.error() << "A and B must be matrices, got " << formatShape(aType.getShape())
                     << " and " << formatShape(bType.getShape());
  bool transB = n.getInt("transB", 0) != 0;
  float alpha = n.getFloat("alpha", 1.0f);
  bool quantized = n.input(7) != nullptr;
  if (quantized != (n.input(8) != nullptr))
    return n.error() << "y_scale and y_zero_point must be given together (a quantized output) "
                        "or both left out (a float output)";
  if (quantized && failed(checkOutputZeroPoint(n, 8)))
    return failure();
  int64_t columnAxis = transB ? 0 : 1;
  FailureOr<QuantParams> aq =
      readQuantParams(n, 1, 2, aType.getElementType(), {}, noAxis, "A");
  FailureOr<QuantParams> bq = readQuantParams(n, 4, 5, bType.getElementType(), bType.getShape(),
                                              columnAxis, "B");
  if (failed(aq) || failed(bq))
    return failure();
  int64_t columns = bType.getShape()[columnAxis];
  Value bias;
  if (Value c = n.input(6)) {
    RankedTensorType cType = n.inputType(6);
    if (!cType.getElementType().isSignlessInteger(32))
      return n.error() << "C has element type " << cType.getElementType() << ", not int32";
    bool perColumn = cast<RankedTensorType>(bq->scale.getType()).getRank() == 1;
    if (cType.getRank() > 2 ||
        (perColumn && (cType.getRank() == 0 || cType.getShape().back() != columns)))
      return n.error() << "C of shape " << formatShape(cType.getShape())
                       << (perColumn ? " does not have the " + std::to_string(columns) +
                                           " columns its per-column scale needs"
                                     : std::string(" is not broadcastable to the output"));
    Value scale = multiplyScales(n, aq->scale, bq->scale);
    if (alpha != 1.0f)
      scale = multiplyScales(n, n.scalarConstant(n.builder.getF32Type(), alpha), scale);
    bias = dequantizeBias(n, c, scale, cType.getRank() - 1);
  }
  FailureOr<Value> y = n.convertAs(convertGemm, "Gemm",
                                   {dequantize(n, *a, *aq), dequantize(n, *b, *bq), bias},
                                   attributesExcept(n));
  if (failed(y))
    return failure();
  if (!quantized) {
    n.setOutput(0, *y);
    return success();
  }
  FailureOr<QuantParams> yq = readQuantParams(n, 7, 8, n.inputType(8).getElementType(), {},
                                              noAxis, "y");
  if (failed(yq))
    return failure();
  n.setOutput(0, quantize(n, *y, *yq));
  return success();
}
