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

LogicalResult tinyc::checkFactorizationTolerance(Operation *op, double tolerance) {
  if (tolerance >= 0.0 && tolerance < 1.0)
    return success();
  return op->emitError() << "factorization tolerance " << tolerance << " is not in [0, 1)";
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

std::optional<ConstantProduct> tinyc::matchConstantProduct(Operation *op) {
  ConstantProduct p;
  p.op = op;
  if (auto gemm = dyn_cast<GemmOp>(op)) {
    p.a = gemm.getA();
    p.b = gemm.getB();
    p.c = gemm.getC();
    p.transA = gemm.getTransA();
    p.transB = gemm.getTransB();
    p.alpha = gemm.getAlpha().convertToFloat();
    p.beta = gemm.getBeta().convertToFloat();
    p.act = gemm.getActAttr();
    p.quant = gemm.getQuantAttr();
  } else if (auto matmul = dyn_cast<MatMulOp>(op)) {
    if (matmul.getLhs().getType().getRank() != 2 || matmul.getRhs().getType().getRank() != 2)
      return std::nullopt;
    p.a = matmul.getLhs();
    p.b = matmul.getRhs();
    p.act = matmul.getActAttr();
    p.quant = matmul.getQuantAttr();
  } else {
    return std::nullopt;
  }
  std::optional<std::vector<float>> weight = readConstantFloats(p.b);
  if (!weight || !cast<RankedTensorType>(op->getResult(0).getType()).getElementType().isF32())
    return std::nullopt;
  p.weight = std::move(*weight);
  auto bShape = cast<RankedTensorType>(p.b.getType()).getShape();
  p.k = p.transB ? bShape[1] : bShape[0];
  p.n = p.transB ? bShape[0] : bShape[1];
  return p;
}

FailureOr<Value> tinyc::productBias(OpBuilder &b, const ConstantProduct &product) {
  Value c = product.c;
  if (!c)
    return Value();
  // beta folds into a constant C; one known only at run time must be 1.
  if (std::optional<std::vector<float>> values = readConstantFloats(c)) {
    for (float &v : *values)
      v *= product.beta;
    return makeConstantFloats(b, product.op->getLoc(),
                              cast<RankedTensorType>(c.getType()).getShape(), *values);
  }
  if (product.beta == 1.0f)
    return c;
  return failure();
}
