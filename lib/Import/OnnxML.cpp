//===- OnnxML.cpp - the classic machine-learning operators (ai.onnx.ml) ---===//
//
// The ai.onnx.ml operators that skl2onnx writes for linear models and
// preprocessing, each composed of default-domain operators (through
// NodeImporter::convertAs, so that each step gets that operator's checks and
// shape rules) in the arithmetic of ONNX Runtime's kernels, which is the
// reference: where ONNX's specification leaves a case open (the binary
// LinearClassifier's scores, Normalizer's zero rows), tinyc does what ONNX
// Runtime does. Every converter takes version 1 of its operator, the only
// one these operators have.
//
//===----------------------------------------------------------------------===//

#include "Compose.h"

#include "llvm/ADT/StringSwitch.h"

#include <cmath>
#include <map>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::onnx_import;

namespace {

/// A floats attribute; absent is empty. An error when it has another type.
FailureOr<std::vector<float>> getFloats(NodeImporter &n, llvm::StringRef name) {
  const onnx::AttributeProto *attr = n.attribute(name);
  if (!attr)
    return std::vector<float>();
  if (attr->type() != onnx::AttributeProto::FLOATS)
    return n.error() << "attribute '" << name << "' is not a list of floats", failure();
  return std::vector<float>(attr->floats().begin(), attr->floats().end());
}

/// Refuses string class labels: tinyc's outputs are numeric tensors.
LogicalResult rejectStringLabels(NodeImporter &n) {
  const onnx::AttributeProto *attr = n.attribute("classlabels_strings");
  if (attr && attr->strings_size() > 0)
    return n.error() << "string class labels (classlabels_strings) are not supported: convert the "
                        "model with integer class labels (classlabels_ints; in scikit-learn, "
                        "classes that are integers)";
  return success();
}

/// Input 0 as float32 (ONNX Runtime casts float64, int64 and int32 inputs
/// element by element), of rank 1 or 2 unless `anyRank`.
FailureOr<Value> floatFeatures(NodeImporter &n, Steps &s, bool anyRank = false) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  Type elem = type.getElementType();
  if (!elem.isF32() && !elem.isF64() && !elem.isSignlessInteger(64) && !elem.isSignlessInteger(32))
    return n.error() << "input of element type " << elem
                     << " is not supported (float, double, int64 or int32)";
  if (!anyRank && type.getRank() != 1 && type.getRank() != 2)
    return n.error() << "input of rank " << type.getRank() << " is not supported (1 or 2)";
  return s.toFloat(*x);
}

/// `values` (one, or one per feature) as a constant that broadcasts against
/// features of extent `features`; an error naming the attribute otherwise.
FailureOr<Value> perFeature(NodeImporter &n, Steps &s, llvm::StringRef what,
                            llvm::ArrayRef<float> values, int64_t features) {
  if (values.size() == 1)
    return s.scalar(values[0]);
  if (static_cast<int64_t>(values.size()) != features)
    return n.error() << "'" << what << "' has " << values.size()
                     << " values for an input of " << features << " features (1 or " << features
                     << " expected)",
           failure();
  return s.floats({features}, values);
}

/// X [N, F] (or [F], read as [1, F]) times coefficients [T, F] transposed,
/// plus intercepts [T]: the scores [N, T] of the linear models.
FailureOr<Value> linearScores(NodeImporter &n, Steps &s, Value x, int64_t targets) {
  FailureOr<std::vector<float>> coefficients = getFloats(n, "coefficients"),
                                intercepts = getFloats(n, "intercepts");
  if (failed(coefficients) || failed(intercepts))
    return failure();
  auto type = cast<RankedTensorType>(x.getType());
  int64_t features = type.getShape().back();
  if (type.getRank() == 1)
    x = n.reshape(x, {1, features});
  if (static_cast<int64_t>(coefficients->size()) != targets * features)
    return n.error() << "'coefficients' has " << coefficients->size() << " values, not " << targets
                     << " x " << features << " (targets x features)",
           failure();
  if (intercepts->empty())
    intercepts->assign(targets, 0.0f);
  if (static_cast<int64_t>(intercepts->size()) != targets)
    return n.error() << "'intercepts' has " << intercepts->size() << " values, not " << targets,
           failure();
  Value weights = s.floats({targets, features}, *coefficients);
  Value bias = s.floats({targets}, *intercepts);
  onnx::AttributeProto transB = intAttribute("transB", 1);
  return s.op(convertGemm, "Gemm", {x, weights, bias}, {&transB});
}

std::string postTransform(NodeImporter &n) { return n.getString("post_transform", "NONE"); }

} // namespace

/// Y = (X - offset) * scale, per feature or for all.
LogicalResult onnx_import::convertScaler(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"offset", "scale"})))
    return failure();
  Steps s{n};
  FailureOr<Value> x = floatFeatures(n, s, /*anyRank=*/true);
  FailureOr<std::vector<float>> offset = getFloats(n, "offset"), scale = getFloats(n, "scale");
  if (failed(x) || failed(offset) || failed(scale))
    return failure();
  // ONNX Runtime requires both, of one length.
  if (scale->empty() || scale->size() != offset->size())
    return n.error() << "'offset' and 'scale' must both be set, with one length (they have "
                     << offset->size() << " and " << scale->size() << " values)";
  int64_t features = n.inputType(0).getRank() ? n.inputType(0).getShape().back() : 1;
  FailureOr<Value> offsetValue = perFeature(n, s, "offset", *offset, features);
  if (failed(offsetValue))
    return failure();
  FailureOr<Value> scaleValue = perFeature(n, s, "scale", *scale, features);
  if (failed(scaleValue))
    return failure();
  FailureOr<Value> shifted = s.op(convertSub, "Sub", {*x, *offsetValue});
  if (failed(shifted))
    return failure();
  FailureOr<Value> y = s.op(convertMul, "Mul", {*shifted, *scaleValue});
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

