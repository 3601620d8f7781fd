//===- Rewrites.cpp - helpers shared by tinyc's rewriting passes ----------===//

#include "tinyc/Transforms/Rewrites.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::tinyc;

void tinyc::recordApplied(Operation *op, llvm::StringRef what, llvm::ArrayRef<Operation *> from) {
  Builder b(op->getContext());
  llvm::SmallVector<Attribute> applied;
  auto append = [&](Operation *source) {
    if (auto previous = source->getAttrOfType<ArrayAttr>(kAppliedAttr))
      for (Attribute a : previous)
        if (!llvm::is_contained(applied, a))
          applied.push_back(a);
  };
  append(op);
  for (Operation *source : from)
    if (source != op)
      append(source);
  Attribute entry = b.getStringAttr(what);
  if (!llvm::is_contained(applied, entry))
    applied.push_back(entry);
  op->setAttr(kAppliedAttr, b.getArrayAttr(applied));
}

std::optional<std::vector<float>> tinyc::readConstantFloats(Value v) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) || !attr.getElementType().isF32())
    return std::nullopt;
  auto values = attr.getValues<float>();
  return std::vector<float>(values.begin(), values.end());
}

Value tinyc::makeConstantFloats(OpBuilder &b, Location loc, llvm::ArrayRef<int64_t> shape,
                                llvm::ArrayRef<float> values) {
  auto type = RankedTensorType::get(shape, b.getF32Type());
  return b.create<ConstantOp>(loc, DenseElementsAttr::get(type, values));
}

FailureOr<Value> tinyc::gemmBiasTimesBeta(OpBuilder &b, Location loc, Value c, float beta) {
  if (!c)
    return Value();
  // beta folds into a constant C; one known only at run time must be 1.
  if (std::optional<std::vector<float>> values = readConstantFloats(c)) {
    for (float &v : *values)
      v *= beta;
    return makeConstantFloats(b, loc, cast<RankedTensorType>(c.getType()).getShape(), *values);
  }
  if (beta == 1.0f)
    return c;
  return failure();
}
