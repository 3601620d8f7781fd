//===- NodeImporter.h - what an ONNX operator converter sees ----*- C++ -*-===//
//
// Private to the importer. Each ONNX operator has one converter function
// taking a NodeImporter, which gives it the node's inputs as tinyc values,
// its attributes with ONNX defaults, the opset version, and a way to report
// errors located at the node.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_LIB_IMPORT_NODEIMPORTER_H
#define TINYC_LIB_IMPORT_NODEIMPORTER_H

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Dialect/TinycShapes.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

namespace mlir::tinyc::onnx_import {

/// Converts an ONNX element type code; null for types tinyc has no type for.
Type convertElementType(MLIRContext *context, int onnxType);

/// The name of an ONNX element type code ("FLOAT", "UINT8", ...).
llvm::StringRef onnxTypeName(int onnxType);

/// Reads a TensorProto (initializer, Constant value or test data) into a dense
/// attribute. `modelDir` is where external data may be read from; external
/// data outside it is refused. Errors go to `emitError`.
FailureOr<DenseElementsAttr> convertTensor(MLIRContext *context, const onnx::TensorProto &tensor,
                                           llvm::StringRef modelDir, EmitErrorFn emitError);

class NodeImporter;
using ConvertFn = LogicalResult (*)(NodeImporter &);

class NodeImporter {
public:
  NodeImporter(OpBuilder &builder, const onnx::NodeProto &node, int64_t opset, Location loc,
               llvm::StringMap<Value> &values, llvm::StringRef modelDir)
      : builder(builder), node(node), opset(opset), loc(loc), values(values), modelDir(modelDir) {}

  OpBuilder &builder;
  const onnx::NodeProto &node;
  /// The version of the default domain's operator set the model imports.
  const int64_t opset;
  const Location loc;

  /// Reports an error located at the node.
  InFlightDiagnostic error() const { return emitError(loc); }

  /// Inputs; an absent optional input (missing or empty name) is null.
  unsigned numInputs() const { return node.input_size(); }
  Value input(unsigned i) const;
  /// Like input(i), with an error when it is absent.
  FailureOr<Value> requiredInput(unsigned i) const;
  RankedTensorType inputType(unsigned i) const {
    return cast<RankedTensorType>(input(i).getType());
  }
  /// The input's value if it is a compile-time constant.
  DenseElementsAttr constantInput(unsigned i) const;
  /// A constant integer input read as int64 (axes, shapes, pads); an error
  /// naming `what` when it is not constant.
  FailureOr<llvm::SmallVector<int64_t>> constantInts(unsigned i, llvm::StringRef what) const;
  /// Reports that input i (`what`) must be known at compile time, with the
  /// way out when it is a graph input.
  LogicalResult requireConstant(unsigned i, llvm::StringRef what) const;

  unsigned numOutputs() const { return node.output_size(); }
  /// Whether output i is requested by the graph (present and named).
  bool hasOutput(unsigned i) const {
    return static_cast<int>(i) < node.output_size() && !node.output(i).empty();
  }
  void setOutput(unsigned i, Value value);

  // Attributes, with the default used when the node does not set them.
  const onnx::AttributeProto *attribute(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t defaultValue) const;
  float getFloat(llvm::StringRef name, float defaultValue) const;
  std::string getString(llvm::StringRef name, llvm::StringRef defaultValue) const;
  llvm::SmallVector<int64_t> getInts(llvm::StringRef name) const;
  /// Fails with a diagnostic naming the first attribute a get* call above
  /// found of another type than the operator defines (the call saw the
  /// default instead).
  LogicalResult checkAttributeTypes() const;
  /// Fails with a diagnostic if the node sets an attribute not in `known`,
  /// or sets one of them to an unsupported value (checked by the caller).
  LogicalResult rejectUnknownAttributes(llvm::ArrayRef<llvm::StringRef> known) const;

  /// Normalizes a possibly negative axis against `rank`; an error naming the
  /// attribute or input `what` when it is out of range.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank, llvm::StringRef what) const;