/// Y = X > threshold ? 1 : 0, in X's type.
LogicalResult onnx_import::convertBinarizer(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"threshold"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  Type elem = n.inputType(0).getElementType();
  if (!elem.isF32())
    return n.error() << "input of element type " << elem << " is not supported (float)";
  Steps s{n};
  FailureOr<Value> above = s.op(convertGreater, "Greater", {*x, s.scalar(n.getFloat("threshold", 0.0f))});
  if (failed(above))
    return failure();
  Value one = s.scalar(1.0f);
  Value zero = s.scalar(0.0f);
  FailureOr<Value> y = s.op(convertWhere, "Where", {*above, one, zero});
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

/// Each row divided by its largest value (MAX), by the sum of its absolute
/// values (L1), or (L2) sign(x) * sqrt(x^2 / sum(x^2)) as ONNX Runtime
/// computes it; a row whose divisor is 0 is copied.
LogicalResult onnx_import::convertNormalizer(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"norm"})))
    return failure();
  std::string norm = n.getString("norm", "MAX");
  if (norm != "MAX" && norm != "L1" && norm != "L2")
    return n.error() << "norm '" << norm << "' is not MAX, L1 or L2";
  Steps s{n};
  FailureOr<Value> x = floatFeatures(n, s);
  if (failed(x))
    return failure();
  auto reduce = [&](ConvertFn convert, llvm::StringRef type, int64_t inputSince, Value v) {
    return s.reduce(convert, type, inputSince, v, -1, /*keepdims=*/true);
  };
  Value zero = s.scalar(0.0f);
  FailureOr<Value> divisor, quotient;
  if (norm == "MAX") {
    divisor = reduce(convertReduceMax, "ReduceMax", 18, *x);
    if (failed(divisor))
      return failure();
    quotient = s.op(convertDiv, "Div", {*x, *divisor});
  } else if (norm == "L1") {
    FailureOr<Value> magnitude = s.op(convertAbs, "Abs", {*x});
    if (failed(magnitude))
      return failure();
    divisor = reduce(convertReduceSum, "ReduceSum", 13, *magnitude);
    if (failed(divisor))
      return failure();
    quotient = s.op(convertDiv, "Div", {*x, *divisor});
  } else {
    FailureOr<Value> square = s.op(convertMul, "Mul", {*x, *x});
    if (failed(square))
      return failure();
    divisor = reduce(convertReduceSum, "ReduceSum", 13, *square);
    if (failed(divisor))
      return failure();
    FailureOr<Value> share = s.op(convertDiv, "Div", {*square, *divisor});
    if (failed(share))
      return failure();
    FailureOr<Value> root = s.op(convertSqrt, "Sqrt", {*share});
    if (failed(root))
      return failure();
    FailureOr<Value> negative = s.op(convertLess, "Less", {*x, zero});
    if (failed(negative))
      return failure();
    FailureOr<Value> negated = s.op(convertNeg, "Neg", {*root});
    if (failed(negated))
      return failure();
    quotient = s.op(convertWhere, "Where", {*negative, *negated, *root});
  }
  if (failed(quotient))
    return failure();
  FailureOr<Value> zeroRow = s.op(convertEqual, "Equal", {*divisor, zero});
  if (failed(zeroRow))
    return failure();
  FailureOr<Value> y = s.op(convertWhere, "Where", {*zeroRow, *x, *quotient});
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

/// Values equal to replaced_value_float (NaN by default in skl2onnx's
/// models; a NaN here matches NaN inputs) become the imputed value of their
/// feature.
LogicalResult onnx_import::convertImputer(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"imputed_value_floats", "replaced_value_float",
                                         "imputed_value_int64s", "replaced_value_int64"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  if (!n.inputType(0).getElementType().isF32())
    return n.error() << "input of element type " << n.inputType(0).getElementType()
                     << " is not supported (float: imputed_value_floats)";
  if (n.attribute("imputed_value_int64s"))
    return n.error() << "imputed_value_int64s on a float input";
  FailureOr<std::vector<float>> imputed = getFloats(n, "imputed_value_floats");
  if (failed(imputed))
    return failure();
  if (imputed->empty())
    return n.error() << "'imputed_value_floats' is not set";
  Steps s{n};
  RankedTensorType type = n.inputType(0);
  int64_t features = type.getRank() ? type.getShape().back() : 1;
  FailureOr<Value> replacement = perFeature(n, s, "imputed_value_floats", *imputed, features);
  if (failed(replacement))
    return failure();
  float replaced = n.getFloat("replaced_value_float", 0.0f);
  FailureOr<Value> match = std::isnan(replaced)
                               ? s.op(convertIsNaN, "IsNaN", {*x})
                               : s.op(convertEqual, "Equal", {*x, s.scalar(replaced)});
  if (failed(match))
    return failure();
  FailureOr<Value> y = s.op(convertWhere, "Where", {*match, *replacement, *x});
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

/// The features of X (along its last axis) at the given indices; as in ONNX
/// Runtime, a 1-d X gives [1, k].
LogicalResult onnx_import::convertArrayFeatureExtractor(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0), indices = n.requiredInput(1);
  if (failed(x) || failed(indices))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (type.getRank() == 0)
    return n.error() << "input X is a scalar";
  if (!n.inputType(1).getElementType().isSignlessInteger(64))
    return n.error() << "indices of type " << n.inputType(1).getElementType() << " are not int64";
  // ONNX Runtime refuses an index outside [0, extent), where Gather would
  // count a negative one from the end.
  int64_t extent = type.getShape().back();
  if (DenseElementsAttr values = n.constantInput(1)) {
    for (const llvm::APInt &index : values.getValues<llvm::APInt>())
      if (index.getSExtValue() < 0 || index.getSExtValue() >= extent)
        return n.error() << "index " << index.getSExtValue() << " is out of range [0, " << extent
                         << ")";
  } else {
    return n.requireConstant(1, "the feature indices");
  }
  int64_t count = n.inputType(1).getNumElements();
  Value flat = n.reshape(*indices, {count});
  Steps s{n};
  onnx::AttributeProto axis = intAttribute("axis", type.getRank() - 1);
  FailureOr<Value> gathered = s.op(convertGather, "Gather", {*x, flat}, {&axis});
  if (failed(gathered))
    return failure();
  Shape shape(type.getShape());
  shape.back() = count;
  if (type.getRank() == 1)
    shape.insert(shape.begin(), 1);
  n.setOutput(0, n.reshape(*gathered, shape));
  return success();
}

