//===- TinycOps.cpp - verifiers and cost queries of tinyc operators -------===//

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Dialect/TinycShapes.h"
#include "tinyc_abi.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tinyc;

#include "tinyc/Dialect/TinycInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "tinyc/Dialect/TinycOps.cpp.inc"

static llvm::ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

static Type elementTypeOf(Value v) { return cast<RankedTensorType>(v.getType()).getElementType(); }

/// Checks the result against the shape the operator's rule computes.
static LogicalResult verifyResultShape(Operation *op, FailureOr<Shape> expected) {
  if (failed(expected))
    return failure();
  llvm::ArrayRef<int64_t> actual = shapeOf(op->getResult(0));
  if (actual != llvm::ArrayRef<int64_t>(*expected))
    return op->emitOpError() << "result shape " << formatShape(actual)
                             << " differs from the inferred " << formatShape(*expected);
  return success();
}

static LogicalResult verifySameElementType(Operation *op, ValueRange values) {
  Type expected = elementTypeOf(op->getResult(0));
  for (Value v : values)
    if (elementTypeOf(v) != expected)
      return op->emitOpError() << "element type " << elementTypeOf(v)
                               << " differs from the result's " << expected;
  return success();
}

static LogicalResult verifyAllStatic(Operation *op) {
  auto isStatic = [](Type t) { return cast<RankedTensorType>(t).hasStaticShape(); };
  for (Type t : op->getOperandTypes())
    if (!isStatic(t))
      return op->emitOpError() << "needs static shapes, got " << t;
  for (Type t : op->getResultTypes())
    if (!isStatic(t))
      return op->emitOpError() << "needs static shapes, got " << t;
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

// The value's own type is the result type: `tinyc.constant dense<1.0> : tensor<2xf32>`.
ParseResult ConstantOp::parse(OpAsmParser &parser, OperationState &result) {
  ElementsAttr value;
  if (parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseAttribute(value, "value", result.attributes))
    return failure();
  result.addTypes(value.getType());
  return success();
}

void ConstantOp::print(OpAsmPrinter &printer) {
  printer.printOptionalAttrDict((*this)->getAttrs(), {"value"});
  printer << ' ' << getValue();
}

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError() << "value of type " << getValue().getType() << " differs from result type "
                         << getType();
  return verifyAllStatic(*this);
}

LogicalResult ReshapeOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, getInput())))
    return failure();
  auto in = getInput().getType(), out = getType();
  if (in.getNumElements() != out.getNumElements())
    return emitOpError() << "cannot reshape " << formatShape(in.getShape()) << " ("
                         << in.getNumElements() << " elements) into "
                         << formatShape(out.getShape()) << " (" << out.getNumElements()
                         << " elements)";
  return success();
}

LogicalResult TransposeOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, getInput())))
    return failure();
  return verifyResultShape(*this, inferTransposeShape(shapeOf(getInput()), getPerm(),
                                                      [&] { return emitOpError(); }));
}

LogicalResult ConcatOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, getInputs())))
    return failure();
  llvm::SmallVector<llvm::ArrayRef<int64_t>> shapes;
  for (Value v : getInputs())
    shapes.push_back(shapeOf(v));
  return verifyResultShape(*this,
                           inferConcatShape(shapes, getAxis(), [&] { return emitOpError(); }));
}

LogicalResult PadOp::verify() {
  if (failed(verifyAllStatic(*this)) ||
      failed(verifySameElementType(*this, {getInput(), getValue()})))
    return failure();
  if (getValue().getType().getRank() != 0)
    return emitOpError() << "pad value must be a 0-d tensor, got " << getValue().getType();
  if (getMode() == PadMode::reflect) {
    llvm::ArrayRef<int64_t> in = shapeOf(getInput());
    for (size_t i = 0; i < in.size(); ++i)
      if (getPads()[i] >= in[i] || getPads()[i + in.size()] >= in[i])
        return emitOpError() << "reflect padding of " << getPads()[i] << " and "
                             << getPads()[i + in.size()] << " needs more than the " << in[i]
                             << " elements of dimension " << i;
  }
  return verifyResultShape(*this, inferPadShape(shapeOf(getInput()), getPads(),
                                                [&] { return emitOpError(); }));
}

LogicalResult GatherOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, getData())))
    return failure();
  return verifyResultShape(*this, inferGatherShape(shapeOf(getData()), shapeOf(getIndices()),
                                                   getAxis(), [&] { return emitOpError(); }));
}

