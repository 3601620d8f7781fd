//===- OnnxControlFlow.cpp - If and Loop ----------------------------------===//
//
// Shapes are static, so control flow flattens at import. If: a condition
// known at compile time imports only its branch; one known at run time
// imports both and selects each output (Where), so both branches run and
// their outputs must have one type. Loop: the trip count and the initial
// condition must be known at compile time and the body's condition must
// fold to a constant; the body is imported once per iteration (the
// iteration number a constant in each), the loop-carried values threaded
// through and the scan outputs stacked.
//
//===----------------------------------------------------------------------===//

#include "Compose.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::onnx_import;

namespace {

/// The graph attribute `name`, or an error.
FailureOr<const onnx::GraphProto *> graphAttribute(NodeImporter &n, llvm::StringRef name) {
  const onnx::AttributeProto *attr = n.attribute(name);
  if (!attr || attr->type() != onnx::AttributeProto::GRAPH)
    return n.error() << "attribute '" << name << "' (a graph) is missing", failure();
  return &attr->g();
}

/// Input i as a constant boolean scalar, if it is one.
std::optional<bool> constantCondition(NodeImporter &n, Value v) {
  DenseElementsAttr value;
  if (!matchPattern(v, m_Constant(&value)) || value.getNumElements() != 1 ||
      !value.getElementType().isInteger(1))
    return std::nullopt;
  return *value.getValues<bool>().begin();
}

/// Upper bound of unrolled iterations: each imports the whole body.
constexpr int64_t kMaxIterations = 4096;

} // namespace

LogicalResult onnx_import::convertIf(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"then_branch", "else_branch"})))
    return failure();
  FailureOr<Value> cond = n.requiredInput(0);
  if (failed(cond))
    return failure();
  RankedTensorType condType = n.inputType(0);
  if (!condType.getElementType().isInteger(1) || condType.getNumElements() != 1)
    return n.error() << "the condition is " << formatShape(condType.getShape()) << " "
                     << condType.getElementType() << ", not one bool";
  FailureOr<const onnx::GraphProto *> thenGraph = graphAttribute(n, "then_branch"),
                                      elseGraph = graphAttribute(n, "else_branch");
  if (failed(thenGraph) || failed(elseGraph))
    return failure();
  if (std::optional<bool> known = constantCondition(n, *cond)) {
    FailureOr<llvm::SmallVector<Value>> outs =
        n.importSubgraph(*known ? **thenGraph : **elseGraph, {},
                         *known ? "then_branch" : "else_branch");
    if (failed(outs))
      return failure();
    if (outs->size() != n.numOutputs())
      return n.error() << "the branch has " << outs->size() << " outputs, the node "
                       << n.numOutputs();
    for (auto [i, v] : llvm::enumerate(*outs))
      n.setOutput(i, v);
    return success();
  }
  FailureOr<llvm::SmallVector<Value>> thenOuts = n.importSubgraph(**thenGraph, {}, "then_branch");
  if (failed(thenOuts))
    return failure();
  FailureOr<llvm::SmallVector<Value>> elseOuts = n.importSubgraph(**elseGraph, {}, "else_branch");
  if (failed(elseOuts))
    return failure();
  if (thenOuts->size() != elseOuts->size() || thenOuts->size() != n.numOutputs())
    return n.error() << "the branches have " << thenOuts->size() << " and " << elseOuts->size()
                     << " outputs, the node " << n.numOutputs();
  Steps s{n};
  Value scalarCond = n.reshape(*cond, {});
  for (unsigned i = 0; i < thenOuts->size(); ++i) {
    Value a = (*thenOuts)[i], b = (*elseOuts)[i];
    auto describe = [](Value v) {
      auto type = cast<RankedTensorType>(v.getType());
      std::string text;
      llvm::raw_string_ostream os(text);
      os << formatShape(type.getShape()) << " " << type.getElementType();
      return text;
    };
    if (a.getType() != b.getType())
      return n.error() << "output " << i << " is " << describe(a) << " in then_branch and "
                       << describe(b)
                       << " in else_branch; with a condition known only at run time the "
                          "branches must agree (bind the condition to choose one)";
    FailureOr<Value> selected = s.op(convertWhere, "Where", {scalarCond, a, b});
    if (failed(selected))
      return failure();
    n.setOutput(i, *selected);
  }
  return success();
}