/// Y = X * coefficients^T + intercepts, `targets` columns.
LogicalResult onnx_import::convertLinearRegressor(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"coefficients", "intercepts", "targets", "post_transform"})))
    return failure();
  if (postTransform(n) != "NONE")
    return n.error() << "post_transform '" << postTransform(n) << "' is not supported (NONE)";
  int64_t targets = n.getInt("targets", 1);
  if (targets < 1)
    return n.error() << "targets " << targets << " is not positive";
  Steps s{n};
  FailureOr<Value> x = floatFeatures(n, s);
  if (failed(x))
    return failure();
  FailureOr<Value> y = linearScores(n, s, *x, targets);
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

/// Scores = X * coefficients^T + intercepts, one column per class; the
/// label is the class label of the first largest score, and the scores go
/// through post_transform. With one column and two labels (a binary model)
/// the label is labels[1] where the score is positive, and the scores are
/// [1 - p, p] with p the score after post_transform, as in ONNX Runtime.
LogicalResult onnx_import::convertLinearClassifier(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"coefficients", "intercepts", "classlabels_ints",
                                         "classlabels_strings", "multi_class", "post_transform"})) ||
      failed(rejectStringLabels(n)))
    return failure();
  std::string transform = postTransform(n);
  if (transform != "NONE" && transform != "LOGISTIC" && transform != "SOFTMAX")
    return n.error() << "post_transform '" << transform
                     << "' is not supported (NONE, LOGISTIC or SOFTMAX)";
  FailureOr<std::vector<float>> intercepts = getFloats(n, "intercepts");
  if (failed(intercepts))
    return failure();
  int64_t classes = intercepts->size();
  if (classes == 0)
    return n.error() << "'intercepts' is not set (one per class)";
  llvm::SmallVector<int64_t> labels = n.getInts("classlabels_ints");
  bool binary = classes == 1 && labels.size() == 2;
  if (classes > 1 && static_cast<int64_t>(labels.size()) != classes)
    return n.error() << "'classlabels_ints' has " << labels.size() << " labels for " << classes
                     << " classes";
  if (classes == 1 && labels.empty())
    labels = {0, 1};
  if (classes == 1 && labels.size() != 2)
    return n.error() << "a one-column model needs 2 class labels, not " << labels.size();
  // One score per row: ONNX Runtime's softmax of it, or its transform without
  // a second class, are cases no converter writes; refused rather than guessed.
  if (classes == 1 && (transform == "SOFTMAX" || (!binary && transform != "NONE")))
    return n.error() << "post_transform '" << transform << "' of a one-column model is not supported";
  Steps s{n};
  FailureOr<Value> x = floatFeatures(n, s);
  if (failed(x))
    return failure();
  FailureOr<Value> scores = linearScores(n, s, *x, classes);
  if (failed(scores))
    return failure();
  int64_t batch = cast<RankedTensorType>(scores->getType()).getDimSize(0);

  FailureOr<Value> label;
  if (classes == 1) {
    FailureOr<Value> positive = s.op(convertGreater, "Greater", {*scores, s.scalar(0.0f)});
    if (failed(positive))
      return failure();
    Value negativeLabel = n.constant(DenseElementsAttr::get(
        n.tensorType({}, n.builder.getI64Type()), llvm::ArrayRef<int64_t>{labels[0]}));
    Value positiveLabel = n.constant(DenseElementsAttr::get(
        n.tensorType({}, n.builder.getI64Type()), llvm::ArrayRef<int64_t>{labels[1]}));
    label = s.op(convertWhere, "Where", {*positive, positiveLabel, negativeLabel});
  } else {
    onnx::AttributeProto axis = intAttribute("axis", 1);
    onnx::AttributeProto keep = intAttribute("keepdims", 0);
    FailureOr<Value> best = s.op(convertArgMax, "ArgMax", {*scores}, {&axis, &keep});
    if (failed(best))
      return failure();
    label = s.op(convertGather, "Gather", {s.int64s(labels), *best});
  }
  if (failed(label))
    return failure();
  n.setOutput(0, n.reshape(*label, {batch}));

  FailureOr<Value> z = scores;
  if (binary) {
    FailureOr<Value> p = scores;
    if (transform == "LOGISTIC")
      p = s.op(convertSigmoid, "Sigmoid", {*scores});
    if (failed(p))
      return failure();
    FailureOr<Value> complement = s.op(convertSub, "Sub", {s.scalar(1.0f), *p});
    if (failed(complement))
      return failure();
    onnx::AttributeProto axis = intAttribute("axis", 1);
    z = s.op(convertConcat, "Concat", {*complement, *p}, {&axis});
  } else if (classes > 1 && transform == "LOGISTIC") {
    z = s.op(convertSigmoid, "Sigmoid", {*scores});
  } else if (classes > 1 && transform == "SOFTMAX") {
    onnx::AttributeProto axis = intAttribute("axis", 1);
    z = s.op(convertSoftmax, "Softmax", {*scores}, {&axis});
  }
  if (failed(z))
    return failure();
  n.setOutput(1, *z);
  return success();
}

