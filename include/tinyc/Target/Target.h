//===- Target.h - the targets tinyc generates code for ----------*- C++ -*-===//
//
// Each target is described by targets/<name>/target.json. The build embeds
// those files, together with the runtime (runtime/) compiled to LLVM bitcode
// for each target, into the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_TARGET_TARGET_H
#define TINYC_TARGET_TARGET_H

#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace mlir::tinyc {

struct TargetInfo {
  std::string name, description;
  // How LLVM generates code for it.
  std::string triple, cpu, features, floatABI, abi;
  /// Width of index arithmetic in the generated code.
  unsigned pointerBits = 64;
  /// Alignment the caller must give the arena.
  unsigned arenaAlign = 16;
  /// Flash for code and weights, and the largest RAM region (where the arena
  /// goes), in bytes; 0 where target.json does not say (hosted targets).
  int64_t flashBytes = 0, ramBytes = 0;
  /// The core has the Arm DSP extension (codegen.dsp): int8 kernels use SMLAD.
  bool dsp = false;
  /// The core has a floating-point unit (codegen.fpu, default true); without
  /// one int8 convolutions requantize in fixed point.
  bool fpu = true;
  /// Stack bytes that one call of a routine outside the object may use, with
  /// everything it calls in turn: memcpy/memset, the compiler's support library
  /// (soft float, division), the firmware's layer markers (codegen.
  /// external_stack_bytes; measured per target, see targets/README.md).
  int64_t externalStackBytes = 0;
  /// The runtime compiled for this target (LLVM bitcode).
  llvm::StringRef runtimeBitcode;
  /// On an Arm core with an FPU (floatABI "hard"): the runtime compiled without
  /// it, for -mfloat-abi=soft; empty elsewhere.
  llvm::StringRef softFloatRuntimeBitcode;
};

/// `target` compiled for with another float ABI (clang's -mfloat-abi): "hard"
/// (float arguments in FPU registers), "softfp" (FPU instructions, arguments in
/// core registers) or "soft" (no FPU instructions at all). Only Arm targets with
/// an FPU have the choice; otherwise, or for an unknown name, returns an error
/// message and leaves `target` alone.
std::string setFloatABI(TargetInfo &target, llvm::StringRef floatABI);

/// The target named `name`, or null.
const TargetInfo *lookupTarget(llvm::StringRef name);

/// Names of all targets, sorted.
std::vector<std::string> getTargetNames();

} // namespace mlir::tinyc

#endif // TINYC_TARGET_TARGET_H
