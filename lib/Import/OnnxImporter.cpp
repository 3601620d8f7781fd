//===- OnnxImporter.cpp - ONNX model to tinyc dialect ---------------------===//
//
// Reads the protobuf, fixes the graph inputs' shapes, turns initializers into
// constants, converts the nodes in a topological order (ONNX requires one in
// the file, but ONNX Runtime sorts and so accepts any, so tinyc does too) and
// returns the graph outputs from `@main`. Shapes are inferred operator by
// operator as the graph is built, and constant subgraphs fold on the way.
//
//===----------------------------------------------------------------------===//

#include "tinyc/Import/OnnxImporter.h"
#include "NodeImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <limits>
#include <queue>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/stubs/logging.h>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::onnx_import;

//===----------------------------------------------------------------------===//
// Locations
//===----------------------------------------------------------------------===//

// A node's location is NameLoc(node name, FusedLoc<op type>(file location)),
// which survives the passes and lets diagnostics say which node they concern.
static Location nodeLocation(MLIRContext *context, llvm::StringRef file, llvm::StringRef name,
                             llvm::StringRef opType) {
  Location fileLoc = FileLineColLoc::get(context, file, 0, 0);
  Location typed = FusedLoc::get(context, {fileLoc}, StringAttr::get(context, opType));
  return NameLoc::get(StringAttr::get(context, name), typed);
}

OnnxLocation tinyc::describeOnnxLocation(Location loc) {
  OnnxLocation result;
  // Fused locations made by passes (e.g. a fused Conv+Relu) name their first part.
  while (auto fused = dyn_cast<FusedLoc>(loc)) {
    if (auto opType = dyn_cast_or_null<StringAttr>(fused.getMetadata()))
      result.opType = opType.str();
    if (fused.getLocations().empty())
      break;
    loc = fused.getLocations().front();
  }
  if (auto name = dyn_cast<NameLoc>(loc)) {
    result.node = name.getName().str();
    OnnxLocation inner = describeOnnxLocation(name.getChildLoc());
    result.file = inner.file;
    if (result.opType.empty())
      result.opType = inner.opType;
  } else if (auto file = dyn_cast<FileLineColLoc>(loc)) {
    result.file = file.getFilename().str();
  }
  return result;
}

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

Value NodeImporter::input(unsigned i) const {
  if (static_cast<int>(i) >= node.input_size() || node.input(i).empty())
    return nullptr;
  return values.lookup(node.input(i));
}

FailureOr<Value> NodeImporter::requiredInput(unsigned i) const {
  if (Value v = input(i))
    return v;
  error() << "needs input " << i << ", which is missing";
  return failure();
}

DenseElementsAttr NodeImporter::constantInput(unsigned i) const {
  DenseElementsAttr attr;
  if (Value v = input(i))
    matchPattern(v, m_Constant(&attr));
  return attr;
}

FailureOr<llvm::SmallVector<int64_t>> NodeImporter::constantInts(unsigned i,
                                                                 llvm::StringRef what) const {
  DenseElementsAttr attr = constantInput(i);
  if (!attr)
    return requireConstant(i, what);
  if (!isa<IntegerType>(attr.getElementType())) {
    error() << what << " (input " << i << ") must be an integer tensor";
    return failure();
  }
  llvm::SmallVector<int64_t> result;
  for (const llvm::APInt &v : attr.getValues<llvm::APInt>())
    result.push_back(v.getSExtValue());
  return result;
}

LogicalResult NodeImporter::requireConstant(unsigned i, llvm::StringRef what) const {
  InFlightDiagnostic diag = error();
  diag << what << " (input " << i << ") must be known at compile time";
  if (isa_and_nonnull<BlockArgument>(input(i))) {
    diag << "; graph input '" << node.input(i)
         << "' can be bound to its value with --bind " << node.input(i) << "=FILE.pb";
    return diag;
  }
  // Computed from graph inputs: name them, each a way to make it constant.
  llvm::SetVector<Value> arguments;
  llvm::SmallVector<Value> pending{input(i)};
  llvm::DenseSet<Value> seen;
  while (!pending.empty()) {
    Value v = pending.pop_back_val();
    if (!v || !seen.insert(v).second)
      continue;
    if (isa<BlockArgument>(v))
      arguments.insert(v);
    else if (Operation *def = v.getDefiningOp())
      pending.append(def->operand_begin(), def->operand_end());
  }
  for (Value arg : arguments) {
    for (const auto &[name, value] : values)
      if (value == arg) {
        diag << "; it depends on graph input '" << name.str()
             << "', which can be bound to its value with --bind " << name.str() << "=FILE.pb";
        break;
      }
  }
  return diag;
}

void NodeImporter::setOutput(unsigned i, Value value) {
  if (hasOutput(i))
    values[node.output(i)] = value;
}

const onnx::AttributeProto *NodeImporter::attribute(llvm::StringRef name) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

const onnx::AttributeProto *NodeImporter::typedAttribute(llvm::StringRef name,
                                                         int expectedType) const {
  const onnx::AttributeProto *attr = attribute(name);
  // Models from before IR version 2 may leave the type unset.
  if (attr && attr->type() != onnx::AttributeProto::UNDEFINED && attr->type() != expectedType &&
      !wrongAttribute) {
    wrongAttribute = std::make_pair(name.str(), expectedType);
    return nullptr;
  }
  return attr;
}

LogicalResult NodeImporter::checkAttributeTypes() const {
  if (!wrongAttribute)
    return success();
  const onnx::AttributeProto *attr = attribute(wrongAttribute->first);
  auto typeName = [](int type) {
    return onnx::AttributeProto::AttributeType_IsValid(type)
               ? onnx::AttributeProto::AttributeType_Name(
                     static_cast<onnx::AttributeProto::AttributeType>(type))
               : std::string("UNKNOWN");
  };
  return error() << "attribute '" << wrongAttribute->first << "' must be of type "
                 << typeName(wrongAttribute->second) << ", not " << typeName(attr->type());
}

