//===- Scratch.h - arena scratch of the operators' kernels ------*- C++ -*-===//
//
// Some kernels want working memory of their own for the time their operator
// runs (the int8 GEMM's widened windows). tinyc-plan-memory asks
// scratchBytes for each operation, places what is asked as a buffer live
// only during that operation, and records its offset in the arena as
// `tinyc.scratch_offset`; the lowering takes the kernel with scratch where
// that attribute is, and the one without it elsewhere.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_TRANSFORMS_SCRATCH_H
#define TINYC_TRANSFORMS_SCRATCH_H

#include "tinyc/Dialect/TinycDialect.h"

#include "mlir/IR/Matchers.h"

namespace mlir::tinyc {

inline constexpr llvm::StringLiteral kScratchOffsetAttr = "tinyc.scratch_offset";

/// Output positions per block of the int8 GEMM: each weight word is widened
/// once and serves this many positions' windows.
inline constexpr int64_t kGemmPositions = 4;

/// The reduction length of a qconv (kernel taps x input channels per group)
/// if the int8 GEMM kernel can take it: a 2-d convolution of one group with
/// constant weights, a signed input, a reduction of whole words and at least
/// a block of output positions; 0 otherwise.
inline int64_t gemmReduction(QConvOp op) {
  auto wShape = op.getWeight().getType().getShape();
  auto outShape = op.getType().getShape();
  if (op.getGroup() != 1 || op.getNumSpatialDims() != 2 ||
      op.getInput().getType().getElementType().isUnsignedInteger() ||
      !matchPattern(op.getWeight(), m_Constant()))
    return 0;
  int64_t k = wShape[1] * wShape[2] * wShape[3];
  int64_t positions = outShape[0] * outShape[1] * outShape[2];
  if (k == 0 || k % 4 != 0 || positions < kGemmPositions || wShape[0] == 0)
    return 0;
  return k;
}

/// The scratch bytes an operation's kernel asks for on a core with the Arm
/// DSP extension (`armDsp`), 0 for none: the int8 GEMM's block of windows,
/// each word of four int8 taps as two int16 pairs per position.
inline int64_t scratchBytes(Operation *op, bool armDsp) {
  auto qconv = dyn_cast<QConvOp>(op);
  if (!armDsp || !qconv)
    return 0;
  return gemmReduction(qconv) * kGemmPositions * 2;
}

} // namespace mlir::tinyc

#endif // TINYC_TRANSFORMS_SCRATCH_H
