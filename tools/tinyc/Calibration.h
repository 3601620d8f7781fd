//===- Calibration.h - calibration inputs for --quantize=int8 ---*- C++ -*-===//

#ifndef TINYC_TOOLS_CALIBRATION_H
#define TINYC_TOOLS_CALIBRATION_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>

namespace mlir::tinyc {

/// The calibration sets in `dir` for the arguments of `main`, as the
/// `tinyc.calibration` attribute tinyc-quantize-int8 reads (an array per set
/// of one tensor per argument); on failure `error` says why in one line.
FailureOr<ArrayAttr> loadCalibration(func::FuncOp main, llvm::StringRef dir,
                                     std::string &error);

} // namespace mlir::tinyc

#endif // TINYC_TOOLS_CALIBRATION_H