int64_t NodeImporter::getInt(llvm::StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *attr = typedAttribute(name, onnx::AttributeProto::INT);
  return attr ? attr->i() : defaultValue;
}

float NodeImporter::getFloat(llvm::StringRef name, float defaultValue) const {
  const onnx::AttributeProto *attr = typedAttribute(name, onnx::AttributeProto::FLOAT);
  return attr ? attr->f() : defaultValue;
}

std::string NodeImporter::getString(llvm::StringRef name, llvm::StringRef defaultValue) const {
  const onnx::AttributeProto *attr = typedAttribute(name, onnx::AttributeProto::STRING);
  return attr ? attr->s() : defaultValue.str();
}

llvm::SmallVector<int64_t> NodeImporter::getInts(llvm::StringRef name) const {
  const onnx::AttributeProto *attr = typedAttribute(name, onnx::AttributeProto::INTS);
  if (!attr)
    return {};
  return llvm::SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

LogicalResult NodeImporter::rejectUnknownAttributes(llvm::ArrayRef<llvm::StringRef> known) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (!llvm::is_contained(known, attr.name())) {
      error() << "attribute '" << attr.name() << "' is not supported";
      return failure();
    }
  return success();
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank,
                                               llvm::StringRef what) const {
  if (axis < -rank || axis >= rank) {
    error() << what << " " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

Value NodeImporter::scalarConstant(Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  if (auto floatType = dyn_cast<FloatType>(elementType)) {
    llvm::APFloat v(value);
    bool lost;
    v.convert(floatType.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven, &lost);
    return constant(DenseElementsAttr::get(type, v));
  }
  unsigned width = elementType.getIntOrFloatBitWidth();
  return constant(DenseElementsAttr::get(
      type, llvm::APInt(64, static_cast<uint64_t>(static_cast<int64_t>(value))).trunc(width)));
}

Value NodeImporter::reshape(Value value, llvm::ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return create<ReshapeOp>(RankedTensorType::get(shape, type.getElementType()), value);
}

FailureOr<Value>
NodeImporter::convertAs(ConvertFn convert, llvm::StringRef opType, llvm::ArrayRef<Value> inputs,
                        llvm::ArrayRef<const onnx::AttributeProto *> attributes) {
  onnx::NodeProto inner;
  inner.set_op_type(opType.str());
  inner.set_name(node.name());
  for (const onnx::AttributeProto *attr : attributes)
    *inner.add_attribute() = *attr;
  // The inner node's tensors get names that no tensor of the graph has, and
  // leave the table when it is done.
  llvm::SmallVector<std::string> temporaries;
  auto fresh = [&] {
    std::string name;
    unsigned k = 0;
    do
      name = "\x01tinyc." + opType.str() + "." + std::to_string(temporaries.size()) + "." +
             std::to_string(k++);
    while (values.count(name));
    temporaries.push_back(name);
    return name;
  };
  for (Value v : inputs) {
    if (!v) {
      inner.add_input("");
      continue;
    }
    std::string name = fresh();
    values[name] = v;
    inner.add_input(name);
  }
  std::string output = fresh();
  inner.add_output(output);
  NodeImporter importer(builder, inner, opset, loc, values, modelDir);
  LogicalResult converted = convert(importer);
  Value result = values.lookup(output);
  for (const std::string &name : temporaries)
    values.erase(name);
  if (failed(importer.checkAttributeTypes()) || failed(converted))
    return failure();
  if (!result)
    return error() << "the " << opType << " it computes has no output", failure();
  return result;
}

static LogicalResult checkArity(const onnx::NodeProto &node, int64_t opset, Location loc);

/// The location of a node of a body: named `<outer>/<body>/<name>`, in the file the
/// outer node's location names.
static Location bodyNodeLocation(Location outer, llvm::StringRef outerName,
                                 const onnx::NodeProto &node, unsigned index) {
  MLIRContext *context = outer->getContext();
  Location file = outer;
  outer->walk([&](Location l) {
    if (isa<FileLineColLoc>(l))
      file = l;
    return WalkResult::advance();
  });
  std::string name = outerName.str() + "/" +
                     (node.name().empty() ? "#" + std::to_string(index) : node.name());
  return nodeLocation(context, cast<FileLineColLoc>(file).getFilename(), name, node.op_type());
}

FailureOr<llvm::SmallVector<Value>>
NodeImporter::importSubgraph(const onnx::GraphProto &graph, llvm::ArrayRef<Value> inputs,
                             llvm::StringRef what) {
  if (graph.input_size() != static_cast<int>(inputs.size()))
    return error() << what << " takes " << graph.input_size() << " inputs, not the "
                   << inputs.size() << " the operator gives it",
           failure();
  // Names the body defines, removed when it is done (what they shadowed is
  // put back).
  llvm::SmallVector<std::pair<std::string, Value>> saved;
  auto define = [&](const std::string &name, Value v) {
    saved.push_back({name, values.lookup(name)});
    values[name] = v;
  };
  auto restore = [&] {
    for (auto &[name, old] : llvm::reverse(saved)) {
      if (old)
        values[name] = old;
      else
        values.erase(name);
    }
  };
  std::string outerName =
      (node.name().empty() ? std::string(node.op_type()) : node.name()) + "/" + what.str();
  auto fail = [&]() -> FailureOr<llvm::SmallVector<Value>> {
    restore();
    return failure();
  };
  for (const onnx::TensorProto &init : graph.initializer()) {
    FailureOr<DenseElementsAttr> value = convertTensor(builder.getContext(), init, modelDir, errorFn());
    if (failed(value))
      return fail();
    define(init.name(), constant(*value));
  }
  for (const auto &[i, input] : llvm::enumerate(graph.input()))
    define(input.name(), inputs[i]);
  for (const auto &[i, inner] : llvm::enumerate(graph.node())) {
    Location innerLoc = bodyNodeLocation(loc, outerName, inner, i);
    bool defaultDomain = inner.domain().empty() || inner.domain() == "ai.onnx";
    ConvertFn convert = defaultDomain ? lookupConverter(inner.op_type()) : nullptr;
    if (!convert) {
      emitError(innerLoc) << "operator not supported (domain '"
                          << (defaultDomain ? "ai.onnx" : inner.domain()) << "', opset " << opset
                          << ")";
      return fail();
    }
    if (failed(checkArity(inner, opset, innerLoc)))
      return fail();
    for (const std::string &in : inner.input())
      if (!in.empty() && !values.count(in)) {
        emitError(innerLoc) << "input '" << in << "' is neither an input of " << what
                            << ", a tensor of an enclosing graph nor an earlier node's output";
        return fail();
      }
    NodeImporter importer(builder, inner, opset, innerLoc, values, modelDir);
    LogicalResult converted = convert(importer);
    if (failed(importer.checkAttributeTypes()) || failed(converted))
      return fail();
    for (const std::string &out : inner.output())
      if (!out.empty()) {
        // The converter wrote it into the table; record it for removal.
        Value v = values.lookup(out);
        if (!v) {
          emitError(innerLoc) << "output '" << out << "' is not supported";
          return fail();
        }
        values.erase(out);
        define(out, v);
      }
  }
  llvm::SmallVector<Value> outputs;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    Value v = values.lookup(out.name());
    if (!v) {
      error() << what << " output '" << out.name() << "' is computed by none of its nodes";
      return fail();
    }
    outputs.push_back(v);
  }
  restore();
  return outputs;
}

//===----------------------------------------------------------------------===//
// Operator table
//===----------------------------------------------------------------------===//

ConvertFn onnx_import::lookupConverter(llvm::StringRef opType) {
  static const llvm::StringMap<ConvertFn> table = {
#define TINYC_TABLE_ENTRY(name) {#name, &convert##name},
      TINYC_ONNX_OPS(TINYC_TABLE_ENTRY)
#undef TINYC_TABLE_ENTRY
  };
  return table.lookup(opType);
}

ConvertFn onnx_import::lookupMicrosoftConverter(llvm::StringRef opType) {
  static const llvm::StringMap<ConvertFn> table = {
#define TINYC_TABLE_ENTRY(name) {#name, &convert##name},
      TINYC_MICROSOFT_OPS(TINYC_TABLE_ENTRY)
#undef TINYC_TABLE_ENTRY
  };
  return table.lookup(opType);
}

ConvertFn onnx_import::lookupMLConverter(llvm::StringRef opType) {
  static const llvm::StringMap<ConvertFn> table = {
#define TINYC_TABLE_ENTRY(name) {#name, &convert##name},
      TINYC_ML_OPS(TINYC_TABLE_ENTRY)
#undef TINYC_TABLE_ENTRY
  };
  return table.lookup(opType);
}

std::vector<std::string> tinyc::getSupportedOnnxOperators() {
  std::vector<std::string> names = {
#define TINYC_NAME_ENTRY(name) #name,
      TINYC_ONNX_OPS(TINYC_NAME_ENTRY)
#undef TINYC_NAME_ENTRY
  };
  // Operators of another domain are named as the conformance lists name them.
#define TINYC_NAME_ENTRY(name) names.push_back((microsoftDomain + ":" #name).str());
  TINYC_MICROSOFT_OPS(TINYC_NAME_ENTRY)
#undef TINYC_NAME_ENTRY
#define TINYC_NAME_ENTRY(name) names.push_back((mlDomain + ":" #name).str());
  TINYC_ML_OPS(TINYC_NAME_ENTRY)
#undef TINYC_NAME_ENTRY
  llvm::sort(names);
  return names;
}

/// The operator's first version and how many inputs and outputs it takes at
/// `opset`, as in ONNX's operator schemas (which the checker and ONNX Runtime
/// enforce). Trailing optional inputs and outputs count, also when their name
/// is empty.
struct Arity {
  int64_t since;
  int minInputs, maxInputs, minOutputs, maxOutputs;
};

static Arity getArity(llvm::StringRef op, int64_t opset) {
  constexpr int many = std::numeric_limits<int>::max();
  return llvm::StringSwitch<Arity>(op)
      .Case("Conv", {1, 2, 3, 1, 1})
      .Case("Gemm", {1, opset < 11 ? 3 : 2, 3, 1, 1})
      .Case("MatMul", {1, 2, 2, 1, 1})
      .Case("MaxPool", {1, 1, 1, 1, opset < 8 ? 1 : 2})
      .Cases("AveragePool", "GlobalAveragePool", "GlobalMaxPool", {1, 1, 1, 1, 1})
      .Case("BatchNormalization", {1, 5, 5, 1, opset < 14 ? 5 : 3})
      .Case("LayerNormalization", {17, 2, 3, 1, 3})
      .Case("InstanceNormalization", {1, 3, 3, 1, 1})
      .Case("LRN", {1, 1, 1, 1, 1})
      .Case("MeanVarianceNormalization", {9, 1, 1, 1, 1})
      .Cases("Softmax", "LogSoftmax", {1, 1, 1, 1, 1})
      .Case("ReduceSum", {1, 1, opset < 13 ? 1 : 2, 1, 1})
      .Cases("ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", {1, 1, opset < 18 ? 1 : 2, 1, 1})
      .Cases("ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare",
             {1, 1, opset < 18 ? 1 : 2, 1, 1})
      .Cases("Add", "Sub", "Mul", "Div", "Pow", {1, 2, 2, 1, 1})
      .Case("Mod", {10, 2, 2, 1, 1})
      .Cases("Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", {1, 1, 1, 1, 1})
      .Case("HardSwish", {14, 1, 1, 1, 1})
      .Case("Clip", {1, 1, opset < 11 ? 1 : 3, 1, 1})
      .Case("Cast", {1, 1, 1, 1, 1})
      .Case("CastLike", {15, 2, 2, 1, 1})
      .Cases("QuantizeLinear", "DequantizeLinear", {10, 2, 3, 1, 1})
      .Case("Sign", {9, 1, 1, 1, 1})
      .Cases("Abs", "Neg", "Reciprocal", "Sqrt", "Exp", "Floor", "Ceil", {1, 1, 1, 1, 1})
      .Cases("Elu", "Selu", "Softsign", "Not", "Log", "Softplus", {1, 1, 1, 1, 1})
      .Cases("Sin", "Cos", "Tan", "Asin", "Acos", "Atan", {7, 1, 1, 1, 1})
      .Cases("Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Erf", {9, 1, 1, 1, 1})
      .Case("Round", {11, 1, 1, 1, 1})
      .Case("Mish", {18, 1, 1, 1, 1})
      .Case("Gelu", {20, 1, 1, 1, 1})
      .Case("Celu", {12, 1, 1, 1, 1})
      .Case("ThresholdedRelu", {10, 1, 1, 1, 1})
      .Case("Shrink", {9, 1, 1, 1, 1})
      .Cases("Max", "Min", "Sum", "Mean", {1, 1, many, 1, 1})
      .Cases("Equal", "Less", "Greater", "And", "Or", "Xor", {1, 2, 2, 1, 1})
      .Cases("LessOrEqual", "GreaterOrEqual", {12, 2, 2, 1, 1})
      .Case("Where", {9, 3, 3, 1, 1})
      .Case("IsNaN", {9, 1, 1, 1, 1})
      .Case("IsInf", {10, 1, 1, 1, 1})
      .Case("Reshape", {1, opset < 5 ? 1 : 2, opset < 5 ? 1 : 2, 1, 1})
      .Cases("Flatten", "Transpose", "Shape", "Identity", {1, 1, 1, 1, 1})
      .Case("Squeeze", {1, 1, opset < 13 ? 1 : 2, 1, 1})
      .Case("Unsqueeze", {1, opset < 13 ? 1 : 2, opset < 13 ? 1 : 2, 1, 1})
      .Case("Concat", {1, 1, many, 1, 1})
      .Case("Pad", {1, opset < 11 ? 1 : 2, opset < 11 ? 1 : opset < 18 ? 3 : 4, 1, 1})
      .Case("Gather", {1, 2, 2, 1, 1})
      .Case("Trilu", {14, 1, 2, 1, 1})
      .Case("GatherElements", {11, 2, 2, 1, 1})
      .Cases("ArgMax", "ArgMin", "Hardmax", {1, 1, 1, 1, 1})
      .Case("CumSum", {11, 2, 2, 1, 1})
      .Case("NegativeLogLikelihoodLoss", {12, 2, 3, 1, 1})
      .Case("SoftmaxCrossEntropyLoss", {12, 2, 3, 1, 2})
      .Case("BitShift", {11, 2, 2, 1, 1})
      .Case("OneHot", {9, 3, 3, 1, 1})
      .Case("Constant", {1, 0, 0, 1, 1})
      .Case("Dropout", {1, 1, opset < 12 ? 1 : 3, 1, 2})
      .Case("Slice", {1, opset < 10 ? 1 : 3, opset < 10 ? 1 : 5, 1, 1})
      .Case("Split", {1, 1, opset >= 2 && opset < 13 ? 1 : 2, 1, many})
      .Case("Tile", {6, 2, 2, 1, 1})
      .Case("Expand", {8, 2, 2, 1, 1})
      .Cases("DepthToSpace", "SpaceToDepth", "Size", {1, 1, 1, 1, 1})
      .Cases("ConstantOfShape", "EyeLike", {9, 1, 1, 1, 1})
      .Case("Range", {11, 3, 3, 1, 1})
      .Case("PRelu", {1, 2, 2, 1, 1})
      .Case("QLinearConv", {10, 8, 9, 1, 1})
      .Case("QLinearMatMul", {10, 8, 8, 1, 1})
      .Cases("ConvInteger", "MatMulInteger", {10, 2, 4, 1, 1})
      // com.microsoft, version 1 (the default domain's opset is >= 1).
      .Cases("QLinearAdd", "QLinearMul", {1, 7, 8, 1, 1})
      .Cases("QLinearAveragePool", "QLinearGlobalAveragePool", {1, 4, 5, 1, 1})
      .Cases("QLinearSigmoid", "QLinearLeakyRelu", {1, 4, 5, 1, 1})
      .Case("QLinearConcat", {1, 5, many, 1, 1})
      .Case("QGemm", {1, 6, 9, 1, 1})
      .Cases("RNN", "GRU", {7, 3, 6, 0, 2})
      .Case("LSTM", {7, 3, 8, 0, 3})
      .Cases("HannWindow", "HammingWindow", "BlackmanWindow", {17, 1, 1, 1, 1})
      .Case("MelWeightMatrix", {17, 5, 5, 1, 1})
      .Case("DFT", {17, 1, opset < 20 ? 2 : 3, 1, 1})
      .Case("STFT", {17, 2, 4, 1, 1})
      .Case("If", {1, 1, 1, 1, many})
      .Case("Loop", {1, 2, many, 1, many})
      // ai.onnx.ml, version 1.
      .Cases("Scaler", "Binarizer", "Normalizer", "Imputer", "LinearRegressor", "SVMRegressor",
             "TreeEnsembleRegressor", {1, 1, 1, 1, 1})
      .Case("ArrayFeatureExtractor", {1, 2, 2, 1, 1})
      .Cases("LinearClassifier", "TreeEnsembleClassifier", {1, 1, 1, 2, 2})
      .Default({1, 0, many, 0, many});
}

/// "2", "1 to 3", "at least 1".
static std::string describeCount(int min, int max) {
  if (min == max)
    return std::to_string(min);
  if (max == std::numeric_limits<int>::max())
    return "at least " + std::to_string(min);
  return std::to_string(min) + " to " + std::to_string(max);
}

static LogicalResult checkArity(const onnx::NodeProto &node, int64_t opset, Location loc) {
  Arity arity = getArity(node.op_type(), opset);
  if (opset < arity.since)
    return emitError(loc) << "the operator exists since opset " << arity.since
                          << ", but the model imports opset " << opset;
  if (node.input_size() < arity.minInputs || node.input_size() > arity.maxInputs)
    return emitError(loc) << "takes " << describeCount(arity.minInputs, arity.maxInputs)
                          << " input(s) at opset " << opset << ", got " << node.input_size();
  if (node.output_size() < arity.minOutputs || node.output_size() > arity.maxOutputs)
    return emitError(loc) << "has " << describeCount(arity.minOutputs, arity.maxOutputs)
                          << " output(s) at opset " << opset << ", got " << node.output_size();
  return success();
}

//===----------------------------------------------------------------------===//
// The graph
//===----------------------------------------------------------------------===//

namespace {

class GraphImporter {
public:
  GraphImporter(MLIRContext &context, llvm::StringRef path, const OnnxImportOptions &options,
                std::optional<llvm::MemoryBufferRef> source = std::nullopt)
      : context(context), path(path), options(options), source(source),
        fileLoc(FileLineColLoc::get(&context, path, 0, 0)) {
    llvm::SmallString<256> dir(path);
    llvm::sys::path::remove_filename(dir);
    modelDir = dir.empty() ? "." : std::string(dir);
  }

  OwningOpRef<ModuleOp> run();

private:
  InFlightDiagnostic error() { return emitError(fileLoc); }
  LogicalResult loadModel();
  FailureOr<RankedTensorType> inputType(const onnx::ValueInfoProto &input);
  FailureOr<DenseElementsAttr> boundValue(const onnx::ValueInfoProto &input,
                                          llvm::StringRef file);
  std::string nodeName(unsigned index) const;
  Location nodeLoc(unsigned index) const;
  ConvertFn converterFor(const onnx::NodeProto &node) const;
  LogicalResult checkOperators();
  FailureOr<llvm::SmallVector<unsigned>> topologicalOrder(const llvm::StringSet<> &available);
  LogicalResult importNode(const onnx::NodeProto &node, unsigned index, OpBuilder &builder);
  /// Fails when the declared element type or shape of a graph output
  /// contradicts what the graph computes.
  LogicalResult checkDeclaredType(const onnx::ValueInfoProto &output, RankedTensorType computed);

  MLIRContext &context;
  std::string path, modelDir;
  const OnnxImportOptions &options;
  /// The model's bytes when given in memory; otherwise they are read from path.
  std::optional<llvm::MemoryBufferRef> source;
  Location fileLoc;
  onnx::ModelProto model;
  int64_t opset = 0;
  llvm::StringMap<Value> values;
};

} // namespace

LogicalResult GraphImporter::loadModel() {
  std::unique_ptr<llvm::MemoryBuffer> file;
  llvm::MemoryBufferRef bytes;
  if (source) {
    bytes = *source;
  } else {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer) {
      error() << "cannot read model: " << buffer.getError().message();
      return failure();
    }
    file = std::move(*buffer);
    bytes = file->getMemBufferRef();
  }
  // Protobuf would otherwise print its own parse messages to stderr.
  google::protobuf::SetLogHandler(nullptr);
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(bytes.getBufferStart()),
      static_cast<int>(bytes.getBufferSize()));
  stream.SetRecursionLimit(100);
  if (!model.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
    error() << "not a valid ONNX model (the protobuf does not parse; is the file truncated?)";
    return failure();
  }
  // Arbitrary bytes can parse as a protobuf of unknown fields: insist on the
  // parts every ONNX model has.
  if (model.ir_version() <= 0 || !model.has_graph() || model.opset_import_size() == 0) {
    error() << "not an ONNX model (no IR version, graph or opset import)";
    return failure();
  }
  for (const onnx::OperatorSetIdProto &set : model.opset_import())
    if (set.domain().empty() || set.domain() == "ai.onnx")
      opset = set.version();
  if (opset == 0) {
    error() << "the model does not import the default ONNX operator set";
    return failure();
  }
  return success();
}