/// Support vector regression as ONNX Runtime computes it: with n_supports
/// support vectors, y = sum_i coefficients[i] * K(x, sv_i) + rho[0], the
/// kernel LINEAR (x . sv), POLY ((gamma x . sv + coef0)^degree, an integer
/// degree), RBF (exp(-gamma |x - sv|^2), the differences summed feature by
/// feature) or SIGMOID (tanh(gamma x . sv + coef0)); without support vectors
/// (a linear SVM) y = x . coefficients + rho[0]. one_class gives +-1.
LogicalResult onnx_import::convertSVMRegressor(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"coefficients", "kernel_params", "kernel_type",
                                         "n_supports", "one_class", "post_transform", "rho",
                                         "support_vectors"})))
    return failure();
  if (postTransform(n) != "NONE")
    return n.error() << "post_transform '" << postTransform(n) << "' is not supported (NONE)";
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type.getElementType().isF32())
    return n.error() << "input of element type " << type.getElementType()
                     << " is not supported (float)";
  if (type.getRank() != 1 && type.getRank() != 2)
    return n.error() << "input of rank " << type.getRank() << " is not supported (1 or 2)";
  int64_t features = type.getShape().back();
  Value rows = n.reshape(*x, {type.getRank() == 1 ? 1 : type.getDimSize(0), features});
  FailureOr<std::vector<float>> coefficients = getFloats(n, "coefficients"),
                                rho = getFloats(n, "rho"), params = getFloats(n, "kernel_params"),
                                vectors = getFloats(n, "support_vectors");
  if (failed(coefficients) || failed(rho) || failed(params) || failed(vectors))
    return failure();
  if (rho->size() != 1)
    return n.error() << "'rho' has " << rho->size() << " values, not 1";
  if (!params->empty() && params->size() != 3)
    return n.error() << "'kernel_params' has " << params->size()
                     << " values, not 3 (gamma, coef0, degree)";
  float gamma = params->empty() ? 0.0f : (*params)[0];
  float coef0 = params->empty() ? 0.0f : (*params)[1];
  float degree = params->empty() ? 0.0f : (*params)[2];
  int64_t supports = n.getInt("n_supports", 0);
  std::string kernel = n.getString("kernel_type", "LINEAR");
  if (kernel != "LINEAR" && kernel != "POLY" && kernel != "RBF" && kernel != "SIGMOID")
    return n.error() << "kernel_type '" << kernel << "' is not LINEAR, POLY, RBF or SIGMOID";
  Steps s{n};
  auto gemm = [&](Value a, Value b, float alpha, float c) -> FailureOr<Value> {
    onnx::AttributeProto transB = intAttribute("transB", 1);
    onnx::AttributeProto alphaAttr;
    alphaAttr.set_name("alpha");
    alphaAttr.set_type(onnx::AttributeProto::FLOAT);
    alphaAttr.set_f(alpha);
    llvm::SmallVector<Value> inputs{a, b};
    if (c != 0.0f)
      inputs.push_back(s.floats({1}, {c}));
    return s.op(convertGemm, "Gemm", inputs, {&transB, &alphaAttr});
  };

  FailureOr<Value> y;
  if (supports <= 0) {
    // A linear SVM: the coefficients are the weights.
    if (static_cast<int64_t>(coefficients->size()) != features)
      return n.error() << "'coefficients' has " << coefficients->size() << " values for "
                       << features << " features";
    y = gemm(rows, s.floats({1, features}, *coefficients), 1.0f, (*rho)[0]);
  } else {
    if (static_cast<int64_t>(vectors->size()) != supports * features)
      return n.error() << "'support_vectors' has " << vectors->size() << " values, not "
                       << supports << " x " << features << " (n_supports x features)";
    if (static_cast<int64_t>(coefficients->size()) != supports)
      return n.error() << "'coefficients' has " << coefficients->size() << " values, not "
                       << supports << " (n_supports)";
    FailureOr<Value> k;
    if (kernel == "RBF") {
      int64_t batch = cast<RankedTensorType>(rows.getType()).getDimSize(0);
      Value column = n.reshape(rows, {batch, 1, features});
      FailureOr<Value> difference =
          s.op(convertSub, "Sub", {column, s.floats({1, supports, features}, *vectors)});
      if (failed(difference))
        return failure();
      FailureOr<Value> square = s.op(convertMul, "Mul", {*difference, *difference});
      if (failed(square))
        return failure();
      FailureOr<Value> distance =
          s.reduce(convertReduceSum, "ReduceSum", 13, *square, 2, /*keepdims=*/false);
      if (failed(distance))
        return failure();
      FailureOr<Value> scaled = s.op(convertMul, "Mul", {*distance, s.scalar(-gamma)});
      if (failed(scaled))
        return failure();
      k = s.op(convertExp, "Exp", {*scaled});
    } else {
      bool linear = kernel == "LINEAR";
      k = gemm(rows, s.floats({supports, features}, *vectors), linear ? 1.0f : gamma,
               linear ? 0.0f : coef0);
      if (succeeded(k) && kernel == "SIGMOID") {
        k = s.op(convertTanh, "Tanh", {*k});
      } else if (succeeded(k) && kernel == "POLY") {
        if (degree < 1 || degree != std::floor(degree) || degree > 16)
          return n.error() << "POLY kernel of degree " << degree
                           << " is not supported (an integer from 1 to 16)";
        Value base = *k;
        for (int i = 1; i < static_cast<int>(degree) && succeeded(k); ++i)
          k = s.op(convertMul, "Mul", {*k, base});
      }
    }
    if (failed(k))
      return failure();
    y = gemm(*k, s.floats({1, supports}, *coefficients), 1.0f, (*rho)[0]);
  }
  if (failed(y))
    return failure();
  if (n.getInt("one_class", 0) != 0) {
    FailureOr<Value> positive = s.op(convertGreater, "Greater", {*y, s.scalar(0.0f)});
    if (failed(positive))
      return failure();
    Value one = s.scalar(1.0f);
    Value minusOne = s.scalar(-1.0f);
    y = s.op(convertWhere, "Where", {*positive, one, minusOne});
    if (failed(y))
      return failure();
  }
  n.setOutput(0, *y);
  return success();
}

