//===- CheckTargetLimits.cpp - what the target cannot hold ----------------===//
//
// A model that compiles must be one the target can run: on a 32-bit target a
// tensor of 2^31 bytes or more has offsets the generated code cannot form, and
// weights or an arena beyond the target's memory do not link or do not fit.
// Sizes are computed with overflow checks, so that a wrapped size never
// passes for a small one.
//
//===----------------------------------------------------------------------===//

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Dialect/TinycShapes.h"
#include "tinyc/Transforms/Passes.h"

#include "llvm/Support/CheckedArithmetic.h"

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCCHECKTARGETLIMITS
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

struct CheckTargetLimitsPass : tinyc::impl::TinycCheckTargetLimitsBase<CheckTargetLimitsPass> {
  using TinycCheckTargetLimitsBase::TinycCheckTargetLimitsBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    unsigned bits = indexBitwidth;
    int64_t flash = flashBytes, ram = ramBytes;
    // The largest size and index the generated code can form.
    int64_t limit = bits >= 64 ? INT64_MAX : (int64_t{1} << (bits - 1)) - 1;
    // One error: the first tensor too large usually makes the ones after it
    // too large as well.
    bool ok = true;
    auto checkTensor = [&](Type type, llvm::function_ref<InFlightDiagnostic()> emit) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      if (!tensor || !ok)
        return std::optional<int64_t>(0);
      std::optional<int64_t> bytes =
          getCheckedByteSize(tensor.getShape(), tensor.getElementType());
      if (!bytes || *bytes > limit) {
        InFlightDiagnostic diag = emit();
        std::string elementType;
        llvm::raw_string_ostream(elementType) << tensor.getElementType();
        diag << "of shape " << formatShape(tensor.getShape()) << " and type " << elementType
             << " takes ";
        if (bytes)
          diag << *bytes << " bytes";
        else
          diag << "more bytes than 64 bits can count";
        diag << "; a " << bits << "-bit target addresses at most " << limit;
        ok = false;
        return std::optional<int64_t>();
      }
      return bytes;
    };

    for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
      checkTensor(type, [&, i = i] {
        auto name = func.getArgAttrOfType<StringAttr>(i, kNameAttr);
        return func.emitError() << "graph input '" << (name ? name.getValue() : "") << "' ";
      });
    for (auto [i, type] : llvm::enumerate(func.getResultTypes()))
      checkTensor(type, [&, i = i] {
        auto name = func.getResultAttrOfType<StringAttr>(i, kNameAttr);
        return func.emitError() << "graph output '" << (name ? name.getValue() : "") << "' ";
      });

    int64_t weightBytes = 0;
    bool weightsOverflow = false;
    func.walk([&](Operation *op) {
      for (auto [i, result] : llvm::enumerate(op->getResults())) {
        std::optional<int64_t> bytes = checkTensor(result.getType(), [&, i = i] {
          if (isa<ConstantOp>(op))
            return op->emitError() << "constant ";
          return op->emitError() << "result " << i << " ";
        });
        if (bytes && isa<ConstantOp>(op)) {
          std::optional<int64_t> sum = llvm::checkedAdd(weightBytes, *bytes);
          weightsOverflow |= !sum;
          weightBytes = sum.value_or(INT64_MAX);
        }
      }
      // Pads, strides, dilations, kernels: the code computes positions with
      // them in the index width.
      for (NamedAttribute attr : op->getAttrs())
        if (auto values = dyn_cast<DenseI64ArrayAttr>(attr.getValue()))
          for (int64_t v : values.asArrayRef())
            if (ok && (v > limit || v < -limit)) {
              op->emitError() << "'" << attr.getName().getValue() << "' value " << v
                              << " does not fit the " << bits
                              << "-bit index arithmetic of the target";
              ok = false;
            }
    });
    if (!ok)
      return signalPassFailure();

    if (flash > 0 && (weightsOverflow || weightBytes > flash)) {
      func.emitError() << "the weights take " << weightBytes << " bytes, more than the target's "
                       << flash << " bytes of flash";
      return signalPassFailure();
    }
    if (auto arena = func->getAttrOfType<IntegerAttr>(kArenaBytesAttr)) {
      int64_t arenaBytes = arena.getInt();
      if (arenaBytes > limit || (ram > 0 && arenaBytes > ram)) {
        InFlightDiagnostic diag = func.emitError()
                                  << "the arena takes " << arenaBytes << " bytes, more than ";
        if (ram > 0 && ram <= limit)
          diag << "the target's " << ram << " bytes of RAM";
        else
          diag << "a " << bits << "-bit target addresses (" << limit << ")";
        return signalPassFailure();
      }
    }
  }
};

} // namespace