FailureOr<RankedTensorType> GraphImporter::inputType(const onnx::ValueInfoProto &input) {
  if (!input.type().has_tensor_type()) {
    error() << "graph input '" << input.name() << "' is not a tensor";
    return failure();
  }
  const onnx::TypeProto::Tensor &tensor = input.type().tensor_type();
  Type elem = convertElementType(&context, tensor.elem_type());
  if (!elem || elem.isF16() || elem.isBF16()) {
    error() << "graph input '" << input.name() << "' has unsupported element type "
            << onnxTypeName(tensor.elem_type());
    return failure();
  }
  auto given = options.inputShapes.find(input.name());
  if (!tensor.has_shape()) {
    if (given == options.inputShapes.end()) {
      error() << "graph input '" << input.name()
              << "' has no shape; give it with --input-shape " << input.name() << "=DIMS";
      return failure();
    }
    return RankedTensorType::get(given->second, elem);
  }
  llvm::SmallVector<int64_t> shape;
  for (const auto &[i, dim] : llvm::enumerate(tensor.shape().dim())) {
    if (given != options.inputShapes.end()) {
      // A given shape must agree with the dimensions the model fixes.
      if (given->second.size() != static_cast<size_t>(tensor.shape().dim_size()) ||
          (dim.has_dim_value() && dim.dim_value() != given->second[i])) {
        error() << "--input-shape " << input.name() << "=" << formatShape(given->second)
                << " does not fit the model's input of rank " << tensor.shape().dim_size();
        return failure();
      }
      shape.push_back(given->second[i]);
    } else if (dim.has_dim_value() && dim.dim_value() >= 0) {
      shape.push_back(dim.dim_value());
    } else if (i == 0) {
      shape.push_back(1); // A symbolic batch dimension means one sample.
    } else {
      error() << "graph input '" << input.name() << "' has symbolic dimension "
              << (dim.has_dim_param() ? "'" + dim.dim_param() + "'" : std::string("(unnamed)"))
              << " at index " << i << "; fix it with --input-shape " << input.name() << "=DIMS";
      return failure();
    }
  }
  return RankedTensorType::get(shape, elem);
}

