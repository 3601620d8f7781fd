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

/// The low-rank factorizations (tinyc-factorize-conv, tinyc-factorize-matrices)
/// take a rank whose relative Frobenius weight error is at most this as exact:
/// it is float32 rounding of the weights themselves.
inline constexpr double kExactFactorizationTolerance = 1e-6;

/// Whether a factorization tolerance is in [0, 1); if not, says so on `op`.
LogicalResult checkFactorizationTolerance(Operation *op, double tolerance);

/// Records on `op` that `what` was applied, after what `from` (the operators
/// it replaces) had recorded.
void recordApplied(Operation *op, llvm::StringRef what, llvm::ArrayRef<Operation *> from = {});

/// A float32 constant's values, or nothing if `v` is not one.
std::optional<std::vector<float>> readConstantFloats(Value v);

/// A float32 constant of `shape`.
Value makeConstantFloats(OpBuilder &b, Location loc, llvm::ArrayRef<int64_t> shape,
                         llvm::ArrayRef<float> values);

/// A Gemm or a 2-d MatMul whose B is a float32 constant and whose result is
/// float32, seen as alpha * op(a) * op(B) + beta * c: what the passes that
/// rewrite constant weights read from either op.
struct ConstantProduct {
  Operation *op = nullptr;
  Value a, b, c; ///< c is null when there is none
  bool transA = false, transB = false;
  float alpha = 1.0f, beta = 1.0f;
  ActivationAttr act;
  FakeQuantAttr quant;
  std::vector<float> weight; ///< B's values as stored (n x k when transB)
  int64_t k = 0, n = 0;      ///< op(B) is k x n

  /// Row (0..k) and column (0..n) of B's `index`-th stored value.
  int64_t rowOf(int64_t index) const { return transB ? index % k : index / n; }
  int64_t columnOf(int64_t index) const { return transB ? index / k : index % n; }
  /// B[row][column], wherever transB stores it.
  float at(int64_t row, int64_t column) const {
    return weight[transB ? column * k + row : row * n + column];
  }
};

/// `op` as a ConstantProduct, or nothing if it is not one.
std::optional<ConstantProduct> matchConstantProduct(Operation *op);

/// The product's C scaled by beta, as the bias of an op that has no beta: a
/// new constant when C is one, C itself when beta is 1, otherwise failure. No
/// C gives a null bias.
FailureOr<Value> productBias(OpBuilder &b, const ConstantProduct &product);

/// Whether `v` is produced by an op of type OpTy that nothing else uses.
template <typename OpTy>
OpTy getSoleProducer(Value v) {
  auto op = v.getDefiningOp<OpTy>();
  return op && op->hasOneUse() ? op : OpTy();
}

} // namespace mlir::tinyc

#endif // TINYC_TRANSFORMS_REWRITES_H
