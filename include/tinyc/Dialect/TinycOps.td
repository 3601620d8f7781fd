//===- TinycOps.td - tinyc operators ---------------------------*- tablegen -*-===//
//
// Every operator has static shapes. Verifiers recompute the result shape with
// the same functions the ONNX importer uses (TinycShapes.h) and report the
// values that disagree.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_OPS_TD
#define TINYC_OPS_TD

include "tinyc/Dialect/TinycBase.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "tinyc/Dialect/TinycInterfaces.td"

class Tinyc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tinyc_Dialect, mnemonic, !listconcat(traits, [Pure])>;

def Tinyc_Tensor : RankedTensorOf<[AnyType]>;
def Tinyc_FloatTensor : RankedTensorOf<[AnyFloat]>;

//===----------------------------------------------------------------------===//
// Constants and data movement
//===----------------------------------------------------------------------===//

def Tinyc_ConstantOp : Tinyc_Op<"constant", [ConstantLike]> {
  let summary = "a constant tensor (weights, biases, folded shapes)";
  let description = [{
    ```mlir
    %w = tinyc.constant dense<[1.0, 2.0]> : tensor<2xf32>
    ```
    Constants end up in read-only data (flash), never in the arena.
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Tinyc_Tensor:$result);
  let hasCustomAssemblyFormat = 1;
  let builders = [OpBuilder<(ins "::mlir::ElementsAttr":$value), [{
    build($_builder, $_state, ::llvm::cast<::mlir::RankedTensorType>(value.getType()), value);
  }]>];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_ReshapeOp : Tinyc_Op<"reshape"> {
  let summary = "reinterprets a tensor with another shape of the same size";
  let description = [{
    ONNX Reshape, Flatten, Squeeze and Unsqueeze all become this operator. It
    moves no data: the result shares its operand's buffer.
  }];
  let arguments = (ins Tinyc_Tensor:$input);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_TransposeOp : Tinyc_Op<"transpose"> {
  let summary = "permutes the dimensions of a tensor";
  let description = [{ `result.shape[i] = input.shape[perm[i]]`. }];
  let arguments = (ins Tinyc_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$input `,` $perm attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_ConcatOp : Tinyc_Op<"concat"> {
  let summary = "joins tensors along one axis";
  let arguments = (ins Variadic<Tinyc_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_PadOp : Tinyc_Op<"pad"> {
  let summary = "pads a tensor with a constant, its edge values or a reflection";
  let description = [{
    `pads` holds the elements added before each dimension, then after each
    dimension (the ONNX order). `value` is a 0-d tensor, used in constant mode.
  }];
  let arguments = (ins Tinyc_Tensor:$input, Tinyc_Tensor:$value,
                       DenseI64ArrayAttr:$pads, Tinyc_PadModeAttr:$mode);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $value $mode $pads attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
}

def Tinyc_GatherOp : Tinyc_Op<"gather"> {
  let summary = "gathers slices of `data` along `axis` at `indices` (ONNX Gather)";
  let description = [{
    Negative indices count from the end of the axis. An index outside
    `[-n, n)` reads element 0 of the axis instead of memory outside the tensor.
  }];
  let arguments = (ins Tinyc_Tensor:$data, RankedTensorOf<[AnySignlessInteger]>:$indices,
                       I64Attr:$axis);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, $result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_CastOp : Tinyc_Op<"cast", [Tinyc_ElementwiseOpInterface]> {
  let summary = "converts elements to another type (ONNX Cast)";
  let description = [{
    Float to integer truncates toward zero and saturates at the integer type's
    limits (NaN becomes 0), so the conversion is defined for every input.
  }];
  let arguments = (ins Tinyc_Tensor:$input);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Tinyc_BinaryOp<string mnemonic, string what>
    : Tinyc_Op<mnemonic, [Tinyc_ElementwiseOpInterface]> {
  let summary = what # " with NumPy-style broadcasting";
  let description = [{
    The optional `act` and `quant` are an activation and a fake quantization
    fused into the operator's epilogue, applied in that order.
  }];
  let arguments = (ins Tinyc_Tensor:$lhs, Tinyc_Tensor:$rhs,
                       OptionalAttr<Tinyc_ActivationAttr>:$act,
                       OptionalAttr<Tinyc_FakeQuantAttr>:$quant);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, $result)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_AddOp : Tinyc_BinaryOp<"add", "elementwise addition">;
def Tinyc_SubOp : Tinyc_BinaryOp<"sub", "elementwise subtraction">;
def Tinyc_MulOp : Tinyc_BinaryOp<"mul", "elementwise multiplication">;
def Tinyc_MaxOp : Tinyc_BinaryOp<"max", "elementwise maximum"> {
  let description = [{
    A NaN operand gives NaN, as NumPy's `maximum` (ONNX's reference) does.
  }];
}
def Tinyc_MinOp : Tinyc_BinaryOp<"min", "elementwise minimum"> {
  let description = [{
    A NaN operand gives NaN, as NumPy's `minimum` (ONNX's reference) does.
  }];
}
def Tinyc_DivOp : Tinyc_BinaryOp<"div", "elementwise division"> {
  let description = [{
    Integer division truncates toward zero; a zero divisor gives 0 instead of
    undefined behaviour.
  }];
}
def Tinyc_ShiftLeftOp : Tinyc_BinaryOp<"shift_left", "elementwise left shift of unsigned integers"> {
  let description = [{
    ONNX BitShift with direction LEFT: `lhs << rhs`, 0 where `rhs` is at least
    the element width (where C leaves the shift undefined).
  }];
}
def Tinyc_ShiftRightOp : Tinyc_BinaryOp<"shift_right", "elementwise right shift of unsigned integers"> {
  let description = [{
    ONNX BitShift with direction RIGHT: `lhs >> rhs` (logical), 0 where `rhs`
    is at least the element width.
  }];
}
def Tinyc_ModOp : Tinyc_BinaryOp<"mod", "elementwise remainder of floored integer division"> {
  let description = [{
    ONNX Mod with fmod = 0 (NumPy's `mod`): integers only; a nonzero result
    takes the divisor's sign. A zero divisor gives 0, as NumPy's does.
  }];
}
def Tinyc_FmodOp : Tinyc_BinaryOp<"fmod", "elementwise remainder of truncated division"> {
  let description = [{
    ONNX Mod with fmod = 1 (C's `fmod`): the result takes the dividend's sign.
    Exact for floats (x % 0 and inf % y are NaN); an integer zero divisor
    gives 0.
  }];
}

def Tinyc_PowOp : Tinyc_BinaryOp<"pow", "elementwise power"> {
  let description = [{
    ONNX Pow with both operands of one type. float32: the runtime's tinyc_powf
    (at most 1 ulp, C99's special cases, which NumPy's power follows).
    Signed integers: exact with wraparound, by repeated squaring; a negative
    exponent gives the truncated quotient 1 / x^-y (1 for x = 1, +-1 for
    x = -1, 0 otherwise; 0 to a negative power is 0 rather than a trap).
  }];
}

def Tinyc_ActivationOp : Tinyc_Op<"activation", [Tinyc_ElementwiseOpInterface]> {
  let summary = "an elementwise activation function (Relu, Sigmoid, Clip, ...)";
  let arguments = (ins Tinyc_FloatTensor:$input, Tinyc_ActivationAttr:$act);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = "$input $act attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_FakeQuantOp : Tinyc_Op<"fake_quant", [Tinyc_ElementwiseOpInterface]> {
  let summary = "a QuantizeLinear -> DequantizeLinear pair with one scale and zero point";
  let arguments = (ins RankedTensorOf<[F32]>:$input, Tinyc_FakeQuantAttr:$quant);
  let results = (outs RankedTensorOf<[F32]>:$result);
  let assemblyFormat = "$input $quant attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_ScaleShiftOp : Tinyc_Op<"scale_shift", [DeclareOpInterfaceMethods<Tinyc_ElementwiseOpInterface, ["getElementOperands"]>]> {
  let summary = "per-channel x * scale + shift over dimension 1";
  let description = [{
    What an inference BatchNormalization with constant statistics is, once
    its parameters are folded: `scale` and `shift` are 1-d, one per channel.
  }];
  let arguments = (ins Tinyc_FloatTensor:$input, Tinyc_FloatTensor:$scale,
                       Tinyc_FloatTensor:$shift, OptionalAttr<Tinyc_ActivationAttr>:$act);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $shift attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
}

def Tinyc_SignOp : Tinyc_Op<"sign", [Tinyc_ElementwiseOpInterface]> {
  let summary = "elementwise sign: -1, 0 or 1 (ONNX Sign)";
  let arguments = (ins Tinyc_FloatTensor:$input);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_CompareKind : I32EnumAttr<"CompareKind", "an elementwise comparison", [
      I32EnumAttrCase<"eq", 0>, I32EnumAttrCase<"lt", 1>, I32EnumAttrCase<"le", 2>,
      I32EnumAttrCase<"gt", 3>, I32EnumAttrCase<"ge", 4>
    ]> {
  let cppNamespace = "::mlir::tinyc";
  let genSpecializedAttr = 0;
}
def Tinyc_CompareKindAttr : EnumAttr<Tinyc_Dialect, Tinyc_CompareKind, "compare"> {
  let assemblyFormat = "`<` $value `>`";
}

def Tinyc_CompareOp : Tinyc_Op<"compare", [Tinyc_ElementwiseOpInterface]> {
  let summary = "elementwise comparison with broadcasting (Equal, Less, Greater, ...)";
  let description = [{
    Ordered: any comparison with NaN is false, as in IEEE 754 and NumPy.
  }];
  let arguments = (ins Tinyc_CompareKindAttr:$kind, Tinyc_Tensor:$lhs, Tinyc_Tensor:$rhs);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$kind $lhs `,` $rhs attr-dict `:` functional-type(operands, $result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_LogicKind : I32EnumAttr<"LogicKind", "an elementwise boolean operation", [
      I32EnumAttrCase<"and_", 0, "and">, I32EnumAttrCase<"or_", 1, "or">,
      I32EnumAttrCase<"xor_", 2, "xor">
    ]> {
  let cppNamespace = "::mlir::tinyc";
  let genSpecializedAttr = 0;
}
def Tinyc_LogicKindAttr : EnumAttr<Tinyc_Dialect, Tinyc_LogicKind, "logic"> {
  let assemblyFormat = "`<` $value `>`";
}

def Tinyc_LogicOp : Tinyc_Op<"logic", [Tinyc_ElementwiseOpInterface]> {
  let summary = "elementwise And, Or or Xor of boolean tensors, with broadcasting";
  let arguments = (ins Tinyc_LogicKindAttr:$kind, Tinyc_Tensor:$lhs, Tinyc_Tensor:$rhs);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$kind $lhs `,` $rhs attr-dict `:` functional-type(operands, $result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_NotOp : Tinyc_Op<"not", [Tinyc_ElementwiseOpInterface]> {
  let summary = "elementwise negation of a boolean tensor (ONNX Not)";
  let arguments = (ins Tinyc_Tensor:$input);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_SelectOp : Tinyc_Op<"select", [Tinyc_ElementwiseOpInterface]> {
  let summary = "condition ? x : y elementwise, all three broadcast (ONNX Where)";
  let arguments = (ins Tinyc_Tensor:$condition, Tinyc_Tensor:$x, Tinyc_Tensor:$y);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$condition `,` $x `,` $y attr-dict `:` functional-type(operands, $result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_FloatClass : I32EnumAttr<"FloatClass", "a class of float values", [
      I32EnumAttrCase<"nan", 0>, I32EnumAttrCase<"inf", 1>, I32EnumAttrCase<"pos_inf", 2>,
      I32EnumAttrCase<"neg_inf", 3>
    ]> {
  let cppNamespace = "::mlir::tinyc";
  let genSpecializedAttr = 0;
}
def Tinyc_FloatClassAttr : EnumAttr<Tinyc_Dialect, Tinyc_FloatClass, "class"> {
  let assemblyFormat = "`<` $value `>`";
}

def Tinyc_ClassifyOp : Tinyc_Op<"classify", [Tinyc_ElementwiseOpInterface]> {
  let summary = "whether each float is of a class (IsNaN, IsInf)";
  let arguments = (ins Tinyc_FloatClassAttr:$kind, Tinyc_FloatTensor:$input);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$kind $input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_ClipOp : Tinyc_Op<"clip", [DeclareOpInterfaceMethods<Tinyc_ElementwiseOpInterface, ["getElementOperands"]>]> {
  let summary = "clamps elements to [min, max] given as 0-d tensors";
  let description = [{
    For bounds known only at run time, and for integer tensors. Float clips
    with constant bounds canonicalize to `tinyc.activation` with
    `#tinyc.act<clip, min, max>`.
  }];
  let arguments = (ins Tinyc_Tensor:$input, Tinyc_Tensor:$min, Tinyc_Tensor:$max);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$input `,` $min `,` $max attr-dict `:` functional-type(operands, $result)";
  let hasCanonicalizer = 1;
  let hasVerifier = 1;
}

def Tinyc_FusedElementwiseOp : Tinyc_Op<"fused_elementwise", [IsolatedFromAbove]> {
  let summary = "a chain of elementwise operations computed in one loop";
  let description = [{
    The body's operations (each an ElementwiseOpInterface with the result's
    shape) are computed element by element in one loop over the result: the
    values between them live in registers and take no arena. The body's
    arguments are `inputs`, read with broadcasting like the operands they
    replaced; `tinyc.yield` names the result. Made by tinyc-fuse-elementwise.

    ```mlir
    %r = tinyc.fused_elementwise %x, %c : (tensor<1x64xf32>, tensor<64xf32>) -> tensor<1x64xf32> {
    ^bb0(%a: tensor<1x64xf32>, %b: tensor<64xf32>):
      %0 = tinyc.add %a, %b : (tensor<1x64xf32>, tensor<64xf32>) -> tensor<1x64xf32>
      %1 = tinyc.activation %0 #tinyc.act<relu> : tensor<1x64xf32> -> tensor<1x64xf32>
      tinyc.yield %1 : tensor<1x64xf32>
    }
    ```
  }];
  let arguments = (ins Variadic<Tinyc_Tensor>:$inputs);
  let results = (outs Tinyc_Tensor:$result);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$inputs attr-dict `:` functional-type($inputs, $result) $body";
  let hasVerifier = 1;
}

def Tinyc_YieldOp : Tinyc_Op<"yield", [Terminator, HasParent<"FusedElementwiseOp">]> {
  let summary = "the result of a tinyc.fused_elementwise body";
  let arguments = (ins Tinyc_Tensor:$value);
  let assemblyFormat = "$value attr-dict `:` type($value)";
}

def Tinyc_SoftmaxOp : Tinyc_Op<"softmax"> {
  let summary = "softmax along one axis";
  let arguments = (ins Tinyc_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tinyc_BatchNormOp : Tinyc_Op<"batch_norm"> {
  let summary = "inference batch normalization over dimension 1";
  let description = [{
    `y = (x - mean) / sqrt(var + epsilon) * scale + bias`, with per-channel
    1-d `scale`, `bias`, `mean` and `var`.
  }];
  let arguments = (ins Tinyc_FloatTensor:$input, Tinyc_FloatTensor:$scale,
                       Tinyc_FloatTensor:$bias, Tinyc_FloatTensor:$mean,
                       Tinyc_FloatTensor:$var, F32Attr:$epsilon);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias `,` $mean `,` $var attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
}

def Tinyc_QuantizeOp : Tinyc_Op<"quantize", [DeclareOpInterfaceMethods<Tinyc_ElementwiseOpInterface, ["getElementOperands"]>]> {
  let summary = "ONNX QuantizeLinear: saturate(roundeven(x / scale) + zero_point)";
  let description = [{
    `scale` and `zero_point` are 0-d (per tensor) or 1-d along `axis` (per
    channel). The result has the zero point's integer type.
  }];
  let arguments = (ins Tinyc_FloatTensor:$input, Tinyc_FloatTensor:$scale,
                       RankedTensorOf<[AnyInteger]>:$zero_point, I64Attr:$axis);
  let results = (outs RankedTensorOf<[AnyInteger]>:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $zero_point attr-dict `:` functional-type(operands, $result)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Tinyc_DequantizeOp : Tinyc_Op<"dequantize", [DeclareOpInterfaceMethods<Tinyc_ElementwiseOpInterface, ["getElementOperands"]>]> {
  let summary = "ONNX DequantizeLinear: (x - zero_point) * scale";
  let arguments = (ins RankedTensorOf<[AnyInteger]>:$input, Tinyc_FloatTensor:$scale,
                       RankedTensorOf<[AnyInteger]>:$zero_point, I64Attr:$axis);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale `,` $zero_point attr-dict `:` functional-type(operands, $result)
  }];
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Compute-heavy operators
//===----------------------------------------------------------------------===//

def Tinyc_ConvOp : Tinyc_Op<"conv", [AttrSizedOperandSegments]> {
  let summary = "N-d grouped convolution, NC[D]HW input, MC/g[D]HW weights";
  let description = [{
    ```mlir
    %y = tinyc.conv %x, %w, %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                                pads = array<i64: 1, 1, 1, 1>, group = 1 : i64}
         : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
    ```
    `pads` holds the padding before each spatial dimension, then after each.
    A `residual` operand (same shape as the result) is added after the bias
    and before the activation `act`: the fused form of a residual Add. A fused
    fake quantization `quant` comes last.
  }];
  let arguments = (ins Tinyc_FloatTensor:$input, Tinyc_FloatTensor:$weight,
                       Optional<Tinyc_FloatTensor>:$bias,
                       Optional<Tinyc_FloatTensor>:$residual,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads, I64Attr:$group,
                       OptionalAttr<Tinyc_ActivationAttr>:$act,
                       OptionalAttr<Tinyc_FakeQuantAttr>:$quant);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`bias` $bias^)? (`residual` $residual^)? attr-dict
    `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    unsigned getNumSpatialDims() { return getStrides().size(); }
    /// Multiply-accumulates of one inference.
    int64_t getMacCount();
    /// How many output channels of a group the lowering computes together
    /// (the sparsity cost model's dense estimate follows it).
    static int64_t getChannelBlock(int64_t channelsPerGroup);
  }];
}

def Tinyc_PoolKind : I32EnumAttr<"PoolKind", "pooling reduction", [
      I32EnumAttrCase<"max", 0>,
      I32EnumAttrCase<"avg", 1>
    ]> {
  let cppNamespace = "::mlir::tinyc";
  let genSpecializedAttr = 0;
}
def Tinyc_PoolKindAttr : EnumAttr<Tinyc_Dialect, Tinyc_PoolKind, "pool"> {
  let assemblyFormat = "`<` $value `>`";
}

def Tinyc_PoolOp : Tinyc_Op<"pool"> {
  let summary = "N-d max or average pooling (MaxPool, AveragePool, Global*Pool)";
  let description = [{
    Windows that reach past the padded input (ceil mode) are clipped. Average
    pooling divides by the number of input elements in the window, or with
    `count_include_pad` by the number of elements in the window clipped to the
    padded input, as ONNX defines.
  }];
  let arguments = (ins Tinyc_Tensor:$input, Tinyc_PoolKindAttr:$kind,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$pads,
                       BoolAttr:$ceil_mode, BoolAttr:$count_include_pad,
                       OptionalAttr<Tinyc_FakeQuantAttr>:$quant);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$input $kind attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tinyc_ReduceKind : I32EnumAttr<"ReduceKind", "reduction", [
      I32EnumAttrCase<"sum", 0>,
      I32EnumAttrCase<"mean", 1>,
      I32EnumAttrCase<"max", 2>,
      I32EnumAttrCase<"min", 3>,
      I32EnumAttrCase<"prod", 4>
    ]> {
  let cppNamespace = "::mlir::tinyc";
  let genSpecializedAttr = 0;
}
def Tinyc_ReduceKindAttr : EnumAttr<Tinyc_Dialect, Tinyc_ReduceKind, "reduce"> {
  let assemblyFormat = "`<` $value `>`";
}

def Tinyc_ReduceOp : Tinyc_Op<"reduce"> {
  let summary = "reduces a tensor over some axes (ReduceSum, ReduceMean, ...)";
  let description = [{
    `axes` are sorted and distinct. With `keepdims` the reduced dimensions stay
    with extent 1, otherwise they are removed.
  }];
  let arguments = (ins Tinyc_Tensor:$input, Tinyc_ReduceKindAttr:$kind,
                       DenseI64ArrayAttr:$axes, BoolAttr:$keepdims);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$input $kind $axes attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tinyc_ArgReduceOp : Tinyc_Op<"arg_reduce"> {
  let summary = "the index of the largest or smallest element along an axis (ArgMax, ArgMin)";
  let description = [{
    `kind` is `max` or `min`. As NumPy's argmax and argmin (ONNX's reference):
    a NaN counts as the extreme, and of equal extremes the first index is
    taken, or the last with `select_last_index`. The result is int64 (i64);
    with `keepdims` the axis stays with extent 1, otherwise it is removed.
  }];
  let arguments = (ins Tinyc_Tensor:$input, Tinyc_ReduceKindAttr:$kind, I64Attr:$axis,
                       BoolAttr:$keepdims, BoolAttr:$select_last_index);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$input $kind attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tinyc_CumSumOp : Tinyc_Op<"cumsum"> {
  let summary = "running sums along an axis (ONNX CumSum)";
  let description = [{
    `y[i] = x[0] + x[1] + ... + x[i]` along `axis`, added in that order as
    NumPy's cumsum does; with `reverse` from the end (`x[n-1] + ... + x[i]`),
    with `exclusive` without `x[i]` (an empty sum is 0).
  }];
  let arguments = (ins Tinyc_Tensor:$input, I64Attr:$axis, BoolAttr:$exclusive,
                       BoolAttr:$reverse);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tinyc_GatherElementsOp : Tinyc_Op<"gather_elements"> {
  let summary = "reads data at the indices along an axis, element by element (ONNX GatherElements)";
  let description = [{
    `result[i0, ..., ik, ...] = data[i0, ..., indices[i0, ..., ik, ...], ...]`
    with the index replacing the coordinate along `axis`. Negative indices count
    from the end of the axis; one outside `[-n, n)` reads 0 instead of memory
    outside the tensor.
  }];
  let arguments = (ins Tinyc_Tensor:$data, RankedTensorOf<[AnySignlessInteger]>:$indices,
                       I64Attr:$axis);
  let results = (outs Tinyc_Tensor:$result);
  let assemblyFormat = "$data `,` $indices attr-dict `:` functional-type(operands, $result)";
  let hasVerifier = 1;
}

def Tinyc_GemmOp : Tinyc_Op<"gemm"> {
  let summary = "ONNX Gemm: alpha * op(A) * op(B) + beta * C";
  let description = [{
    `C` broadcasts to the result. The optional `act` is a fused activation.
  }];
  let arguments = (ins Tinyc_FloatTensor:$a, Tinyc_FloatTensor:$b,
                       Optional<Tinyc_FloatTensor>:$c,
                       BoolAttr:$trans_a, BoolAttr:$trans_b,
                       F32Attr:$alpha, F32Attr:$beta,
                       OptionalAttr<Tinyc_ActivationAttr>:$act,
                       OptionalAttr<Tinyc_FakeQuantAttr>:$quant);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = [{
    $a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getMacCount();
  }];
}

def Tinyc_MatMulOp : Tinyc_Op<"matmul"> {
  let summary = "NumPy matmul: batched, with broadcast batch dimensions";
  let arguments = (ins Tinyc_FloatTensor:$lhs, Tinyc_FloatTensor:$rhs,
                       OptionalAttr<Tinyc_ActivationAttr>:$act,
                       OptionalAttr<Tinyc_FakeQuantAttr>:$quant);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, $result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getMacCount();
  }];
}


//===----------------------------------------------------------------------===//
// Integer operators made by tinyc-integer-islands
//===----------------------------------------------------------------------===//

// int8 or uint8 (ONNX's signed int8 is the signless i8).
def Tinyc_QTensor : RankedTensorOf<[I8, UI8]>;

def Tinyc_QConvOp : Tinyc_Op<"qconv"> {
  let summary = "int8 grouped convolution, channels last, requantized per output channel";
  let description = [{
    What a DequantizeLinear -> Conv (or Gemm, MatMul) -> QuantizeLinear
    island computes, in integers. `input` is [N, spatial..., C] (channels
    last, so that a reduction over channels reads contiguous bytes), `weight`
    is int8 [M, kernel..., C/group] with its zero point already subtracted,
    `bias` int32 [M], `multiplier` f32 [M] = input scale * weight scale[m] /
    output scale. Output element (n, o..., m) is

      acc = bias[m] + sum over taps and channels of
            (x - input_zero_point) * w          (int32)
      y   = clamp(roundeven(float(acc) * multiplier[m]) + output_zero_point,
                  qmin, qmax)

    as ONNX Runtime's QLinearConv requantizes; a fused Relu or Clip is in
    qmin and qmax. Padding contributes nothing (the input's zero point).
  }];
  let arguments = (ins Tinyc_QTensor:$input, RankedTensorOf<[I8]>:$weight,
                       RankedTensorOf<[I32]>:$bias, RankedTensorOf<[F32]>:$multiplier,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads, I64Attr:$group,
                       I64Attr:$input_zero_point, I64Attr:$output_zero_point,
                       I64Attr:$qmin, I64Attr:$qmax);
  let results = (outs Tinyc_QTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `,` $multiplier attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    unsigned getNumSpatialDims() { return getStrides().size(); }
    int64_t getMacCount();
  }];
}

def Tinyc_QAddOp : Tinyc_Op<"qadd"> {
  let summary = "int8 addition of two quantized tensors of one shape, requantized";
  let description = [{
    `y = clamp(roundeven((a - a_zp) * lhs_scale + (b - b_zp) * rhs_scale)
               + output_zero_point, qmin, qmax)`, the scales being each
    input's scale over the output's, computed in f32 as ONNX Runtime's
    QLinearAdd does.
  }];
  let arguments = (ins Tinyc_QTensor:$lhs, Tinyc_QTensor:$rhs,
                       I64Attr:$lhs_zero_point, I64Attr:$rhs_zero_point,
                       F32Attr:$lhs_scale, F32Attr:$rhs_scale,
                       I64Attr:$output_zero_point, I64Attr:$qmin, I64Attr:$qmax);
  let results = (outs Tinyc_QTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, $result)";
  let hasVerifier = 1;
}

def Tinyc_QMulOp : Tinyc_Op<"qmul"> {
  let summary = "int8 multiplication of two quantized tensors of one shape, requantized";
  let description = [{
    `y = clamp(roundeven((a - a_zp) * (b - b_zp) * scale) + output_zero_point,
               qmin, qmax)` with `scale` = a_scale * b_scale / y_scale (f32).
  }];
  let arguments = (ins Tinyc_QTensor:$lhs, Tinyc_QTensor:$rhs,
                       I64Attr:$lhs_zero_point, I64Attr:$rhs_zero_point, F32Attr:$scale,
                       I64Attr:$output_zero_point, I64Attr:$qmin, I64Attr:$qmax);
  let results = (outs Tinyc_QTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, $result)";
  let hasVerifier = 1;
}

def Tinyc_QTableOp : Tinyc_Op<"qtable"> {
  let summary = "an element-wise function of int8 values by a 256-entry table";
  let description = [{
    `result = table[x + 128]` for int8 `x`, `table[x]` for uint8: what a
    DequantizeLinear -> activation -> QuantizeLinear island computes for each
    of the 256 inputs, evaluated at compile time with the float definition
    (ScalarSemantics.h), so the table is exact.
  }];
  let arguments = (ins Tinyc_QTensor:$input, Tinyc_QTensor:$table);
  let results = (outs Tinyc_QTensor:$result);
  let assemblyFormat = "$input `,` $table attr-dict `:` functional-type(operands, $result)";
  let hasVerifier = 1;
}

def Tinyc_QPoolOp : Tinyc_Op<"qpool"> {
  let summary = "int8 max or average pooling, channels last, requantized";
  let description = [{
    `input` is [N, spatial..., C]. Each window's maximum, or its int32 sum
    divided by the tap count (as tinyc.pool counts them), minus
    `input_zero_point`, times `scale` (input scale over output scale), is
    rounded half to even, offset by `output_zero_point` and clamped to
    [qmin, qmax].
  }];
  let arguments = (ins Tinyc_QTensor:$input, Tinyc_PoolKindAttr:$kind,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations, DenseI64ArrayAttr:$pads,
                       BoolAttr:$ceil_mode, BoolAttr:$count_include_pad,
                       I64Attr:$input_zero_point, F32Attr:$scale,
                       I64Attr:$output_zero_point, I64Attr:$qmin, I64Attr:$qmax);
  let results = (outs Tinyc_QTensor:$result);
  let assemblyFormat = "$input $kind attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

#endif // TINYC_OPS_TD

//===----------------------------------------------------------------------===//
// Compressed forms made by the compression passes
//===----------------------------------------------------------------------===//

def Tinyc_SparseConvOp : Tinyc_Op<"sparse_conv", [AttrSizedOperandSegments]> {
  let summary = "a convolution storing and multiplying only its nonzero weights";
  let description = [{
    Made by tinyc-sparsify-weights. The weights of output channel `m` are
    `values[row_starts[m] .. row_starts[m+1])`; each comes with the offset of
    its input element from the window's first element in the flattened input
    of the channel group (`c * H * W + kh * dilation_h * W + kw * dilation_w`).
    The input is already padded (the convolution itself pads nothing), so
    every offset is in bounds. `kernel` is the dense kernel's spatial extent,
    from which the result shape follows as for `tinyc.conv`. With `unroll`,
    each channel's taps become straight-line code with constant offsets and
    weights instead of a loop over the arrays.
  }];
  let arguments = (ins Tinyc_FloatTensor:$input, Tinyc_FloatTensor:$values,
                       RankedTensorOf<[I16, I32]>:$offsets, RankedTensorOf<[I32]>:$row_starts,
                       Optional<Tinyc_FloatTensor>:$bias,
                       Optional<Tinyc_FloatTensor>:$residual,
                       DenseI64ArrayAttr:$kernel, DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations, I64Attr:$group, BoolAttr:$unroll,
                       OptionalAttr<Tinyc_ActivationAttr>:$act,
                       OptionalAttr<Tinyc_FakeQuantAttr>:$quant);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $values `,` $offsets `,` $row_starts (`bias` $bias^)? (`residual` $residual^)?
    attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Multiply-accumulates of one inference: the nonzero weights only.
    int64_t getMacCount();
    /// How many adjacent output positions along the last dimension the code
    /// computes together (sharing each weight load) for an extent: the
    /// block size in {1, 2, 4, 8} that needs the fewest loop iterations,
    /// counting the positions left over one at a time.
    static int64_t getPositionBlock(int64_t extent);
  }];
}

def Tinyc_SparseGemmOp : Tinyc_Op<"sparse_gemm"> {
  let summary = "alpha * A * B + beta * C storing only B's nonzero weights";
  let description = [{
    Made by tinyc-sparsify-weights from a Gemm (or 2-d MatMul) with constant
    B. Output column `j` sums `A[i, offsets[t]] * values[t]` over
    `t` in `[row_starts[j], row_starts[j+1])`; `alpha` is folded into the
    values. `c` (optional) is a bias broadcast to the result.
  }];
  let arguments = (ins Tinyc_FloatTensor:$a, Tinyc_FloatTensor:$values,
                       RankedTensorOf<[I16, I32]>:$offsets, RankedTensorOf<[I32]>:$row_starts,
                       Optional<Tinyc_FloatTensor>:$c, BoolAttr:$unroll,
                       OptionalAttr<Tinyc_ActivationAttr>:$act,
                       OptionalAttr<Tinyc_FakeQuantAttr>:$quant);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = [{
    $a `,` $values `,` $offsets `,` $row_starts (`,` $c^)? attr-dict `:`
    functional-type(operands, $result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getMacCount();
  }];
}

def Tinyc_PackBitsOp : Tinyc_Op<"pack_bits"> {
  let summary = "packs the signs of a tensor, 32 per word, for binary layers";
  let description = [{
    The values of `input` along `axis` (moved last) become words of bits:
    `words` words whose bit i is set where element 32 * w + i is negative,
    then `words` words whose bit i is set where it is not zero. Together they
    are the sign (-1, 0 or 1) of each element, which is what a binary layer
    whose input comes from Sign reads. Bits past the end of the axis are 0.
  }];
  let arguments = (ins Tinyc_FloatTensor:$input, I64Attr:$axis);
  let results = (outs RankedTensorOf<[I32]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Tinyc_BinaryConvOp : Tinyc_Op<"binary_conv"> {
  let summary = "a convolution whose weights are +-alpha per output channel";
  let description = [{
    Made by tinyc-pack-binary-weights. `weight_bits` ([M, K..., words]) holds
    a bit per weight, set where the weight is -alpha[m], with the input
    channels 32 per word along the last dimension. With a packed `input`
    (from `tinyc.pack_bits`, [N, spatial..., 2 * words]) the dot product of a
    window is popcount(nonzero) - 2 * popcount((sign XOR weight) AND nonzero),
    counted exactly in integers; with a float input (NCHW) it is a sum of
    additions and subtractions. Then `alpha[m] * dot + bias[m]` and the
    epilogue. Padding contributes nothing, as zeros would.
  }];
  let arguments = (ins AnyRankedTensor:$input, RankedTensorOf<[I32]>:$weight_bits,
                       Tinyc_FloatTensor:$alpha, Optional<Tinyc_FloatTensor>:$bias,
                       DenseI64ArrayAttr:$strides, DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$pads,
                       OptionalAttr<Tinyc_ActivationAttr>:$act,
                       OptionalAttr<Tinyc_FakeQuantAttr>:$quant);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight_bits `,` $alpha (`bias` $bias^)? attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool hasPackedInput() { return getInput().getType().getElementType().isInteger(32); }
    int64_t getMacCount();
  }];
}

def Tinyc_BinaryGemmOp : Tinyc_Op<"binary_gemm"> {
  let summary = "A * B + C where each column of B is +-alpha";
  let description = [{
    The fully connected form of `tinyc.binary_conv`: `weight_bits` is
    [N, words], column n's bits set where B is -alpha[n]; `a` is [M, K]
    float or [M, 2 * words] packed.
  }];
  let arguments = (ins AnyRankedTensor:$a, RankedTensorOf<[I32]>:$weight_bits,
                       Tinyc_FloatTensor:$alpha, Optional<Tinyc_FloatTensor>:$c,
                       OptionalAttr<Tinyc_ActivationAttr>:$act,
                       OptionalAttr<Tinyc_FakeQuantAttr>:$quant);
  let results = (outs Tinyc_FloatTensor:$result);
  let assemblyFormat = [{
    $a `,` $weight_bits `,` $alpha (`,` $c^)? attr-dict `:` functional-type(operands, $result)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    bool hasPackedInput() { return getA().getType().getElementType().isInteger(32); }
    /// Bit operations of one inference: each output takes 32 * words bits.
    int64_t getMacCount();
  }];
}