FailureOr<DenseElementsAttr> GraphImporter::boundValue(const onnx::ValueInfoProto &input,
                                                      llvm::StringRef file) {
  auto fail = [&](const llvm::Twine &why) -> FailureOr<DenseElementsAttr> {
    error() << "--bind " << input.name() << "=" << file << ": " << why;
    return failure();
  };
  auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail(buffer.getError().message());
  onnx::TensorProto tensor;
  if (!tensor.ParseFromArray((*buffer)->getBufferStart(),
                             static_cast<int>((*buffer)->getBufferSize())))
    return fail("not an ONNX TensorProto");
  llvm::SmallString<256> dir(file);
  llvm::sys::path::remove_filename(dir);
  FailureOr<DenseElementsAttr> value =
      convertTensor(&context, tensor, dir.empty() ? "." : dir.str(), [&] { return error(); });
  if (failed(value))
    return failure();
  const onnx::TypeProto::Tensor &declared = input.type().tensor_type();
  if (convertElementType(&context, declared.elem_type()) != value->getElementType())
    return fail("the value's element type " + onnxTypeName(tensor.data_type()) +
                " differs from the input's " + onnxTypeName(declared.elem_type()));
  llvm::ArrayRef<int64_t> shape = value->getType().getShape();
  bool fits = !declared.has_shape() || declared.shape().dim_size() == static_cast<int>(shape.size());
  for (int i = 0; fits && declared.has_shape() && i < declared.shape().dim_size(); ++i)
    fits = !declared.shape().dim(i).has_dim_value() ||
           declared.shape().dim(i).dim_value() == shape[i];
  if (!fits)
    return fail("the value's shape " + formatShape(shape) + " does not fit the input");
  return value;
}