namespace {

/// An ints attribute (absent: empty), checked for its type.
FailureOr<std::vector<int64_t>> getIntList(NodeImporter &n, llvm::StringRef name) {
  const onnx::AttributeProto *attr = n.attribute(name);
  if (!attr)
    return std::vector<int64_t>();
  if (attr->type() != onnx::AttributeProto::INTS)
    return n.error() << "attribute '" << name << "' is not a list of ints", failure();
  return std::vector<int64_t>(attr->ints().begin(), attr->ints().end());
}

/// The comparisons of a branch node; LEAF ends a path.
enum class Branch { leq, lt, gte, gt, eq, neq, leaf };

/// A tree ensemble's nodes as tables indexed by a node number across all
/// trees, for the walk in convertTreeEnsemble: a leaf's successors are
/// itself, so that walking past the end of a shorter path stays put.
struct Forest {
  std::vector<int64_t> roots, feature, onTrue, onFalse;
  std::vector<float> threshold;
  std::vector<Branch> branch;
  std::vector<bool> missingTracksTrue;
  /// The leaf weights, [node][output] summed per output.
  std::vector<float> leafValues;
  int64_t outputs = 0, depth = 0;
  size_t size() const { return feature.size(); }
};

/// Reads the nodes_* attributes and the leaf weights (`prefix`_treeids,
/// _nodeids, _ids, _weights) into a Forest, checking what ONNX Runtime
/// checks and refusing what it does not define.
FailureOr<Forest> readForest(NodeImporter &n, llvm::StringRef prefix, int64_t outputs,
                             int64_t features) {
  for (llvm::StringRef tensorForm : {"nodes_values_as_tensor", "base_values_as_tensor",
                                     "target_weights_as_tensor", "class_weights_as_tensor"})
    if (n.attribute(tensorForm))
      return n.error() << "'" << tensorForm << "' (double precision) is not supported", failure();
  FailureOr<std::vector<int64_t>> treeIds = getIntList(n, "nodes_treeids"),
                                  nodeIds = getIntList(n, "nodes_nodeids"),
                                  featureIds = getIntList(n, "nodes_featureids"),
                                  trueIds = getIntList(n, "nodes_truenodeids"),
                                  falseIds = getIntList(n, "nodes_falsenodeids"),
                                  tracks = getIntList(n, "nodes_missing_value_tracks_true");
  FailureOr<std::vector<float>> values = getFloats(n, "nodes_values");
  std::string leafPrefix = prefix.str();
  FailureOr<std::vector<int64_t>> leafTrees = getIntList(n, leafPrefix + "_treeids"),
                                  leafNodes = getIntList(n, leafPrefix + "_nodeids"),
                                  leafOutputs = getIntList(n, leafPrefix + "_ids");
  FailureOr<std::vector<float>> leafWeights = getFloats(n, leafPrefix + "_weights");
  if (failed(treeIds) || failed(nodeIds) || failed(featureIds) || failed(trueIds) ||
      failed(falseIds) || failed(tracks) || failed(values) || failed(leafTrees) ||
      failed(leafNodes) || failed(leafOutputs) || failed(leafWeights))
    return failure();
  const onnx::AttributeProto *modes = n.attribute("nodes_modes");
  size_t count = treeIds->size();
  if (count == 0)
    return n.error() << "the ensemble has no nodes", failure();
  if (nodeIds->size() != count || featureIds->size() != count || trueIds->size() != count ||
      falseIds->size() != count || values->size() != count || !modes ||
      static_cast<size_t>(modes->strings_size()) != count ||
      (!tracks->empty() && tracks->size() != count))
    return n.error() << "the nodes_* attributes do not all have one entry per node (" << count
                     << " nodes)",
           failure();
  if (leafNodes->size() != leafTrees->size() || leafOutputs->size() != leafTrees->size() ||
      leafWeights->size() != leafTrees->size())
    return n.error() << "the " << prefix << "_* attributes do not all have one entry per weight",
           failure();

  Forest forest;
  forest.outputs = outputs;
  std::map<std::pair<int64_t, int64_t>, int64_t> index;
  std::vector<int64_t> treeOrder;
  for (size_t i = 0; i < count; ++i) {
    if (!index.emplace(std::make_pair((*treeIds)[i], (*nodeIds)[i]), i).second)
      return n.error() << "node " << (*nodeIds)[i] << " of tree " << (*treeIds)[i]
                       << " appears twice",
             failure();
    if (!llvm::is_contained(treeOrder, (*treeIds)[i]))
      treeOrder.push_back((*treeIds)[i]);
  }
  forest.feature.resize(count);
  forest.threshold.resize(count);
  forest.onTrue.resize(count);
  forest.onFalse.resize(count);
  forest.branch.resize(count);
  forest.missingTracksTrue.assign(count, false);
  std::vector<bool> isChild(count, false);
  for (size_t i = 0; i < count; ++i) {
    std::string mode = modes->strings(i);
    Branch kind = llvm::StringSwitch<Branch>(mode)
                      .Case("BRANCH_LEQ", Branch::leq)
                      .Case("BRANCH_LT", Branch::lt)
                      .Case("BRANCH_GTE", Branch::gte)
                      .Case("BRANCH_GT", Branch::gt)
                      .Case("BRANCH_EQ", Branch::eq)
                      .Case("BRANCH_NEQ", Branch::neq)
                      .Case("LEAF", Branch::leaf)
                      .Default(static_cast<Branch>(-1));
    if (kind == static_cast<Branch>(-1))
      return n.error() << "node mode '" << mode << "' is not one of ONNX's", failure();
    forest.branch[i] = kind;
    if (kind == Branch::leaf) {
      forest.onTrue[i] = forest.onFalse[i] = i;
      continue;
    }
    int64_t feature = (*featureIds)[i];
    if (feature < 0 || feature >= features)
      return n.error() << "node " << (*nodeIds)[i] << " of tree " << (*treeIds)[i]
                       << " reads feature " << feature << " of " << features,
             failure();
    forest.feature[i] = feature;
    forest.threshold[i] = (*values)[i];
    forest.missingTracksTrue[i] = !tracks->empty() && (*tracks)[i] != 0;
    for (auto [target, successor] : {std::make_pair(&forest.onTrue[i], (*trueIds)[i]),
                                     std::make_pair(&forest.onFalse[i], (*falseIds)[i])}) {
      auto it = index.find({(*treeIds)[i], successor});
      if (it == index.end())
        return n.error() << "node " << (*nodeIds)[i] << " of tree " << (*treeIds)[i]
                         << " branches to node " << successor << ", which the tree does not have",
               failure();
      *target = it->second;
      isChild[it->second] = true;
    }
  }
  // Each tree's root: its one node that no node branches to.
  for (int64_t tree : treeOrder) {
    int64_t root = -1;
    for (size_t i = 0; i < count; ++i)
      if ((*treeIds)[i] == tree && !isChild[i]) {
        if (root >= 0)
          return n.error() << "tree " << tree << " has more than one root", failure();
        root = i;
      }
    if (root < 0)
      return n.error() << "tree " << tree << " has no root (its branches form a cycle)", failure();
    forest.roots.push_back(root);
  }
  // The depth of the deepest path, which bounds the walk; a node met twice
  // on one path is a cycle.
  for (int64_t root : forest.roots) {
    std::vector<std::pair<int64_t, int64_t>> stack{{root, 0}};
    while (!stack.empty()) {
      auto [node, depth] = stack.back();
      stack.pop_back();
      if (depth > static_cast<int64_t>(count))
        return n.error() << "the branches of tree " << (*treeIds)[root] << " form a cycle",
               failure();
      forest.depth = std::max(forest.depth, depth);
      if (forest.branch[node] != Branch::leaf) {
        stack.push_back({forest.onTrue[node], depth + 1});
        stack.push_back({forest.onFalse[node], depth + 1});
      }
    }
  }
  forest.leafValues.assign(count * outputs, 0.0f);
  std::vector<std::vector<bool>> weighted(count, std::vector<bool>(outputs, false));
  for (size_t w = 0; w < leafTrees->size(); ++w) {
    auto it = index.find({(*leafTrees)[w], (*leafNodes)[w]});
    if (it == index.end() || forest.branch[it->second] != Branch::leaf)
      return n.error() << "a weight names node " << (*leafNodes)[w] << " of tree "
                       << (*leafTrees)[w] << ", which is not a leaf of the ensemble",
             failure();
    int64_t output = (*leafOutputs)[w];
    if (output < 0 || output >= outputs)
      return n.error() << "a weight is for output " << output << " of " << outputs, failure();
    forest.leafValues[it->second * outputs + output] += (*leafWeights)[w];
    weighted[it->second][output] = true;
  }
  // ONNX Runtime leaves an output that no reached leaf weighs out of the
  // class vote; tinyc computes with every output, so it wants every leaf to
  // weigh every output (as converters write them).
  for (size_t i = 0; i < count; ++i)
    if (forest.branch[i] == Branch::leaf)
      for (int64_t o = 0; o < outputs; ++o)
        if (!weighted[i][o])
          return n.error() << "leaf " << (*nodeIds)[i] << " of tree " << (*treeIds)[i]
                           << " has no weight for output " << o
                           << " (every leaf must weigh every output)",
                 failure();
  return forest;
}

/// The per-row, per-output sum of the leaves the rows reach in each tree:
/// every tree is walked at once, `depth` steps, the current node of each
/// (row, tree) a tensor that gathers its feature, threshold and successors
/// from the node tables.
FailureOr<Value> walkForest(NodeImporter &n, Steps &s, const Forest &forest, Value x) {
  auto xType = cast<RankedTensorType>(x.getType());
  int64_t rows = xType.getDimSize(0), trees = forest.roots.size(),
          nodes = forest.size();
  auto i64Table = [&](llvm::ArrayRef<int64_t> values) {
    return n.constant(DenseElementsAttr::get(
        n.tensorType({static_cast<int64_t>(values.size())}, n.builder.getI64Type()), values));
  };
  auto boolTable = [&](auto predicate) {
    llvm::SmallVector<bool> values;
    for (int64_t i = 0; i < nodes; ++i)
      values.push_back(predicate(i));
    return n.constant(
        DenseElementsAttr::get(n.tensorType({nodes}, n.builder.getI1Type()), values));
  };
  std::vector<int64_t> start;
  for (int64_t r = 0; r < rows; ++r)
    start.insert(start.end(), forest.roots.begin(), forest.roots.end());
  Value node = n.constant(DenseElementsAttr::get(
      n.tensorType({rows, trees}, n.builder.getI64Type()), llvm::ArrayRef<int64_t>(start)));
  Value featureTable = i64Table(forest.feature);
  Value thresholdTable = s.floats({nodes}, forest.threshold);
  Value trueTable = i64Table(forest.onTrue), falseTable = i64Table(forest.onFalse);
  llvm::SmallVector<Branch> kinds;
  for (Branch b : forest.branch)
    if (b != Branch::leaf && !llvm::is_contained(kinds, b))
      kinds.push_back(b);
  bool tracking = llvm::is_contained(forest.missingTracksTrue, true);
  onnx::AttributeProto axis1 = intAttribute("axis", 1);

  for (int64_t step = 0; step < forest.depth; ++step) {
    FailureOr<Value> feature = s.op(convertGather, "Gather", {featureTable, node});
    if (failed(feature))
      return failure();
    FailureOr<Value> v = s.op(convertGatherElements, "GatherElements", {x, *feature}, {&axis1});
    if (failed(v))
      return failure();
    FailureOr<Value> threshold = s.op(convertGather, "Gather", {thresholdTable, node});
    if (failed(threshold))
      return failure();
    FailureOr<Value> cond;
    for (Branch kind : kinds) {
      FailureOr<Value> c;
      switch (kind) {
      case Branch::leq: c = s.op(convertLessOrEqual, "LessOrEqual", {*v, *threshold}); break;
      case Branch::lt: c = s.op(convertLess, "Less", {*v, *threshold}); break;
      case Branch::gte: c = s.op(convertGreaterOrEqual, "GreaterOrEqual", {*v, *threshold}); break;
      case Branch::gt: c = s.op(convertGreater, "Greater", {*v, *threshold}); break;
      case Branch::eq: c = s.op(convertEqual, "Equal", {*v, *threshold}); break;
      case Branch::neq: {
        FailureOr<Value> equal = s.op(convertEqual, "Equal", {*v, *threshold});
        if (failed(equal))
          return failure();
        c = s.op(convertNot, "Not", {*equal});
        break;
      }
      case Branch::leaf: break;
      }
      if (failed(c))
        return failure();
      if (kinds.size() > 1) {
        // Mixed comparisons: each applies at the nodes of its kind.
        Value isKind = boolTable([&](int64_t i) { return forest.branch[i] == kind; });
        FailureOr<Value> here = s.op(convertGather, "Gather", {isKind, node});
        if (failed(here))
          return failure();
        c = s.op(convertAnd, "And", {*here, *c});
        if (failed(c))
          return failure();
      }
      cond = succeeded(cond) && *cond ? s.op(convertOr, "Or", {*cond, *c}) : c;
      if (failed(cond))
        return failure();
    }
    if (kinds.empty())
      break; // every tree is a single leaf
    if (tracking) {
      Value tracks = boolTable([&](int64_t i) { return forest.missingTracksTrue[i]; });
      FailureOr<Value> here = s.op(convertGather, "Gather", {tracks, node});
      if (failed(here))
        return failure();
      FailureOr<Value> missing = s.op(convertIsNaN, "IsNaN", {*v});
      if (failed(missing))
        return failure();
      FailureOr<Value> follows = s.op(convertAnd, "And", {*here, *missing});
      if (failed(follows))
        return failure();
      cond = s.op(convertOr, "Or", {*cond, *follows});
      if (failed(cond))
        return failure();
    }
    FailureOr<Value> onTrue = s.op(convertGather, "Gather", {trueTable, node});
    if (failed(onTrue))
      return failure();
    FailureOr<Value> onFalse = s.op(convertGather, "Gather", {falseTable, node});
    if (failed(onFalse))
      return failure();
    FailureOr<Value> next = s.op(convertWhere, "Where", {*cond, *onTrue, *onFalse});
    if (failed(next))
      return failure();
    node = *next;
  }
  Value leafTable = s.floats({nodes, forest.outputs}, forest.leafValues);
  FailureOr<Value> leaves = s.op(convertGather, "Gather", {leafTable, node});
  if (failed(leaves))
    return failure();
  return s.reduce(convertReduceSum, "ReduceSum", 13, *leaves, 1, /*keepdims=*/false);
}

/// Input 0 of a tree ensemble: float32 [N, F].
FailureOr<Value> treeFeatures(NodeImporter &n) {
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  if (!type.getElementType().isF32())
    return n.error() << "input of element type " << type.getElementType()
                     << " is not supported (float)";
  if (type.getRank() != 2)
    return n.error() << "input of rank " << type.getRank() << " is not supported (2: rows x features)";
  return x;
}

} // namespace