LogicalResult CastOp::verify() {
  if (failed(verifyAllStatic(*this)))
    return failure();
  if (shapeOf(getInput()) != shapeOf(getResult()))
    return emitOpError() << "result shape " << formatShape(shapeOf(getResult()))
                         << " differs from the input's " << formatShape(shapeOf(getInput()));
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

static LogicalResult verifyBinary(Operation *op, Value lhs, Value rhs,
                                  std::optional<ActivationAttr> act) {
  if (failed(verifyAllStatic(op)) || failed(verifySameElementType(op, {lhs, rhs})))
    return failure();
  if (act && !isa<FloatType>(elementTypeOf(lhs)))
    return op->emitOpError() << "fused activation needs a float tensor, got "
                             << elementTypeOf(lhs);
  return verifyResultShape(op, broadcastShapes(shapeOf(lhs), shapeOf(rhs),
                                               [&] { return op->emitOpError(); }));
}

/// A boolean result of the operands' broadcast shape.
static LogicalResult verifyPredicate(Operation *op, ValueRange operands) {
  if (failed(verifyAllStatic(op)))
    return failure();
  if (!elementTypeOf(op->getResult(0)).isInteger(1))
    return op->emitOpError() << "result must be boolean (i1), got "
                             << elementTypeOf(op->getResult(0));
  Shape shape(shapeOf(operands.front()));
  for (Value v : operands.drop_front()) {
    FailureOr<Shape> next = broadcastShapes(shape, shapeOf(v), [&] { return op->emitOpError(); });
    if (failed(next))
      return failure();
    shape = *next;
  }
  return verifyResultShape(op, shape);
}

LogicalResult CompareOp::verify() {
  if (elementTypeOf(getLhs()) != elementTypeOf(getRhs()))
    return emitOpError() << "operands have different element types " << elementTypeOf(getLhs())
                         << " and " << elementTypeOf(getRhs());
  return verifyPredicate(*this, {getLhs(), getRhs()});
}

LogicalResult LogicOp::verify() {
  if (!elementTypeOf(getLhs()).isInteger(1) || !elementTypeOf(getRhs()).isInteger(1))
    return emitOpError() << "operands must be boolean (i1)";
  return verifyPredicate(*this, {getLhs(), getRhs()});
}

LogicalResult NotOp::verify() {
  if (!elementTypeOf(getInput()).isInteger(1))
    return emitOpError() << "operand must be boolean (i1)";
  return verifyPredicate(*this, {getInput()});
}

LogicalResult ClassifyOp::verify() { return verifyPredicate(*this, {getInput()}); }

LogicalResult SelectOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, {getX(), getY()})))
    return failure();
  if (!elementTypeOf(getCondition()).isInteger(1))
    return emitOpError() << "condition must be boolean (i1), got "
                         << elementTypeOf(getCondition());
  auto error = [&] { return emitOpError(); };
  FailureOr<Shape> xy = broadcastShapes(shapeOf(getX()), shapeOf(getY()), error);
  if (failed(xy))
    return failure();
  return verifyResultShape(*this, broadcastShapes(shapeOf(getCondition()), *xy, error));
}

LogicalResult AddOp::verify() { return verifyBinary(*this, getLhs(), getRhs(), getAct()); }
LogicalResult SubOp::verify() { return verifyBinary(*this, getLhs(), getRhs(), getAct()); }
LogicalResult MulOp::verify() { return verifyBinary(*this, getLhs(), getRhs(), getAct()); }
LogicalResult DivOp::verify() { return verifyBinary(*this, getLhs(), getRhs(), getAct()); }
LogicalResult MaxOp::verify() { return verifyBinary(*this, getLhs(), getRhs(), getAct()); }
LogicalResult MinOp::verify() { return verifyBinary(*this, getLhs(), getRhs(), getAct()); }
LogicalResult ModOp::verify() {
  if (!elementTypeOf(getLhs()).isSignlessInteger() && !elementTypeOf(getLhs()).isUnsignedInteger())
    return emitOpError() << "floored remainder needs integers, got " << elementTypeOf(getLhs());
  return verifyBinary(*this, getLhs(), getRhs(), getAct());
}
LogicalResult FmodOp::verify() { return verifyBinary(*this, getLhs(), getRhs(), getAct()); }
LogicalResult PowOp::verify() {
  Type elem = elementTypeOf(getLhs());
  if (!elem.isF32() && !(elem.isSignlessInteger() && !elem.isInteger(1)))
    return emitOpError() << "power needs float32 or signed integers, got " << elem;
  return verifyBinary(*this, getLhs(), getRhs(), getAct());
}
static LogicalResult verifyShift(Operation *op, Value lhs, Value rhs,
                                 std::optional<ActivationAttr> act) {
  if (!elementTypeOf(lhs).isUnsignedInteger())
    return op->emitOpError() << "shifts take unsigned integers, got " << elementTypeOf(lhs);
  return verifyBinary(op, lhs, rhs, act);
}
LogicalResult ShiftLeftOp::verify() { return verifyShift(*this, getLhs(), getRhs(), getAct()); }
LogicalResult ShiftRightOp::verify() { return verifyShift(*this, getLhs(), getRhs(), getAct()); }

