//===- TinycDialect.h - the tinyc dialect, its attributes and ops -*- C++ -*-===//

#ifndef TINYC_DIALECT_TINYCDIALECT_H
#define TINYC_DIALECT_TINYCDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "tinyc/Dialect/TinycDialect.h.inc"
#include "tinyc/Dialect/TinycEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "tinyc/Dialect/TinycAttrs.h.inc"

#include "tinyc/Dialect/TinycInterfaces.h.inc"

#define GET_OP_CLASSES
#include "tinyc/Dialect/TinycOps.h.inc"

namespace mlir::tinyc {

/// Multiply-accumulates of one inference of `op` (bit operations for the
/// binary layers), or 0 for an op that does none.
int64_t getMacCount(Operation *op);

} // namespace mlir::tinyc

#endif // TINYC_DIALECT_TINYCDIALECT_H