/// Regression forests (scikit-learn's trees, random forests, gradient
/// boosting): the sum (SUM) or mean (AVERAGE) over the trees of the weights
/// of the leaf each tree's walk reaches, plus base_values.
LogicalResult onnx_import::convertTreeEnsembleRegressor(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes(
          {"aggregate_function", "base_values", "n_targets", "nodes_falsenodeids",
           "nodes_featureids", "nodes_hitrates", "nodes_missing_value_tracks_true", "nodes_modes",
           "nodes_nodeids", "nodes_treeids", "nodes_truenodeids", "nodes_values", "post_transform",
           "target_ids", "target_nodeids", "target_treeids", "target_weights",
           "nodes_values_as_tensor", "base_values_as_tensor", "target_weights_as_tensor",
           "nodes_hitrates_as_tensor"})))
    return failure();
  if (postTransform(n) != "NONE")
    return n.error() << "post_transform '" << postTransform(n) << "' is not supported (NONE)";
  std::string aggregate = n.getString("aggregate_function", "SUM");
  if (aggregate != "SUM" && aggregate != "AVERAGE")
    return n.error() << "aggregate_function '" << aggregate << "' is not supported (SUM, AVERAGE)";
  FailureOr<Value> x = treeFeatures(n);
  if (failed(x))
    return failure();
  int64_t targets = n.getInt("n_targets", 1);
  if (targets < 1)
    return n.error() << "n_targets " << targets << " is not positive";
  FailureOr<Forest> forest = readForest(n, "target", targets, n.inputType(0).getDimSize(1));
  if (failed(forest))
    return failure();
  FailureOr<std::vector<float>> base = getFloats(n, "base_values");
  if (failed(base))
    return failure();
  if (!base->empty() && static_cast<int64_t>(base->size()) != targets)
    return n.error() << "'base_values' has " << base->size() << " values for " << targets
                     << " targets";
  Steps s{n};
  FailureOr<Value> y = walkForest(n, s, *forest, *x);
  if (succeeded(y) && aggregate == "AVERAGE")
    y = s.op(convertDiv, "Div", {*y, s.scalar(static_cast<float>(forest->roots.size()))});
  if (succeeded(y) && !base->empty())
    y = s.op(convertAdd, "Add", {*y, s.floats({targets}, *base)});
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

