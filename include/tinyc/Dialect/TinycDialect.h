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

#define GET_OP_CLASSES
#include "tinyc/Dialect/TinycOps.h.inc"

#endif // TINYC_DIALECT_TINYCDIALECT_H
