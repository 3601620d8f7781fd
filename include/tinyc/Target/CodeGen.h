//===- CodeGen.h - LLVM code generation and the C interface -----*- C++ -*-===//

#ifndef TINYC_TARGET_CODEGEN_H
#define TINYC_TARGET_CODEGEN_H

#include "tinyc/Target/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::tinyc {

enum class EmitKind { Object, Assembly, LLVMIR };

struct CodeGenOptions {
  EmitKind emit = EmitKind::Object;
  /// '0', '1', '2', '3', 's' or 'z', as clang's -O.
  char optLevel = '2';
  /// The model's C name: the entry point is `<name>_run`.
  std::string name;
  /// The model's number of inputs and outputs.
  unsigned numInputs = 0, numOutputs = 0;
  /// Instrument the generated code with AddressSanitizer (host targets).
  bool sanitizeAddress = false;
};

/// Translates `module` (LLVM dialect, `@main(inputs..., outputs..., arena)`
/// with bare pointers) to LLVM IR, links in the target's runtime, adds the
/// entry point `int <name>_run(const void *const inputs[], void *const
/// outputs[], void *arena)`, optimizes and writes the requested output.
LogicalResult generateCode(ModuleOp module, const TargetInfo &target,
                           const CodeGenOptions &options, llvm::raw_pwrite_stream &os);

} // namespace mlir::tinyc

#endif // TINYC_TARGET_CODEGEN_H