LogicalResult GraphImporter::checkDeclaredType(const onnx::ValueInfoProto &output,
                                               RankedTensorType computed) {
  if (!output.type().has_tensor_type())
    return success();
  const onnx::TypeProto::Tensor &declared = output.type().tensor_type();
  bool fits = declared.elem_type() == onnx::TensorProto::UNDEFINED ||
              convertElementType(&context, declared.elem_type()) == computed.getElementType();
  if (declared.has_shape()) {
    fits = fits && declared.shape().dim_size() == computed.getRank();
    for (int i = 0; fits && i < declared.shape().dim_size(); ++i)
      fits = !declared.shape().dim(i).has_dim_value() ||
             declared.shape().dim(i).dim_value() == computed.getDimSize(i);
  }
  if (fits)
    return success();
  InFlightDiagnostic diag = error();
  diag << "graph output '" << output.name() << "' is declared as "
       << onnxTypeName(declared.elem_type());
  if (declared.has_shape()) {
    diag << " ";
    if (declared.shape().dim_size() == 0)
      diag << "scalar";
    for (int i = 0; i < declared.shape().dim_size(); ++i) {
      const auto &dim = declared.shape().dim(i);
      diag << (i ? "x" : "")
           << (dim.has_dim_value() ? std::to_string(dim.dim_value())
                                   : dim.has_dim_param() ? dim.dim_param() : std::string("?"));
    }
  }
  int computedCode = 0;
  for (int code = 1; code <= onnx::TensorProto::DataType_MAX && !computedCode; ++code)
    if (convertElementType(&context, code) == computed.getElementType())
      computedCode = code;
  diag << ", but the graph computes " << onnxTypeName(computedCode) << " "
       << formatShape(computed.getShape());
  return diag;
}

