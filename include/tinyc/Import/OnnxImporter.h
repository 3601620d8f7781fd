//===- OnnxImporter.h - ONNX model to tinyc dialect -------------*- C++ -*-===//

#ifndef TINYC_IMPORT_ONNXIMPORTER_H
#define TINYC_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

#include <string>
#include <vector>

namespace mlir::tinyc {

struct OnnxImportOptions {
  /// Shapes fixed on the command line (--input-shape NAME=1x49x10x1), by
  /// graph input name. They replace symbolic dimensions.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
  /// Graph inputs made compile-time constants (--bind NAME=FILE.pb): their
  /// values, as ONNX TensorProto files, by input name. A bound input is no
  /// longer an input of the compiled model.
  llvm::StringMap<std::string> bindings;
};

/// Reads the ONNX model at `path` into a module holding one function,
/// `@main`, whose arguments and results are the graph's inputs and outputs
/// (named by `tinyc.name` attributes). Returns null after reporting every
/// problem through the context's diagnostic engine; operations are located by
/// their ONNX node (see getOnnxNodeName).
OwningOpRef<ModuleOp> importOnnxModel(MLIRContext &context, llvm::StringRef path,
                                      const OnnxImportOptions &options);

/// The same for a model already in memory (the fuzz target's entry point):
/// `path` names it in diagnostics and is where external data is looked for.
OwningOpRef<ModuleOp> importOnnxModel(MLIRContext &context, llvm::MemoryBufferRef model,
                                      llvm::StringRef path, const OnnxImportOptions &options);

/// The operators of the default ONNX domain that the importer converts.
std::vector<std::string> getSupportedOnnxOperators();

/// The ONNX node name, operator type and model file that a location made by
/// the importer refers to; empty strings where it refers to none.
struct OnnxLocation {
  std::string file, node, opType;
};
OnnxLocation describeOnnxLocation(Location loc);

} // namespace mlir::tinyc

#endif // TINYC_IMPORT_ONNXIMPORTER_H
