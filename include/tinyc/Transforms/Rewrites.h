//===- Rewrites.h - helpers shared by tinyc's rewriting passes --*- C++ -*-===//

#ifndef TINYC_TRANSFORMS_REWRITES_H
#define TINYC_TRANSFORMS_REWRITES_H

#include "tinyc/Dialect/TinycDialect.h"

#include "mlir/IR/PatternMatch.h"

#include <vector>

namespace mlir::tinyc {

/// The attribute listing what the passes did to an operator, for --report:
/// an array of strings such as "fold-batchnorm" or "factorize-conv rank 1".
inline constexpr llvm::StringLiteral kAppliedAttr = "tinyc.applied";

/// Records on `op` that `what` was applied, after what `from` (the operators
/// it replaces) had recorded.
void recordApplied(Operation *op, llvm::StringRef what, llvm::ArrayRef<Operation *> from = {});

/// A float32 constant's values, or nothing if `v` is not one.
std::optional<std::vector<float>> readConstantFloats(Value v);

/// A float32 constant of `shape`.
Value makeConstantFloats(OpBuilder &b, Location loc, llvm::ArrayRef<int64_t> shape,
                         llvm::ArrayRef<float> values);

/// Gemm's C scaled by beta, as the bias of an op that has no beta: a new
/// constant when C is one, C itself when beta is 1, otherwise failure. A null
/// C gives a null bias.
FailureOr<Value> gemmBiasTimesBeta(OpBuilder &b, Location loc, Value c, float beta);

/// Whether `v` is produced by an op of type OpTy that nothing else uses.
template <typename OpTy>
OpTy getSoleProducer(Value v) {
  auto op = v.getDefiningOp<OpTy>();
  return op && op->hasOneUse() ? op : OpTy();
}

} // namespace mlir::tinyc

#endif // TINYC_TRANSFORMS_REWRITES_H