LogicalResult ActivationOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, getInput())))
    return failure();
  if (getType().getShape() != getInput().getType().getShape())
    return emitOpError() << "result shape " << formatShape(getType().getShape())
                         << " differs from the input's "
                         << formatShape(getInput().getType().getShape());
  return success();
}

LogicalResult FakeQuantOp::verify() {
  if (getType() != getInput().getType())
    return emitOpError() << "result type " << getType() << " differs from the input's "
                         << getInput().getType();
  return verifyAllStatic(*this);
}

/// An elementwise op over [N, C, ...] with one parameter value per channel
/// C: each parameter has shape [C] and the result the input's shape.
static LogicalResult verifyPerChannel(Operation *op, Value input, llvm::ArrayRef<Value> params) {
  llvm::ArrayRef<int64_t> in = shapeOf(input);
  if (in.size() < 2)
    return op->emitOpError() << "input must have a channel dimension, got " << formatShape(in);
  for (Value param : params)
    if (shapeOf(param) != llvm::ArrayRef<int64_t>{in[1]})
      return op->emitOpError() << "parameter of shape " << formatShape(shapeOf(param))
                               << " does not match the " << in[1] << " channels of the input";
  if (shapeOf(op->getResult(0)) != in)
    return op->emitOpError() << "result shape differs from the input's";
  return success();
}

LogicalResult ScaleShiftOp::verify() {
  if (failed(verifyAllStatic(*this)) ||
      failed(verifySameElementType(*this, {getInput(), getScale(), getShift()})))
    return failure();
  return verifyPerChannel(*this, getInput(), {getScale(), getShift()});
}

LogicalResult ClipOp::verify() {
  if (failed(verifyAllStatic(*this)) ||
      failed(verifySameElementType(*this, {getInput(), getMin(), getMax()})))
    return failure();
  if (getMin().getType().getRank() != 0 || getMax().getType().getRank() != 0)
    return emitOpError() << "bounds must be 0-d tensors, got " << getMin().getType() << " and "
                         << getMax().getType();
  if (getType().getShape() != getInput().getType().getShape())
    return emitOpError() << "result shape differs from the input's";
  return success();
}

LogicalResult SoftmaxOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, getInput())))
    return failure();
  int64_t rank = getInput().getType().getRank(), axis = getAxis();
  if (axis < 0 || axis >= rank)
    return emitOpError() << "axis " << axis << " is out of range for rank " << rank;
  if (getType().getShape() != getInput().getType().getShape())
    return emitOpError() << "result shape differs from the input's";
  return success();
}

LogicalResult BatchNormOp::verify() {
  if (failed(verifyAllStatic(*this)) ||
      failed(verifySameElementType(*this,
                                   {getInput(), getScale(), getBias(), getMean(), getVar()})))
    return failure();
  return verifyPerChannel(*this, getInput(), {getScale(), getBias(), getMean(), getVar()});
}

static LogicalResult verifyQuantOp(Operation *op, Value input, Value scale, Value zeroPoint,
                                   int64_t axis, Value integer) {
  if (failed(verifyAllStatic(op)))
    return failure();
  auto emit = [&] { return op->emitOpError(); };
  if (failed(verifyQuantParam(shapeOf(input), shapeOf(scale), axis, "scale", emit)) ||
      failed(verifyQuantParam(shapeOf(input), shapeOf(zeroPoint), axis, "zero point", emit)))
    return failure();
  if (elementTypeOf(zeroPoint) != elementTypeOf(integer))
    return op->emitOpError() << "zero point type " << elementTypeOf(zeroPoint)
                             << " differs from the quantized type " << elementTypeOf(integer);
  if (shapeOf(op->getResult(0)) != shapeOf(input))
    return op->emitOpError() << "result shape differs from the input's";
  return success();
}

LogicalResult QuantizeOp::verify() {
  return verifyQuantOp(*this, getInput(), getScale(), getZeroPoint(), getAxis(), getResult());
}

LogicalResult DequantizeOp::verify() {
  if (elementTypeOf(getScale()) != elementTypeOf(getResult()))
    return emitOpError() << "scale type " << elementTypeOf(getScale())
                         << " differs from the result type " << elementTypeOf(getResult());
  return verifyQuantOp(*this, getInput(), getScale(), getZeroPoint(), getAxis(), getInput());
}