std::string GraphImporter::nodeName(unsigned index) const {
  const onnx::NodeProto &node = model.graph().node(index);
  return node.name().empty() ? "#" + std::to_string(index) : node.name();
}

Location GraphImporter::nodeLoc(unsigned index) const {
  return nodeLocation(&context, path, nodeName(index), model.graph().node(index).op_type());
}

ConvertFn GraphImporter::converterFor(const onnx::NodeProto &node) const {
  bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
  if (defaultDomain)
    return lookupConverter(node.op_type());
  // ONNX Runtime's quantized contrib operators, when the model imports the domain.
  if (node.domain() == microsoftDomain &&
      llvm::any_of(model.opset_import(),
                   [](const auto &set) { return set.domain() == microsoftDomain; }))
    return lookupMicrosoftConverter(node.op_type());
  if (node.domain() == mlDomain &&
      llvm::any_of(model.opset_import(), [](const auto &set) { return set.domain() == mlDomain; }))
    return lookupMLConverter(node.op_type());
  return nullptr;
}

// Every operator tinyc cannot convert is reported before anything is
// converted, so that a user porting a model learns the whole list in one run.
LogicalResult GraphImporter::checkOperators() {
  bool ok = true;
  for (const auto &[i, node] : llvm::enumerate(model.graph().node())) {
    if (converterFor(node))
      continue;
    bool defaultDomain = node.domain().empty() || node.domain() == "ai.onnx";
    if (!defaultDomain && llvm::none_of(model.opset_import(), [&](const auto &set) {
          return set.domain() == node.domain();
        })) {
      emitError(nodeLoc(i)) << "domain '" << node.domain() << "' has no opset import in the model";
      ok = false;
      continue;
    }
    int64_t version = 0;
    for (const onnx::OperatorSetIdProto &set : model.opset_import())
      if (set.domain() == node.domain() || (defaultDomain && set.domain() == "ai.onnx"))
        version = set.version();
    InFlightDiagnostic diag = emitError(nodeLoc(i))
                              << "operator not supported (domain '"
                              << (defaultDomain ? "ai.onnx" : node.domain()) << "', opset "
                              << version << ")";
    // skl2onnx ends classifiers with ZipMap unless told not to; what to drop.
    if (node.domain() == mlDomain && node.op_type() == "ZipMap")
      diag << ": ZipMap makes a sequence of maps, which firmware has no use for; convert the "
              "model without it (skl2onnx: options={'zipmap': False}) and read the probabilities "
              "tensor";
    ok = false;
  }
  return success(ok);
}