  /// Creates an operator and folds it when its operands are constant, so that
  /// shape arithmetic becomes constants during import.
  template <typename OpTy, typename... Args>
  Value create(Type resultType, Args &&...args) {
    return builder.createOrFold<OpTy>(loc, resultType, std::forward<Args>(args)...);
  }
  Value constant(DenseElementsAttr value) { return builder.create<ConstantOp>(loc, value); }
  /// A 0-d constant of `elementType` holding `value`.
  Value scalarConstant(Type elementType, double value);
  /// Reshape, or the value itself when the shape already matches.
  Value reshape(Value value, llvm::ArrayRef<int64_t> shape);

  RankedTensorType tensorType(llvm::ArrayRef<int64_t> shape, Type elementType) const {
    return RankedTensorType::get(shape, elementType);
  }
  EmitErrorFn errorFn() const { return emitErrorThunk; }

  llvm::StringRef getModelDir() const { return modelDir; }

  /// Runs `convert`, the converter of the default-domain operator `opType`,
  /// on a node of that type located here, with `inputs` (null for an absent
  /// optional input) and `attributes`, and returns its output 0. What it
  /// reports names this node. Quantized operators use it for their float op.
  FailureOr<Value> convertAs(ConvertFn convert, llvm::StringRef opType, llvm::ArrayRef<Value> inputs,
                             llvm::ArrayRef<const onnx::AttributeProto *> attributes);

  /// Converts the nodes of `graph`, the body of a control-flow operator (the
  /// graph attribute `what`), in their order, with its inputs bound to
  /// `inputs` by position and the enclosing graphs' tensors visible; returns
  /// its outputs. The body's own tensor names leave the table afterwards.
  FailureOr<llvm::SmallVector<Value>> importSubgraph(const onnx::GraphProto &graph,
                                                     llvm::ArrayRef<Value> inputs,
                                                     llvm::StringRef what);

private:
  /// The attribute `name` if it has `expectedType` (an AttributeProto type).
  const onnx::AttributeProto *typedAttribute(llvm::StringRef name, int expectedType) const;

