//===- Header.h - the generated C header ------------------------*- C++ -*-===//

#ifndef TINYC_TARGET_HEADER_H
#define TINYC_TARGET_HEADER_H

#include "tinyc/Target/Target.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir::tinyc {

struct TensorInterface {
  std::string name;
  int onnxType = 0;
  std::string cType;
  std::vector<int64_t> shape;
  int64_t bytes = 0;
};

/// A layer bracketed by profiling markers (tinyc-mark-layers).
struct LayerInterface {
  /// "<node> (<operator>)", and the tinyc operator with its result shape.
  std::string node, op;
  int64_t macs = 0;
};

/// What a firmware engineer needs to call a compiled model.
struct ModelInterface {
  std::string name;
  int64_t arenaBytes = 0;
  unsigned arenaAlign = 16;
  /// Compiled with arena red zones (-sanitize=address): the gaps between the
  /// tensors, as (offset, bytes), for a harness to poison.
  bool hasArenaRedzones = false;
  std::vector<std::pair<int64_t, int64_t>> arenaRedzones;
  std::vector<TensorInterface> inputs, outputs;
  std::vector<LayerInterface> layers;
  /// An upper bound of the stack one call uses (CodeGenResult::stackBytes);
  /// unset where no code was generated (-emit=mlir) or no bound exists.
  std::optional<int64_t> stackBytes;
};

/// Reads the interface off the planned tensor-level `@main`;
/// `describeLocation` names the model node an operation came from.
FailureOr<ModelInterface>
describeInterface(func::FuncOp main, llvm::StringRef name, const TargetInfo &target,
                  llvm::function_ref<std::string(Location)> describeLocation);

/// Writes `<name>.h` (docs/INTERFACE.md describes it).
void writeHeader(const ModelInterface &model, llvm::StringRef source, const TargetInfo &target,
                 llvm::raw_ostream &os);

} // namespace mlir::tinyc

#endif // TINYC_TARGET_HEADER_H
