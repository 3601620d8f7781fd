//===- TinycBase.td - tinyc dialect, enums and attributes -----*- tablegen -*-===//
//
// The tinyc dialect holds a neural network as a graph of tensor operators with
// static shapes. ONNX import produces it; the compression passes rewrite it;
// memory planning places its intermediate tensors in one arena; and the
// lowering to loops turns each operator into specialised code.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_BASE_TD
#define TINYC_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Tinyc_Dialect : Dialect {
  let name = "tinyc";
  let cppNamespace = "::mlir::tinyc";
  let summary = "Tensor operators of neural networks compiled for microcontrollers";
  let description = [{
    Operators take and produce ranked tensors with static shapes. Element types
    follow ONNX: signless integers are signed (`i8` is ONNX INT8), `ui8`/`ui16`/
    `ui32`/`ui64` are unsigned, `i1` is BOOL.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

def Tinyc_ActivationKind : I32EnumAttr<"ActivationKind",
    "an elementwise activation function", [
      I32EnumAttrCase<"relu", 0>,
      I32EnumAttrCase<"clip", 1>,        // min(max(x, alpha), beta)
      I32EnumAttrCase<"leaky_relu", 2>,  // x < 0 ? alpha * x : x
      I32EnumAttrCase<"sigmoid", 3>,
      I32EnumAttrCase<"tanh", 4>,
      I32EnumAttrCase<"hard_sigmoid", 5>,// max(0, min(1, alpha * x + beta))
      I32EnumAttrCase<"hard_swish", 6>,  // x * max(0, min(1, x / 6 + 1 / 2))
      I32EnumAttrCase<"abs", 7>,
      I32EnumAttrCase<"neg", 8>,
      I32EnumAttrCase<"reciprocal", 9>,
      I32EnumAttrCase<"sqrt", 10>,
      I32EnumAttrCase<"exp", 11>,
      I32EnumAttrCase<"floor", 12>,
      I32EnumAttrCase<"ceil", 13>,
      I32EnumAttrCase<"round", 14>,      // half to even
      I32EnumAttrCase<"elu", 15>,        // x < 0 ? alpha * (exp(x) - 1) : x
      I32EnumAttrCase<"selu", 16>,       // x > 0 ? beta * x : beta * (alpha * exp(x) - alpha)
      I32EnumAttrCase<"celu", 17>,       // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
      I32EnumAttrCase<"softsign", 18>,   // x / (1 + |x|)
      I32EnumAttrCase<"thresholded_relu", 19>, // x > alpha ? x : 0
      I32EnumAttrCase<"shrink", 20>,     // x < -alpha ? x + beta : x > alpha ? x - beta : 0
      I32EnumAttrCase<"log", 21>,
      I32EnumAttrCase<"softplus", 22>,   // log(exp(x) + 1)
      I32EnumAttrCase<"sin", 23>,
      I32EnumAttrCase<"cos", 24>,
      I32EnumAttrCase<"tan", 25>,
      I32EnumAttrCase<"asin", 26>,
      I32EnumAttrCase<"acos", 27>,
      I32EnumAttrCase<"atan", 28>,
      I32EnumAttrCase<"sinh", 29>,
      I32EnumAttrCase<"cosh", 30>,
      I32EnumAttrCase<"asinh", 31>,
      I32EnumAttrCase<"acosh", 32>,
      I32EnumAttrCase<"atanh", 33>,
      I32EnumAttrCase<"erf", 34>
    ]> {
  let cppNamespace = "::mlir::tinyc";
  let genSpecializedAttr = 0;
}

def Tinyc_ActivationAttr : AttrDef<Tinyc_Dialect, "Activation"> {
  let mnemonic = "act";
  let summary = "an activation function with up to two parameters";
  let description = [{
    Written `#tinyc.act<relu>`, `#tinyc.act<leaky_relu, 0.01>` or
    `#tinyc.act<clip, 0.0, 6.0>`. Used by `tinyc.activation` and, once fused,
    as the epilogue of the operator that produces the activation's input.
  }];
  let parameters = (ins "ActivationKind":$kind, "::llvm::APFloat":$alpha,
                        "::llvm::APFloat":$beta);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "ActivationKind":$kind, CArg<"double", "0.0">:$alpha,
                     CArg<"double", "0.0">:$beta), [{
      return $_get($_ctxt, kind, ::llvm::APFloat(static_cast<float>(alpha)),
                   ::llvm::APFloat(static_cast<float>(beta)));
    }]>
  ];
  let skipDefaultBuilders = 1;
  let extraClassDeclaration = [{
    /// Number of parameters the kind takes (alpha, then beta).
    static unsigned getNumParameters(ActivationKind kind);
    float getAlphaValue() const { return getAlpha().convertToFloat(); }
    float getBetaValue() const { return getBeta().convertToFloat(); }
    /// Applies the activation to a host float (constant folding, tests).
    float apply(float x) const;
    /// Whether the kind calls a single-precision runtime routine (so that
    /// it computes on f32 only).
    static bool callsRuntime(ActivationKind kind);
  }];
}

def Tinyc_FakeQuantAttr : AttrDef<Tinyc_Dialect, "FakeQuant"> {
  let mnemonic = "fake_quant";
  let summary = "ONNX QuantizeLinear followed by DequantizeLinear, per tensor";
  let description = [{
    `#tinyc.fake_quant<scale, zero_point, [qmin, qmax]>` maps x to
    `(clamp(roundeven(x / scale) + zero_point, qmin, qmax) - zero_point) * scale`,
    computed in float exactly as the two ONNX operators define it (NaN becomes
    0). Fused into a producer's epilogue it removes two passes over memory.
  }];
  let parameters = (ins "::llvm::APFloat":$scale, "int64_t":$zeroPoint, "int64_t":$qmin,
                        "int64_t":$qmax);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "float":$scale, "int64_t":$zeroPoint, "int64_t":$qmin, "int64_t":$qmax), [{
      return $_get($_ctxt, ::llvm::APFloat(scale), zeroPoint, qmin, qmax);
    }]>
  ];
  let skipDefaultBuilders = 1;
  let extraClassDeclaration = [{
    float getScaleValue() const { return getScale().convertToFloat(); }
    /// Applies it to a host float (constant folding, tests).
    float apply(float x) const;
  }];
}

def Tinyc_PadMode : I32EnumAttr<"PadMode", "how Pad fills the border", [
      I32EnumAttrCase<"constant", 0>,
      I32EnumAttrCase<"edge", 1>,
      I32EnumAttrCase<"reflect", 2>
    ]> {
  let cppNamespace = "::mlir::tinyc";
  let genSpecializedAttr = 0;
}

def Tinyc_PadModeAttr : EnumAttr<Tinyc_Dialect, Tinyc_PadMode, "pad_mode"> {
  let assemblyFormat = "`<` $value `>`";
}

#endif // TINYC_BASE_TD