  llvm::StringMap<Value> &values;
  /// The first attribute read with a type it does not have, and that type.
  mutable std::optional<std::pair<std::string, int>> wrongAttribute;
  llvm::StringRef modelDir;
  std::function<InFlightDiagnostic()> emitErrorThunk = [this] { return error(); };
};

/// The converter of a default-domain operator, or null if unsupported.
ConvertFn lookupConverter(llvm::StringRef opType);
/// The converter of an operator of the com.microsoft domain, or null.
ConvertFn lookupMicrosoftConverter(llvm::StringRef opType);

/// ONNX Runtime's domain of contrib operators; tinyc converts the quantized
/// ones its quantizer writes (TINYC_MICROSOFT_OPS).
inline constexpr llvm::StringLiteral microsoftDomain = "com.microsoft";

// Converters, grouped by file. An operator added here (or removed) goes into (or out of)
// test/Conformance/supported-ops.txt in the same change: that list, not this table, decides
// which conformance cases run, and Conformance/supported-ops.test fails until they agree.
#define TINYC_ONNX_OPS(X)                                                                          \
  /* OnnxNN.cpp */                                                                                 \
  X(Conv) X(Gemm) X(MatMul) X(MaxPool) X(AveragePool) X(GlobalAveragePool) X(GlobalMaxPool)       \
  X(BatchNormalization) X(Softmax) X(ReduceSum) X(ReduceMean) X(ReduceMax) X(ReduceMin)          \
  X(ReduceProd) X(LogSoftmax) X(ReduceL1) X(ReduceL2) X(ReduceLogSum) X(ReduceLogSumExp)          \
  X(ReduceSumSquare) X(LayerNormalization) X(InstanceNormalization) X(MeanVarianceNormalization)  \
  X(ArgMax) X(ArgMin) X(Hardmax) X(CumSum) X(NegativeLogLikelihoodLoss)                           \
  X(SoftmaxCrossEntropyLoss) X(LRN)                                                                \
  /* OnnxElementwise.cpp */                                                                        \
  X(Add) X(Sub) X(Mul) X(Div) X(Relu) X(LeakyRelu) X(Sigmoid) X(Tanh) X(HardSigmoid) X(HardSwish) \
  X(Clip) X(Cast) X(CastLike) X(QuantizeLinear) X(DequantizeLinear) X(Sign)                       \
  X(Abs) X(Neg) X(Reciprocal) X(Sqrt) X(Exp) X(Floor) X(Ceil) X(Round) X(Elu) X(Selu) X(Celu)     \
  X(Softsign) X(ThresholdedRelu) X(Shrink) X(Max) X(Min) X(Sum) X(Mean) X(Log) X(Softplus)       \
  X(Sin) X(Cos) X(Tan) X(Asin) X(Acos) X(Atan) X(Sinh) X(Cosh) X(Asinh) X(Acosh) X(Atanh) X(Erf) \
  X(Mod) X(Gelu) X(Mish) X(BitShift) X(Pow)                                                        \
  X(Equal) X(Less) X(LessOrEqual) X(Greater) X(GreaterOrEqual) X(And) X(Or) X(Xor) X(Not)         \
  X(Where) X(IsNaN) X(IsInf) X(PRelu)                                                              \
  /* OnnxShape.cpp */                                                                              \
  X(Reshape) X(Flatten) X(Squeeze) X(Unsqueeze) X(Transpose) X(Concat) X(Pad) X(Gather) X(Shape)  \
  X(Constant) X(Identity) X(Dropout) X(Slice) X(Split) X(Tile) X(Expand) X(DepthToSpace)          \
  X(SpaceToDepth) X(ConstantOfShape) X(Range) X(Size) X(Trilu) X(OneHot) X(GatherElements)       \
  X(EyeLike)                                                                                       \
  /* OnnxQuantized.cpp */                                                                          \
  X(QLinearConv) X(QLinearMatMul) X(ConvInteger) X(MatMulInteger)                                 \
  /* OnnxRecurrent.cpp */                                                                          \
  X(RNN) X(GRU) X(LSTM)                                                                            \
  /* OnnxSignal.cpp */                                                                             \
  X(HannWindow) X(HammingWindow) X(BlackmanWindow) X(MelWeightMatrix) X(DFT) X(STFT)                 \
  /* OnnxControlFlow.cpp */                                                                        \
  X(If) X(Loop)

// Operators of the com.microsoft domain (ONNX Runtime's quantizer writes them), in
// OnnxQuantized.cpp; supported-ops.txt lists them as com.microsoft:<name>.
#define TINYC_MICROSOFT_OPS(X)                                                                     \
  X(QLinearAdd) X(QLinearMul) X(QLinearAveragePool) X(QLinearGlobalAveragePool) X(QLinearConcat)  \
  X(QLinearSigmoid) X(QLinearLeakyRelu) X(QGemm)

/// The classic machine-learning domain that skl2onnx writes.
inline constexpr llvm::StringLiteral mlDomain = "ai.onnx.ml";

// Operators of the ai.onnx.ml domain, in OnnxML.cpp; supported-ops.txt lists them as
// ai.onnx.ml:<name>.
#define TINYC_ML_OPS(X)                                                                            \
  X(Scaler) X(Binarizer) X(Normalizer) X(Imputer) X(ArrayFeatureExtractor) X(LinearRegressor)     \
  X(LinearClassifier) X(SVMRegressor) X(TreeEnsembleRegressor) X(TreeEnsembleClassifier)

/// The converter of an operator of the ai.onnx.ml domain, or null.
ConvertFn lookupMLConverter(llvm::StringRef opType);

#define TINYC_DECLARE_CONVERTER(name) LogicalResult convert##name(NodeImporter &);
TINYC_ONNX_OPS(TINYC_DECLARE_CONVERTER)
TINYC_MICROSOFT_OPS(TINYC_DECLARE_CONVERTER)
TINYC_ML_OPS(TINYC_DECLARE_CONVERTER)
#undef TINYC_DECLARE_CONVERTER

} // namespace mlir::tinyc::onnx_import

#endif // TINYC_LIB_IMPORT_NODEIMPORTER_H