LogicalResult onnx_import::convertLoop(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"body"})))
    return failure();
  FailureOr<const onnx::GraphProto *> body = graphAttribute(n, "body");
  if (failed(body))
    return failure();
  if (!n.input(0))
    return n.error() << "a Loop without a trip count is not supported (its length would be known "
                        "only at run time)";
  if (!n.constantInput(0))
    return n.requireConstant(0, "the trip count");
  FailureOr<llvm::SmallVector<int64_t>> trip = n.constantInts(0, "the trip count");
  if (failed(trip))
    return failure();
  if (trip->size() != 1)
    return n.error() << "the trip count has " << trip->size() << " values, not 1";
  int64_t iterations = std::max<int64_t>((*trip)[0], 0);
  if (iterations > kMaxIterations)
    return n.error() << "a trip count of " << iterations << " is over the " << kMaxIterations
                     << " iterations tinyc unrolls";
  bool running = true;
  if (n.input(1)) {
    std::optional<bool> cond = constantCondition(n, n.input(1));
    if (!cond)
      return n.requireConstant(1, "the loop condition");
    running = *cond;
  }
  int carriedCount = n.numInputs() - 2;
  if ((*body)->input_size() != carriedCount + 2 || (*body)->output_size() < carriedCount + 1)
    return n.error() << "the body has " << (*body)->input_size() << " inputs and "
                     << (*body)->output_size() << " outputs for " << carriedCount
                     << " loop-carried values";
  int scanCount = (*body)->output_size() - 1 - carriedCount;
  llvm::SmallVector<Value> carried;
  for (int i = 0; i < carriedCount; ++i) {
    FailureOr<Value> v = n.requiredInput(2 + i);
    if (failed(v))
      return failure();
    carried.push_back(*v);
  }
  std::vector<llvm::SmallVector<Value>> scans(scanCount);
  Value trueValue = n.constant(
      DenseElementsAttr::get(n.tensorType({}, n.builder.getI1Type()), llvm::ArrayRef<bool>{true}));
  for (int64_t i = 0; i < iterations && running; ++i) {
    Value iteration = n.constant(DenseElementsAttr::get(n.tensorType({}, n.builder.getI64Type()),
                                                        llvm::ArrayRef<int64_t>{i}));
    llvm::SmallVector<Value> inputs{iteration, trueValue};
    inputs.append(carried);
    FailureOr<llvm::SmallVector<Value>> outs = n.importSubgraph(**body, inputs, "body");
    if (failed(outs))
      return failure();
    std::optional<bool> cond = constantCondition(n, (*outs)[0]);
    if (!cond)
      return n.error() << "the body's condition is known only at run time (iteration " << i
                       << "); only loops whose length is known at compile time are supported";
    running = *cond;
    for (int k = 0; k < carriedCount; ++k) {
      Value next = (*outs)[1 + k];
      if (next.getType() != carried[k].getType())
        return n.error() << "loop-carried value " << k << " changes type from "
                         << carried[k].getType() << " to " << next.getType();
      carried[k] = next;
    }
    for (int k = 0; k < scanCount; ++k)
      scans[k].push_back((*outs)[1 + carriedCount + k]);
  }
  for (int k = 0; k < carriedCount; ++k)
    n.setOutput(k, carried[k]);
  Steps s{n};
  onnx::AttributeProto axis0 = intAttribute("axis", 0);
  for (int k = 0; k < scanCount; ++k) {
    if (scans[k].empty())
      return n.error() << "scan output " << k << " of a loop that runs no iteration has no shape";
    llvm::SmallVector<Value> rows;
    for (Value v : scans[k]) {
      Shape shape(cast<RankedTensorType>(v.getType()).getShape());
      shape.insert(shape.begin(), 1);
      rows.push_back(n.reshape(v, shape));
    }
    FailureOr<Value> stacked =
        rows.size() == 1 ? FailureOr<Value>(rows[0]) : s.op(convertConcat, "Concat", rows, {&axis0});
    if (failed(stacked))
      return failure();
    n.setOutput(carriedCount + k, *stacked);
  }
  return success();
}
