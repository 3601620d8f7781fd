//===- CodeGen.h - LLVM code generation and the C interface -----*- C++ -*-===//

#ifndef TINYC_TARGET_CODEGEN_H
#define TINYC_TARGET_CODEGEN_H

#include "tinyc/Target/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>

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

/// What code generation found out about the code it generated.
struct CodeGenResult {
  /// An upper bound of the stack bytes one call of `<name>_run` uses, from the
  /// sp at its call (x86-64: with the return address that call pushes) down:
  /// the deepest path of the object's call graph, each function counted with
  /// its frame as the code generator laid it out, plus the target's bound for
  /// the library routines the code may call (TargetInfo::externalStackBytes).
  /// Unset where no bound exists (an indirect call, recursion, a frame of
  /// run-time size), which the generated code never has.
  std::optional<int64_t> stackBytes;
};

/// Translates `module` (LLVM dialect, `@main(inputs..., outputs..., arena)`
/// with bare pointers) to LLVM IR, links in the target's runtime, adds the
/// entry point `int <name>_run(const void *const inputs[], void *const
/// outputs[], void *arena)`, optimizes and writes the requested output.
LogicalResult generateCode(ModuleOp module, const TargetInfo &target,
                           const CodeGenOptions &options, llvm::raw_pwrite_stream &os,
                           CodeGenResult *result = nullptr);

} // namespace mlir::tinyc

#endif // TINYC_TARGET_CODEGEN_H
