//===- tinyc-opt.cpp - runs tinyc passes on textual MLIR ------------------===//
//
// The lit tests' driver: parses tinyc IR, runs the passes named on the command
// line, prints the result. Only the dialects tinyc's IR can contain are
// registered, which keeps the tool small and quick to link.
//
//===----------------------------------------------------------------------===//

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Pipeline/Pipeline.h"
#include "tinyc/Tools/SanitizerDefaults.h"
#include "tinyc/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  mlir::tinyc::registerTinycPasses();
  mlir::tinyc::registerTinycPipelines();
  mlir::DialectRegistry registry;
  mlir::tinyc::registerTinycDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "tinyc optimizer driver\n", registry));
}
