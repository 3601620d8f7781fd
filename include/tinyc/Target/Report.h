//===- Report.h - what the passes did, layer by layer -----------*- C++ -*-===//

#ifndef TINYC_TARGET_REPORT_H
#define TINYC_TARGET_REPORT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::tinyc {

/// The cost of the operators that come from one ONNX node.
struct LayerCost {
  std::string op;          // the node's operator type, or the tinyc operator
  int64_t macs = 0;        // multiply-accumulates (bit operations for binary layers)
  int64_t weightBytes = 0; // bytes of constant operands
  int64_t kernels = 0;     // operators that run code
};

/// Costs by ONNX node name (in graph order of first appearance), read off a
/// tensor-level function; operators fused from several nodes count for the
/// first. `fusedInto` maps each other node to the one it was fused into.
struct LayerCosts {
  std::vector<std::string> order;
  std::map<std::string, LayerCost> byNode;
  std::map<std::string, std::string> fusedInto;
  std::map<std::string, std::vector<std::string>> applied;
};
LayerCosts measureLayers(func::FuncOp main);

/// One layer's signal-to-quantization-noise ratio on the calibration set
/// (--quantize=int8; tinyc-quantize-int8 measures it).
struct LayerSqnr {
  std::string node, op;
  double db = 0.0; // infinity: no error
  bool output = false; // a float graph output rather than an int8 activation
};
/// What tinyc-quantize-int8 left on `main`, with the ONNX nodes named.
std::vector<LayerSqnr> readQuantizationSqnr(func::FuncOp main);

struct CompileReport {
  std::string model, target;
  LayerCosts before, after;
  std::vector<LayerSqnr> quantization;
  int64_t text = 0, rodata = 0, data = 0, bss = 0, arena = 0;
  std::optional<int64_t> stackBytes;
};

/// The sizes of the allocated sections of an object file image.
void measureObject(llvm::StringRef object, CompileReport &report);

void printReport(const CompileReport &report, bool json, llvm::raw_ostream &os);

} // namespace mlir::tinyc

#endif // TINYC_TARGET_REPORT_H