// Kahn's algorithm, taking the earliest ready node in file order each time:
// a sorted graph keeps its order (and its diagnostics), a shuffled one gets
// the order closest to the file's. An input that nothing produces does not
// hold its node back; importNode reports it.
FailureOr<llvm::SmallVector<unsigned>>
GraphImporter::topologicalOrder(const llvm::StringSet<> &available) {
  const onnx::GraphProto &graph = model.graph();
  unsigned count = graph.node_size();
  llvm::StringMap<unsigned> producer;
  for (unsigned i = 0; i < count; ++i)
    for (const std::string &out : graph.node(i).output())
      if (!out.empty())
        producer.try_emplace(out, i);
  // The producers each node waits for (an input may repeat: counted once).
  std::vector<llvm::SmallVector<unsigned>> waitsFor(count), consumers(count);
  std::vector<unsigned> pending(count, 0);
  for (unsigned i = 0; i < count; ++i) {
    for (const std::string &in : graph.node(i).input()) {
      auto it = producer.find(in);
      if (in.empty() || available.count(in) || it == producer.end() ||
          llvm::is_contained(waitsFor[i], it->second))
        continue;
      waitsFor[i].push_back(it->second);
      consumers[it->second].push_back(i);
      ++pending[i];
    }
  }
  std::priority_queue<unsigned, std::vector<unsigned>, std::greater<unsigned>> ready;
  for (unsigned i = 0; i < count; ++i)
    if (pending[i] == 0)
      ready.push(i);
  llvm::SmallVector<unsigned> order;
  while (!ready.empty()) {
    unsigned i = ready.top();
    ready.pop();
    order.push_back(i);
    for (unsigned consumer : consumers[i])
      if (--pending[consumer] == 0)
        ready.push(consumer);
  }
  if (order.size() == count)
    return order;
  // Every node left waits, directly or not, on a cycle: follow unsorted
  // producers from the first one until a node repeats; it is on the cycle.
  unsigned first = 0;
  while (pending[first] == 0)
    ++first;
  llvm::SmallVector<unsigned> path;
  llvm::DenseMap<unsigned, unsigned> seenAt;
  unsigned at = first;
  while (!seenAt.count(at)) {
    seenAt[at] = path.size();
    path.push_back(at);
    at = *llvm::find_if(waitsFor[at], [&](unsigned p) { return pending[p] != 0; });
  }
  std::string cycle;
  for (unsigned k = seenAt[at]; k < path.size(); ++k)
    cycle += "'" + nodeName(path[k]) + "' -> ";
  cycle += "'" + nodeName(at) + "'";
  emitError(nodeLoc(at)) << "the graph has a cycle through this node (" << cycle << ")";
  return failure();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node, unsigned index,
                                        OpBuilder &builder) {
  Location loc = nodeLoc(index);
  ConvertFn convert = converterFor(node);
  assert(convert && "checkOperators reports nodes without a converter");
  if (failed(checkArity(node, opset, loc)))
    return failure();
  for (const std::string &in : node.input())
    if (!in.empty() && !values.count(in)) {
      emitError(loc) << "input '" << in
                     << "' is neither a graph input, an initializer nor any node's output";
      return failure();
    }
  // ONNX graphs are in static single assignment form: a name is a graph
  // input, an initializer or one node's output, once.
  for (const auto &[i, out] : llvm::enumerate(node.output()))
    if (!out.empty() && (values.count(out) || llvm::count(node.output(), out) > 1)) {
      emitError(loc) << "output " << i << " ('" << out << "') reuses the name of "
                     << (values.count(out) ? "an earlier tensor" : "another output of the node")
                     << "; each name must be assigned once";
      return failure();
    }
  NodeImporter importer(builder, node, opset, loc, values, modelDir);
  // An attribute of the wrong type reads as its default, so an error the
  // converter reports may only be a consequence: hold its diagnostics back
  // until the attribute types are known to be right.
  llvm::SmallVector<Diagnostic> held;
  LogicalResult converted = success();
  {
    ScopedDiagnosticHandler hold(&context, [&](Diagnostic &diag) {
      held.push_back(std::move(diag));
      return success();
    });
    converted = convert(importer);
  }
  if (failed(importer.checkAttributeTypes()))
    return failure();
  for (Diagnostic &diag : held)
    context.getDiagEngine().emit(std::move(diag));
  if (failed(converted))
    return failure();
  for (const auto &[i, out] : llvm::enumerate(node.output())) {
    if (out.empty())
      continue;
    if (!values.count(out)) {
      emitError(loc) << "output " << i << " ('" << out << "') is not supported";
      return failure();
    }
    // Sizes near 2^63 would wrap wherever they are computed later (the
    // arena, the header's macros): refuse them where they arise.
    auto type = cast<RankedTensorType>(values.lookup(out).getType());
    if (!getCheckedByteSize(type.getShape(), type.getElementType())) {
      emitError(loc) << "output " << i << " ('" << out << "') of shape "
                     << formatShape(type.getShape()) << " has more bytes than 64 bits can count";
      return failure();
    }
  }
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::run() {
  if (failed(loadModel()))
    return nullptr;
  context.loadDialect<TinycDialect, func::FuncDialect>();
  const onnx::GraphProto &graph = model.graph();
  OpBuilder builder(&context);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  module->getOperation()->setAttr("tinyc.source",
                                  builder.getStringAttr(llvm::sys::path::filename(path)));

  // Graph inputs that have an initializer are constants (old exporters list
  // weights as inputs too); the rest become @main's arguments.
  if (graph.output_size() == 0) {
    error() << "the graph has no outputs";
    return nullptr;
  }
  llvm::StringSet<> initializerNames, inputNames;
  for (const onnx::TensorProto &init : graph.initializer())
    if (!initializerNames.insert(init.name()).second) {
      error() << "initializer '" << init.name() << "' is given twice";
      return nullptr;
    }
  for (const onnx::ValueInfoProto &input : graph.input())
    if (!inputNames.insert(input.name()).second) {
      error() << "graph input '" << input.name() << "' is listed twice";
      return nullptr;
    }
  for (const onnx::ValueInfoProto &output : graph.output())
    if (output.name().empty()) {
      error() << "a graph output has no name";
      return nullptr;
    }
  auto isGraphInput = [&](llvm::StringRef name) {
    return !initializerNames.count(name) &&
           llvm::any_of(graph.input(),
                        [&](const onnx::ValueInfoProto &input) { return input.name() == name; });
  };
  for (const auto &entry : options.bindings)
    if (!isGraphInput(entry.getKey())) {
      error() << "--bind names '" << entry.getKey() << "', which is not a graph input";
      return nullptr;
    }
  for (const auto &entry : options.inputShapes)
    if (initializerNames.count(entry.getKey()) ||
        llvm::none_of(graph.input(), [&](const onnx::ValueInfoProto &input) {
          return input.name() == entry.getKey();
        })) {
      error() << "--input-shape names '" << entry.getKey() << "', which is not a graph input";
      return nullptr;
    }
  llvm::SmallVector<Type> argTypes;
  llvm::SmallVector<std::string> argNames;
  llvm::SmallVector<std::pair<std::string, DenseElementsAttr>> bound;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    if (initializerNames.count(input.name()))
      continue;
    auto binding = options.bindings.find(input.name());
    if (binding != options.bindings.end()) {
      FailureOr<DenseElementsAttr> value = boundValue(input, binding->second);
      if (failed(value))
        return nullptr;
      bound.push_back({input.name(), *value});
      continue;
    }
    FailureOr<RankedTensorType> type = inputType(input);
    if (failed(type))
      return nullptr;
    if (!getCheckedByteSize(type->getShape(), type->getElementType())) {
      error() << "graph input '" << input.name() << "' of shape " << formatShape(type->getShape())
              << " has more bytes than 64 bits can count";
      return nullptr;
    }
    argTypes.push_back(*type);
    argNames.push_back(input.name());
  }

  builder.setInsertionPointToEnd(module->getBody());
  auto func = builder.create<func::FuncOp>(fileLoc, "main", builder.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  for (auto [i, name] : llvm::enumerate(argNames)) {
    values[name] = entry->getArgument(i);
    func.setArgAttr(i, "tinyc.name", builder.getStringAttr(name));
  }
  for (auto &[name, value] : bound)
    values[name] =
        builder.create<ConstantOp>(NameLoc::get(builder.getStringAttr(name), fileLoc), value);
  for (const onnx::TensorProto &init : graph.initializer()) {
    FailureOr<DenseElementsAttr> value =
        convertTensor(&context, init, modelDir, [&] { return error() << "initializer: "; });
    if (failed(value))
      return nullptr;
    values[init.name()] = builder.create<ConstantOp>(
        NameLoc::get(builder.getStringAttr(init.name()), fileLoc), *value);
  }

  if (failed(checkOperators()))
    return nullptr;
  llvm::StringSet<> available;
  for (const auto &entry : values)
    available.insert(entry.getKey());
  FailureOr<llvm::SmallVector<unsigned>> order = topologicalOrder(available);
  if (failed(order))
    return nullptr;
  // The first error stops the import: later nodes would only report its
  // consequences.
  for (unsigned i : *order)
    if (failed(importNode(graph.node(i), i, builder)))
      return nullptr;
  // Half-precision values are read (e.g. cast to float at compile time), but
  // the generated code does not compute with them.
  WalkResult halfPrecision = func.walk([&](Operation *op) {
    if (isa<ConstantOp>(op))
      return WalkResult::advance();
    for (Type t : op->getResultTypes())
      if (auto tensor = dyn_cast<RankedTensorType>(t);
          tensor && (tensor.getElementType().isF16() || tensor.getElementType().isBF16())) {
        op->emitError() << "computing with " << tensor.getElementType()
                        << " tensors is not supported";
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  if (halfPrecision.wasInterrupted())
    return nullptr;

  llvm::SmallVector<Value> results;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    Value v = values.lookup(output.name());
    if (!v) {
      error() << "graph output '" << output.name() << "' is not produced by any node";
      return nullptr;
    }
    if (failed(checkDeclaredType(output, cast<RankedTensorType>(v.getType()))))
      return nullptr;
    results.push_back(v);
  }
  builder.create<func::ReturnOp>(fileLoc, results);
  func.setFunctionType(builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "tinyc.name", builder.getStringAttr(output.name()));

  if (failed(verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> tinyc::importOnnxModel(MLIRContext &context, llvm::StringRef path,
                                             const OnnxImportOptions &options) {
  return GraphImporter(context, path, options).run();
}

OwningOpRef<ModuleOp> tinyc::importOnnxModel(MLIRContext &context, llvm::MemoryBufferRef model,
                                             llvm::StringRef path,
                                             const OnnxImportOptions &options) {
  return GraphImporter(context, path, options, model).run();
}
