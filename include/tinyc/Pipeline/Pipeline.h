//===- Pipeline.h - the one place that knows the pass order -----*- C++ -*-===//

#ifndef TINYC_PIPELINE_PIPELINE_H
#define TINYC_PIPELINE_PIPELINE_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace mlir::tinyc {

struct PipelineOptions {
  /// Optional passes the user turned off (--disable-pass), by pass argument.
  std::vector<std::string> disabledPasses;
  bool isEnabled(llvm::StringRef pass) const {
    return !llvm::is_contained(disabledPasses, pass);
  }
  /// Byte alignment of each tensor in the arena.
  int64_t bufferAlignment = 16;
  /// Bytes of poisoned gap after each tensor in the arena (0: none), for
  /// AddressSanitizer builds (tinyc-plan-memory's `redzone`).
  int64_t arenaRedzone = 0;
  /// Width of `index` in the generated code: the target's pointer width.
  unsigned indexBitwidth = 64;
  /// The target's flash for the weights and largest RAM region for the
  /// arena, in bytes (0: not known).
  int64_t flashBytes = 0, ramBytes = 0;
  /// Largest relative weight error tinyc-factorize-conv and
  /// tinyc-factorize-matrices may introduce (0: exact factorizations only).
  double factorizeTolerance = 0.0;
  /// The form tinyc-sparsify-weights gives sparse layers: auto (its cost
  /// model), dense, arrays or unrolled.
  std::string sparseKernel = "auto";
  /// The core has the Arm DSP extension: int8 kernels use SXTB16 and SMLAD.
  bool armDsp = false;
  /// The core has no FPU: int8 convolutions requantize in fixed point.
  bool fixedPointRequant = false;
  /// Smaller, slower loop nests (-Os, -Oz).
  bool optimizeForSize = false;
  /// Post-training int8 quantization (--quantize=int8) from the calibration
  /// sets on the function (tinyc-quantize-int8), with this percentile range.
  bool quantizeInt8 = false;
  double calibrationPercentile = 100.0;
  /// Bracket each layer with calls to profiling markers (tinyc-mark-layers).
  bool layerMarkers = false;
};

/// Tensor-level passes, ending with memory planning: import output in,
/// planned tinyc out.
void buildTensorPipeline(OpPassManager &pm, const PipelineOptions &options);

/// Planned tinyc in, LLVM dialect out (ready for translation to LLVM IR).
void buildLoweringPipeline(OpPassManager &pm, const PipelineOptions &options);

/// The passes of the tensor pipeline that may be turned off, in pipeline order.
std::vector<std::string> getOptionalPasses();

/// Registers both as named pipelines for tinyc-opt:
/// `tinyc-tensor-pipeline` and `tinyc-lowering-pipeline`.
void registerTinycPipelines();

/// The dialects and external models (e.g. translation to LLVM IR) that the
/// pipelines and code generation need.
void registerTinycDialects(DialectRegistry &registry);

} // namespace mlir::tinyc

#endif // TINYC_PIPELINE_PIPELINE_H