// The element operands of the operators with parameters: the rest (bounds,
// per-channel scale and shift, quantization parameters) are read whole or
// per channel.
llvm::SmallVector<Value> ClipOp::getElementOperands() { return {getInput()}; }
llvm::SmallVector<Value> ScaleShiftOp::getElementOperands() { return {getInput()}; }
llvm::SmallVector<Value> QuantizeOp::getElementOperands() { return {getInput()}; }
llvm::SmallVector<Value> DequantizeOp::getElementOperands() { return {getInput()}; }

/// What the fused loop relies on: every operation computes one element of
/// the result's shape from element operands that are the body's arguments
/// or earlier results, and its parameters are arguments (read from buffers).
LogicalResult FusedElementwiseOp::verify() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError() << "body has " << body.getNumArguments() << " arguments for "
                         << getInputs().size() << " inputs";
  for (auto [arg, input] : llvm::zip(body.getArguments(), getInputs()))
    if (arg.getType() != input.getType())
      return emitOpError() << "body argument of type " << arg.getType() << " for input of type "
                           << input.getType();
  auto yield = dyn_cast<YieldOp>(body.getTerminator());
  if (!yield || yield.getValue().getType() != getType())
    return emitOpError() << "body must end in a tinyc.yield of the result type " << getType();
  llvm::ArrayRef<int64_t> shape = getType().getShape();
  for (Operation &op : body.without_terminator()) {
    auto elementwise = dyn_cast<ElementwiseOpInterface>(op);
    if (!elementwise || op.getNumResults() != 1)
      return op.emitOpError() << "is not an elementwise operation and cannot be fused";
    if (shapeOf(op.getResult(0)) != shape)
      return op.emitOpError() << "result shape " << formatShape(shapeOf(op.getResult(0)))
                              << " differs from the fused result's " << formatShape(shape);
    llvm::SmallVector<Value> elements = elementwise.getElementOperands();
    for (Value operand : op.getOperands())
      if (!llvm::is_contained(elements, operand) && !isa<BlockArgument>(operand))
        return op.emitOpError() << "parameter operand must be an argument of the fused body";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Compute-heavy operators
//===----------------------------------------------------------------------===//

LogicalResult ConvOp::verify() {
  if (failed(verifyAllStatic(*this)) ||
      failed(verifySameElementType(*this, {getInput(), getWeight()})))
    return failure();
  if (Value bias = getBias()) {
    if (failed(verifySameElementType(*this, bias)))
      return failure();
    if (shapeOf(bias) != llvm::ArrayRef<int64_t>{shapeOf(getWeight())[0]})
      return emitOpError() << "bias of shape " << formatShape(shapeOf(bias)) << " does not match "
                           << shapeOf(getWeight())[0] << " output channels";
  }
  if (failed(verifyResultShape(*this, inferConvShape(shapeOf(getInput()), shapeOf(getWeight()),
                                                     getStrides(), getDilations(), getPads(),
                                                     getGroup(), [&] { return emitOpError(); }))))
    return failure();
  if (Value residual = getResidual())
    if (residual.getType() != getType())
      return emitOpError() << "residual of type " << residual.getType()
                           << " differs from the result type " << getType();
  return success();
}

int64_t ConvOp::getChannelBlock(int64_t channelsPerGroup) {
  // 4 channels x 4 positions of accumulators fill half the FPU's 32 single
  // registers; fewer channels per group take what they have.
  return channelsPerGroup >= 4 ? 4 : channelsPerGroup >= 2 ? 2 : 1;
}

int64_t ConvOp::getMacCount() {
  llvm::ArrayRef<int64_t> w = shapeOf(getWeight());
  // Each output element takes (C/g) * prod(kernel) multiply-accumulates.
  return getType().getNumElements() * getNumElements(w.drop_front());
}

LogicalResult PoolOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, getInput())))
    return failure();
  if (getKind() == PoolKind::avg && !isa<FloatType>(elementTypeOf(getInput())))
    return emitOpError() << "average pooling needs a float tensor, got "
                         << elementTypeOf(getInput());
  return verifyResultShape(*this, inferPoolShape(shapeOf(getInput()), getKernel(), getStrides(),
                                                 getDilations(), getPads(), getCeilMode(),
                                                 [&] { return emitOpError(); }));
}

LogicalResult ReduceOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, getInput())))
    return failure();
  if (getKind() == ReduceKind::mean && !isa<FloatType>(elementTypeOf(getInput())))
    return emitOpError() << "mean needs a float tensor, got " << elementTypeOf(getInput());
  return verifyResultShape(*this, inferReduceShape(shapeOf(getInput()), getAxes(), getKeepdims(),
                                                   [&] { return emitOpError(); }));
}

