//===- TinycInterfaces.td - tinyc operation interfaces ---------*- tablegen -*-===//

#ifndef TINYC_INTERFACES_TD
#define TINYC_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Tinyc_ElementwiseOpInterface : OpInterface<"ElementwiseOpInterface"> {
  let description = [{
    An operation whose result element at index i depends only on the element
    operands at i (broadcast NumPy-style to the result's shape) and on
    parameters read whole or per channel (Clip's bounds, ScaleShift's scale,
    a quantization's scale and zero point). tinyc-fuse-elementwise chains
    such operations into one loop; the lowering computes each from the
    scalars of its element operands.
  }];
  let cppNamespace = "::mlir::tinyc";
  let methods = [
    InterfaceMethod<
      "The operands read element by element at the result's (broadcast) index; the others are parameters.",
      "::llvm::SmallVector<::mlir::Value>", "getElementOperands", (ins), "",
      [{ return ::llvm::SmallVector<::mlir::Value>($_op->getOperands()); }]>
  ];
}

#endif // TINYC_INTERFACES_TD