/// Classification forests with three or more classes: per class the sum
/// over the trees of the reached leaves' weights plus base_values; the label
/// is the first class of the largest sum, the scores go through
/// post_transform. ONNX Runtime's two-class rules (a label from the sign of
/// one class's score, whatever the other's) are refused, not guessed.
LogicalResult onnx_import::convertTreeEnsembleClassifier(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes(
          {"base_values", "class_ids", "class_nodeids", "class_treeids", "class_weights",
           "classlabels_int64s", "classlabels_strings", "nodes_falsenodeids", "nodes_featureids",
           "nodes_hitrates", "nodes_missing_value_tracks_true", "nodes_modes", "nodes_nodeids",
           "nodes_treeids", "nodes_truenodeids", "nodes_values", "post_transform",
           "nodes_values_as_tensor", "base_values_as_tensor", "class_weights_as_tensor",
           "nodes_hitrates_as_tensor"})))
    return failure();
  if (failed(rejectStringLabels(n)))
    return failure();
  std::string transform = postTransform(n);
  if (transform != "NONE" && transform != "LOGISTIC" && transform != "SOFTMAX")
    return n.error() << "post_transform '" << transform
                     << "' is not supported (NONE, LOGISTIC or SOFTMAX)";
  llvm::SmallVector<int64_t> labels = n.getInts("classlabels_int64s");
  int64_t classes = labels.size();
  if (classes < 3)
    return n.error() << "a tree classifier of " << classes
                     << " classes is not supported (3 or more; ONNX Runtime's two-class rules "
                        "are not implemented)";
  FailureOr<Value> x = treeFeatures(n);
  if (failed(x))
    return failure();
  FailureOr<Forest> forest = readForest(n, "class", classes, n.inputType(0).getDimSize(1));
  if (failed(forest))
    return failure();
  FailureOr<std::vector<float>> base = getFloats(n, "base_values");
  if (failed(base))
    return failure();
  if (!base->empty() && static_cast<int64_t>(base->size()) != classes)
    return n.error() << "'base_values' has " << base->size() << " values for " << classes
                     << " classes";
  Steps s{n};
  FailureOr<Value> scores = walkForest(n, s, *forest, *x);
  if (succeeded(scores) && !base->empty())
    scores = s.op(convertAdd, "Add", {*scores, s.floats({classes}, *base)});
  if (failed(scores))
    return failure();
  onnx::AttributeProto axis = intAttribute("axis", 1);
  onnx::AttributeProto keep = intAttribute("keepdims", 0);
  FailureOr<Value> best = s.op(convertArgMax, "ArgMax", {*scores}, {&axis, &keep});
  if (failed(best))
    return failure();
  FailureOr<Value> label = s.op(convertGather, "Gather", {s.int64s(labels), *best});
  if (failed(label))
    return failure();
  n.setOutput(0, *label);
  FailureOr<Value> z = scores;
  if (transform == "LOGISTIC")
    z = s.op(convertSigmoid, "Sigmoid", {*scores});
  else if (transform == "SOFTMAX")
    z = s.op(convertSoftmax, "Softmax", {*scores}, {&axis});
  if (failed(z))
    return failure();
  n.setOutput(1, *z);
  return success();
}