LogicalResult ArgReduceOp::verify() {
  if (failed(verifyAllStatic(*this)))
    return failure();
  if (getKind() != ReduceKind::max && getKind() != ReduceKind::min)
    return emitOpError() << "kind must be max or min";
  if (!elementTypeOf(getResult()).isSignlessInteger(64))
    return emitOpError() << "result must be int64 (i64), got " << elementTypeOf(getResult());
  int64_t axis = getAxis(), rank = shapeOf(getInput()).size();
  if (axis < 0 || axis >= rank)
    return emitOpError() << "axis " << axis << " is out of range for rank " << rank;
  return verifyResultShape(*this, inferReduceShape(shapeOf(getInput()), {axis}, getKeepdims(),
                                                   [&] { return emitOpError(); }));
}

LogicalResult CumSumOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, getInput())))
    return failure();
  int64_t axis = getAxis(), rank = shapeOf(getInput()).size();
  if (axis < 0 || axis >= rank)
    return emitOpError() << "axis " << axis << " is out of range for rank " << rank;
  return verifyResultShape(*this, Shape(shapeOf(getInput())));
}

LogicalResult GatherElementsOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, getData())))
    return failure();
  return verifyResultShape(*this,
                           inferGatherElementsShape(shapeOf(getData()), shapeOf(getIndices()),
                                                    getAxis(), [&] { return emitOpError(); }));
}

LogicalResult GemmOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, {getA(), getB()})))
    return failure();
  FailureOr<Shape> shape = inferGemmShape(shapeOf(getA()), shapeOf(getB()), getTransA(),
                                          getTransB(), [&] { return emitOpError(); });
  if (failed(verifyResultShape(*this, shape)))
    return failure();
  if (Value c = getC()) {
    if (failed(verifySameElementType(*this, c)))
      return failure();
    FailureOr<Shape> broadcast =
        broadcastShapes(shapeOf(c), *shape, [&] { return emitOpError() << "C: "; });
    if (failed(broadcast))
      return failure();
    if (llvm::ArrayRef<int64_t>(*broadcast) != llvm::ArrayRef<int64_t>(*shape))
      return emitOpError() << "C of shape " << formatShape(shapeOf(c))
                           << " does not broadcast to the result " << formatShape(*shape);
  }
  return success();
}

int64_t GemmOp::getMacCount() {
  llvm::ArrayRef<int64_t> a = shapeOf(getA());
  return getType().getNumElements() * (getTransA() ? a[0] : a[1]);
}

LogicalResult MatMulOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, {getLhs(), getRhs()})))
    return failure();
  return verifyResultShape(*this, inferMatMulShape(shapeOf(getLhs()), shapeOf(getRhs()),
                                                   [&] { return emitOpError(); }));
}

int64_t MatMulOp::getMacCount() {
  return getType().getNumElements() * shapeOf(getLhs()).back();
}

//===----------------------------------------------------------------------===//
// Compressed forms
//===----------------------------------------------------------------------===//

/// Checks the CSR arrays: `rows` rows, consistent lengths.
static LogicalResult verifySparseRows(Operation *op, Value values, Value offsets, Value rowStarts,
                                      int64_t rows) {
  auto v = cast<RankedTensorType>(values.getType()), o = cast<RankedTensorType>(offsets.getType()),
       r = cast<RankedTensorType>(rowStarts.getType());
  if (v.getRank() != 1 || o.getRank() != 1 || r.getRank() != 1)
    return op->emitOpError() << "values, offsets and row starts must be 1-d";
  if (v.getNumElements() != o.getNumElements())
    return op->emitOpError() << v.getNumElements() << " values but " << o.getNumElements()
                             << " offsets";
  if (r.getNumElements() != rows + 1)
    return op->emitOpError() << "expected " << rows + 1 << " row starts for " << rows
                             << " rows, got " << r.getNumElements();
  return success();
}

LogicalResult SparseConvOp::verify() {
  if (failed(verifyAllStatic(*this)) ||
      failed(verifySameElementType(*this, {getInput(), getValues()})))
    return failure();
  auto in = shapeOf(getInput());
  size_t spatial = getKernel().size();
  if (in.size() != spatial + 2)
    return emitOpError() << "input of rank " << in.size() << " does not fit a "
                         << spatial << "-d kernel";
  int64_t group = getGroup();
  if (group < 1 || in[1] % group != 0)
    return emitOpError() << "group " << group << " must divide the " << in[1]
                         << " input channels";
  int64_t m = shapeOf(getResult())[1];
  if (m % group != 0)
    return emitOpError() << "group " << group << " must divide the " << m << " output channels";
  Shape weight{m, in[1] / group};
  weight.append(getKernel().begin(), getKernel().end());
  llvm::SmallVector<int64_t> noPads(2 * spatial, 0);
  if (failed(verifyResultShape(*this, inferConvShape(in, weight, getStrides(), getDilations(),
                                                     noPads, group,
                                                     [&] { return emitOpError(); }))))
    return failure();
  if (Value bias = getBias())
    if (shapeOf(bias) != llvm::ArrayRef<int64_t>{m})
      return emitOpError() << "bias of shape " << formatShape(shapeOf(bias)) << " does not match "
                           << m << " output channels";
  if (Value residual = getResidual())
    if (residual.getType() != getType())
      return emitOpError() << "residual of type " << residual.getType()
                           << " differs from the result type " << getType();
  return verifySparseRows(*this, getValues(), getOffsets(), getRowStarts(), m);
}

