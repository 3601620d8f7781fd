//===- tinyc-fuzz.cpp - libFuzzer target: ONNX bytes through the compiler -===//
//
// Each input is the bytes of an ONNX model. They go through what `tinyc
// -target=cortex-m7` does up to the object file: import, the tensor pipeline
// (through memory planning), the header's interface and text, and the
// lowering to the LLVM dialect. Code generation (LLVM's own -O2 on the result)
// is left out: it is LLVM's, and it would cut the executions per second by
// an order of magnitude. Any input may be rejected with diagnostics; a crash,
// a sanitizer report, an abort or an exit is a bug.
//
// A 32-bit target, because its 32-bit sizes and offsets are the ones that can
// overflow.
//
//===----------------------------------------------------------------------===//

#include "tinyc/Import/OnnxImporter.h"
#include "tinyc/Pipeline/Pipeline.h"
#include "tinyc/Target/Header.h"
#include "tinyc/Target/Target.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>

using namespace mlir;
using namespace mlir::tinyc;

namespace {
DialectRegistry *registry;
const TargetInfo *target;
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  registry = new DialectRegistry;
  registerTinycDialects(*registry);
  target = lookupTarget("cortex-m7");
  if (!target)
    std::abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // A fresh context per input: one shared across inputs would keep every
  // attribute ever made (libFuzzer's RSS limit would stop the run) and let one
  // input's state leak into the next.
  MLIRContext context(*registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  ScopedDiagnosticHandler quiet(&context, [](Diagnostic &) { return success(); });

  // External data is looked for next to the model: a folder that does not
  // exist, so that an input never reads the files around the run.
  llvm::MemoryBufferRef bytes(llvm::StringRef(reinterpret_cast<const char *>(data), size),
                              "fuzz.onnx");
  OwningOpRef<ModuleOp> module =
      importOnnxModel(context, bytes, "/nonexistent/fuzz.onnx", OnnxImportOptions());
  if (!module)
    return 0;

  PipelineOptions pipeline;
  pipeline.indexBitwidth = target->pointerBits;
  pipeline.bufferAlignment = std::min<unsigned>(16, target->arenaAlign);
  PassManager tensorPasses(&context);
  buildTensorPipeline(tensorPasses, pipeline);
  if (failed(tensorPasses.run(*module)))
    return 0;

  auto main = module->lookupSymbol<func::FuncOp>("main");
  FailureOr<ModelInterface> interface =
      describeInterface(main, "fuzz", *target, [](Location) { return std::string(); });
  if (failed(interface))
    return 0;
  std::string header;
  llvm::raw_string_ostream headerStream(header);
  writeHeader(*interface, "fuzz.onnx", *target, headerStream);

  PassManager lowering(&context);
  buildLoweringPipeline(lowering, pipeline);
  (void)lowering.run(*module);
  return 0;
}
