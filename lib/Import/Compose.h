//===- Compose.h - operators written in other ONNX operators ----*- C++ -*-===//
//
// Private to the importer. Converters that compose an operator from
// default-domain ONNX operators (the ai.onnx.ml operators, the recurrent
// layers) build each step through NodeImporter::convertAs, so that every step
// gets that operator's checks and shape rules, and their constants here.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_LIB_IMPORT_COMPOSE_H
#define TINYC_LIB_IMPORT_COMPOSE_H

#include "NodeImporter.h"

namespace mlir::tinyc::onnx_import {

inline onnx::AttributeProto intAttribute(llvm::StringRef name, int64_t value) {
  onnx::AttributeProto attr;
  attr.set_name(name.str());
  attr.set_type(onnx::AttributeProto::INT);
  attr.set_i(value);
  return attr;
}

inline onnx::AttributeProto floatAttribute(llvm::StringRef name, float value) {
  onnx::AttributeProto attr;
  attr.set_name(name.str());
  attr.set_type(onnx::AttributeProto::FLOAT);
  attr.set_f(value);
  return attr;
}

inline onnx::AttributeProto intsAttribute(llvm::StringRef name, llvm::ArrayRef<int64_t> values) {
  onnx::AttributeProto attr;
  attr.set_name(name.str());
  attr.set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values)
    attr.add_ints(v);
  return attr;
}

/// The steps of a composed operator, each a default-domain ONNX operator
/// converted at the node being imported.
struct Steps {
  NodeImporter &n;

  FailureOr<Value> op(ConvertFn convert, llvm::StringRef type, llvm::ArrayRef<Value> inputs,
                      llvm::ArrayRef<const onnx::AttributeProto *> attributes = {}) {
    return n.convertAs(convert, type, inputs, attributes);
  }
  FailureOr<Value> toFloat(Value x) {
    if (cast<RankedTensorType>(x.getType()).getElementType().isF32())
      return x;
    onnx::AttributeProto to = intAttribute("to", onnx::TensorProto::FLOAT);
    return op(convertCast, "Cast", {x}, {&to});
  }
  Value floats(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<float> values) {
    auto type = n.tensorType(shape, n.builder.getF32Type());
    return n.constant(DenseElementsAttr::get(type, values));
  }
  Value scalar(float value) { return floats({}, {value}); }
  Value int64s(llvm::ArrayRef<int64_t> values) {
    auto type = n.tensorType({static_cast<int64_t>(values.size())}, n.builder.getI64Type());
    return n.constant(DenseElementsAttr::get(type, values));
  }
  /// The reduction `type` (its converter `convert`) of v over one axis, in the
  /// form of the model's opset: axes an input from `axesInputSince` (13 for
  /// ReduceSum, 18 for the others), an attribute before.
  FailureOr<Value> reduce(ConvertFn convert, llvm::StringRef type, int64_t axesInputSince, Value v,
                          int64_t axis, bool keepdims) {
    onnx::AttributeProto keep = intAttribute("keepdims", keepdims);
    if (n.opset >= axesInputSince)
      return op(convert, type, {v, int64s({axis})}, {&keep});
    onnx::AttributeProto axes = intsAttribute("axes", {axis});
    return op(convert, type, {v}, {&axes, &keep});
  }
  /// v[..., start:end, ...] along `axis`, in the Slice form of the model's opset.
  FailureOr<Value> slice(Value v, int64_t axis, int64_t start, int64_t end) {
    if (n.opset >= 10)
      return op(convertSlice, "Slice", {v, int64s({start}), int64s({end}), int64s({axis})});
    onnx::AttributeProto starts = intsAttribute("starts", {start}),
                         ends = intsAttribute("ends", {end}), axes = intsAttribute("axes", {axis});
    return op(convertSlice, "Slice", {v}, {&starts, &ends, &axes});
  }
};

} // namespace mlir::tinyc::onnx_import

#endif // TINYC_LIB_IMPORT_COMPOSE_H