int64_t SparseConvOp::getMacCount() {
  auto out = shapeOf(getResult());
  // Each output position takes every channel's nonzero weights once.
  return getNumElements(out) / out[1] * getValues().getType().getNumElements();
}

int64_t SparseConvOp::getPositionBlock(int64_t extent) {
  // An iteration costs about three positions' worth of overhead (loads of
  // the row, base addresses, the epilogue's setup) plus its positions.
  constexpr int64_t overhead = 3;
  int64_t best = 1, bestCost = extent * (overhead + 1);
  for (int64_t block : {2, 4, 8}) {
    if (block > extent)
      break;
    int64_t cost = (extent / block) * (overhead + block) + (extent % block) * (overhead + 1);
    if (cost <= bestCost)
      best = block, bestCost = cost;
  }
  return best;
}

LogicalResult SparseGemmOp::verify() {
  if (failed(verifyAllStatic(*this)) || failed(verifySameElementType(*this, {getA(), getValues()})))
    return failure();
  auto a = shapeOf(getA()), out = shapeOf(getResult());
  if (a.size() != 2 || out.size() != 2 || a[0] != out[0])
    return emitOpError() << "expected A of shape Mx K and a result of shape M x N, got "
                         << formatShape(a) << " and " << formatShape(out);
  if (Value c = getC()) {
    FailureOr<Shape> broadcast =
        broadcastShapes(shapeOf(c), out, [&] { return emitOpError() << "C: "; });
    if (failed(broadcast))
      return failure();
    if (llvm::ArrayRef<int64_t>(*broadcast) != out)
      return emitOpError() << "C of shape " << formatShape(shapeOf(c))
                           << " does not broadcast to the result " << formatShape(out);
  }
  return verifySparseRows(*this, getValues(), getOffsets(), getRowStarts(), out[1]);
}

int64_t SparseGemmOp::getMacCount() {
  return shapeOf(getA())[0] * getValues().getType().getNumElements();
}

//===----------------------------------------------------------------------===//
// Binary layers
//===----------------------------------------------------------------------===//

LogicalResult SignOp::verify() {
  if (getType() != getInput().getType())
    return emitOpError() << "result type " << getType() << " differs from the input's "
                         << getInput().getType();
  return verifyAllStatic(*this);
}

// Packed words are i32 (PackBitsOp's result type, the lowering's shifts and popcounts).
static_assert(TINYC_ABI_BITS_PER_PACKED_WORD == 32, "packed words are i32");

/// Words of packed bits for `count` elements.
static int64_t packedWords(int64_t count) {
  return (count + TINYC_ABI_BITS_PER_PACKED_WORD - 1) / TINYC_ABI_BITS_PER_PACKED_WORD;
}

LogicalResult PackBitsOp::verify() {
  if (failed(verifyAllStatic(*this)))
    return failure();
  auto in = shapeOf(getInput());
  int64_t axis = getAxis();
  if (axis < 0 || axis >= static_cast<int64_t>(in.size()))
    return emitOpError() << "axis " << axis << " is out of range for rank " << in.size();
  Shape expected;
  for (auto [d, extent] : llvm::enumerate(in))
    if (static_cast<int64_t>(d) != axis)
      expected.push_back(extent);
  expected.push_back(2 * packedWords(in[axis]));
  return verifyResultShape(*this, expected);
}

LogicalResult BinaryConvOp::verify() {
  if (failed(verifyAllStatic(*this)))
    return failure();
  auto w = shapeOf(getWeightBits()), in = shapeOf(getInput());
  if (w.size() < 3)
    return emitOpError() << "weight bits of shape " << formatShape(w) << " have no kernel";
  size_t spatial = w.size() - 2;
  int64_t m = w[0], words = w.back();
  Shape inSpatial;
  if (hasPackedInput()) {
    if (in.size() != spatial + 2 || in.back() != 2 * words)
      return emitOpError() << "packed input of shape " << formatShape(in) << " does not fit "
                           << words << " words per position";
    inSpatial.assign(in.begin() + 1, in.end() - 1);
  } else {
    if (!isa<FloatType>(getInput().getType().getElementType()) || in.size() != spatial + 2 ||
        packedWords(in[1]) != words)
      return emitOpError() << "float input of shape " << formatShape(in) << " does not fit "
                           << words << " words of weight bits per tap";
    inSpatial.assign(in.begin() + 2, in.end());
  }
  if (getStrides().size() != spatial || getDilations().size() != spatial ||
      getPads().size() != 2 * spatial)
    return emitOpError() << "expected " << spatial << " strides and dilations and "
                         << 2 * spatial << " pads";
  Shape expected{in[0], m};
  for (size_t i = 0; i < spatial; ++i) {
    FailureOr<int64_t> extent = slidingWindowExtent(
        inSpatial[i], w[1 + i], getStrides()[i], getDilations()[i], getPads()[i],
        getPads()[spatial + i], /*ceilMode=*/false, [&] { return emitOpError(); });
    if (failed(extent))
      return failure();
    expected.push_back(*extent);
  }
  if (failed(verifyResultShape(*this, expected)))
    return failure();
  for (Value param : {getAlpha(), getBias()})
    if (param && shapeOf(param) != llvm::ArrayRef<int64_t>{m})
      return emitOpError() << "alpha and bias must have one value per output channel (" << m
                           << "), got " << formatShape(shapeOf(param));
  return success();
}

int64_t BinaryConvOp::getMacCount() {
  auto w = shapeOf(getWeightBits());
  // Bit operations: each output takes every tap's 32 * words input bits.
  return getNumElements(shapeOf(getResult())) * getNumElements(w.drop_front().drop_back()) * TINYC_ABI_BITS_PER_PACKED_WORD *
         w.back();
}

int64_t BinaryGemmOp::getMacCount() {
  auto w = shapeOf(getWeightBits());
  return shapeOf(getResult())[0] * w[0] * w[1] * TINYC_ABI_BITS_PER_PACKED_WORD;
}

int64_t mlir::tinyc::getMacCount(Operation *op) {
  return llvm::TypeSwitch<Operation *, int64_t>(op)
      .Case<ConvOp, GemmOp, MatMulOp, SparseConvOp, SparseGemmOp, BinaryConvOp, BinaryGemmOp,
            QConvOp>(
          [](auto layer) { return layer.getMacCount(); })
      .Default([](Operation *) { return 0; });
}

LogicalResult BinaryGemmOp::verify() {
  if (failed(verifyAllStatic(*this)))
    return failure();
  auto w = shapeOf(getWeightBits()), a = shapeOf(getA()), out = shapeOf(getResult());
  if (w.size() != 2 || a.size() != 2 || out.size() != 2 || out[0] != a[0] || out[1] != w[0])
    return emitOpError() << "expected A [M, K], weight bits [N, words] and a result [M, N], got "
                         << formatShape(a) << ", " << formatShape(w) << " and "
                         << formatShape(out);
  bool packedFits = hasPackedInput() ? a[1] == 2 * w[1] : packedWords(a[1]) == w[1];
  if (!packedFits)
    return emitOpError() << "A of shape " << formatShape(a) << " does not fit " << w[1]
                         << " words of weight bits";
  if (shapeOf(getAlpha()) != llvm::ArrayRef<int64_t>{w[0]})
    return emitOpError() << "alpha must have one value per output column";
  if (Value c = getC()) {
    FailureOr<Shape> broadcast = broadcastShapes(shapeOf(c), out, [&] { return emitOpError(); });
    if (failed(broadcast) || llvm::ArrayRef<int64_t>(*broadcast) != out)
      return emitOpError() << "C of shape " << formatShape(shapeOf(c))
                           << " does not broadcast to the result " << formatShape(out);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Integer operators
//===----------------------------------------------------------------------===//

/// The channels-last shape [N, spatial..., C] as [N, C, spatial...].
static Shape channelsFirst(llvm::ArrayRef<int64_t> shape) {
  Shape result{shape.front(), shape.back()};
  result.append(shape.begin() + 1, shape.end() - 1);
  return result;
}

/// Checks that [qmin, qmax] is a non-empty range of `elementType`'s values
/// and that the zero points are too.
static LogicalResult verifyQuantRange(Operation *op, Type elementType, int64_t qmin, int64_t qmax,
                                      llvm::ArrayRef<int64_t> zeroPoints) {
  bool isUnsigned = elementType.isUnsignedInteger();
  int64_t lo = isUnsigned ? 0 : -128, hi = isUnsigned ? 255 : 127;
  if (qmin < lo || qmax > hi || qmin > qmax)
    return op->emitOpError() << "saturation bounds [" << qmin << ", " << qmax
                             << "] are not a range of " << elementType;
  for (int64_t zp : zeroPoints)
    if (zp < -128 || zp > 255)
      return op->emitOpError() << "zero point " << zp << " is not an 8-bit value";
  return success();
}

LogicalResult QConvOp::verify() {
  if (failed(verifyAllStatic(*this)))
    return failure();
  auto in = shapeOf(getInput()), w = shapeOf(getWeight()), out = shapeOf(getResult());
  unsigned spatial = getNumSpatialDims();
  if (in.size() != spatial + 2 || w.size() != spatial + 2 || out.size() != spatial + 2)
    return emitOpError() << "expected rank " << spatial + 2 << " input, weight and result";
  if (getDilations().size() != spatial || getPads().size() != 2 * spatial)
    return emitOpError() << "dilations and pads do not fit " << spatial << " spatial dimensions";
  int64_t m = w.front();
  if (shapeOf(getBias()) != llvm::ArrayRef<int64_t>{m} ||
      shapeOf(getMultiplier()) != llvm::ArrayRef<int64_t>{m})
    return emitOpError() << "bias and multiplier must have one element per output channel (" << m
                         << ")";
  // The weight [M, kernel..., C/g] as the float convolution's [M, C/g, kernel...].
  Shape weightFirst{w.front(), w.back()};
  weightFirst.append(w.begin() + 1, w.end() - 1);
  FailureOr<Shape> expected =
      inferConvShape(channelsFirst(in), weightFirst, getStrides(), getDilations(), getPads(),
                     getGroup(), [&] { return emitOpError(); });
  if (failed(expected))
    return failure();
  if (channelsFirst(out) != *expected)
    return emitOpError() << "result shape " << formatShape(out) << " differs from the inferred "
                         << formatShape(*expected) << " (channels first)";
  return verifyQuantRange(*this, elementTypeOf(getResult()), static_cast<int64_t>(getQmin()),
                          static_cast<int64_t>(getQmax()),
                          {static_cast<int64_t>(getInputZeroPoint()), static_cast<int64_t>(getOutputZeroPoint())});
}

int64_t QConvOp::getMacCount() {
  return getType().getNumElements() * getNumElements(shapeOf(getWeight()).drop_front());
}

/// The checks QAddOp and QMulOp share: one shape for both operands and the
/// result, and saturation bounds and zero points of 8-bit values.
template <typename OpTy>
static LogicalResult verifyQuantBinary(OpTy op) {
  if (failed(verifyAllStatic(op)))
    return failure();
  if (shapeOf(op.getLhs()) != shapeOf(op.getResult()) ||
      shapeOf(op.getRhs()) != shapeOf(op.getResult()))
    return op.emitOpError() << "operands and result must have one shape";
  return verifyQuantRange(op, elementTypeOf(op.getResult()), static_cast<int64_t>(op.getQmin()),
                          static_cast<int64_t>(op.getQmax()),
                          {static_cast<int64_t>(op.getLhsZeroPoint()),
                           static_cast<int64_t>(op.getRhsZeroPoint()),
                           static_cast<int64_t>(op.getOutputZeroPoint())});
}

LogicalResult QAddOp::verify() { return verifyQuantBinary(*this); }

LogicalResult QPoolOp::verify() {
  if (failed(verifyAllStatic(*this)))
    return failure();
  FailureOr<Shape> expected =
      inferPoolShape(channelsFirst(shapeOf(getInput())), getKernel(), getStrides(),
                     getDilations(), getPads(), getCeilMode(), [&] { return emitOpError(); });
  if (failed(expected))
    return failure();
  if (channelsFirst(shapeOf(getResult())) != *expected)
    return emitOpError() << "result shape " << formatShape(shapeOf(getResult()))
                         << " differs from the inferred " << formatShape(*expected)
                         << " (channels first)";
  return verifyQuantRange(*this, elementTypeOf(getResult()), static_cast<int64_t>(getQmin()),
                          static_cast<int64_t>(getQmax()),
                          {static_cast<int64_t>(getInputZeroPoint()), static_cast<int64_t>(getOutputZeroPoint())});
}

LogicalResult QMulOp::verify() { return verifyQuantBinary(*this); }

LogicalResult QTableOp::verify() {
  if (failed(verifyAllStatic(*this)))
    return failure();
  if (shapeOf(getInput()) != shapeOf(getResult()))
    return emitOpError() << "input and result must have one shape";
  if (shapeOf(getTable()) != llvm::ArrayRef<int64_t>{256} ||
      elementTypeOf(getTable()) != elementTypeOf(getResult()))
    return emitOpError() << "table must be 256 elements of the result's type";
  return success();
}
