//===- Passes.td - tinyc passes --------------------------------*- tablegen -*-===//
//
// Every pass of tinyc. The order they run in is decided in one place only:
// lib/Pipeline/Pipeline.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_TRANSFORMS_PASSES_TD
#define TINYC_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Fusion: fewer kernels and fewer passes over memory, exactly the same math
//===----------------------------------------------------------------------===//

def TinycQuantizeInt8 : Pass<"tinyc-quantize-int8", "::mlir::func::FuncOp"> {
  let summary = "Post-training int8 quantization of a float model from calibration inputs";
  let description = [{
    Evaluates the float function on the host on each calibration set (the
    function's `tinyc.calibration` attribute: per set, one tensor per
    argument) and records every activation's range (min/max, or a
    percentile). Then inserts QuantizeLinear -> DequantizeLinear pairs with
    per-tensor asymmetric int8 parameters after each activation whose
    producer has an integer form (a Relu or constant Clip stays inside its
    producer's island), quantizes the constant weights of Conv, Gemm and 2-d
    MatMul per output channel (symmetric int8) and their biases to int32 in
    the accumulator's scale, so that tinyc-integer-islands makes integer
    operators of them. The graph's outputs stay float. Each layer's SQNR on
    the calibration set (the quantized graph simulated with fake
    quantization) goes to the function's `tinyc.quantization_sqnr`
    attribute. Without calibration data the pass fails: it does not guess
    ranges.
  }];
  let options = [
    Option<"percentile", "percentile", "double", /*default=*/"100.0",
           "Range of each activation: this percentile of its calibration values "
           "and its complement (100: min and max)">,
  ];
}

def TinycIntegerIslands : Pass<"tinyc-integer-islands", "::mlir::func::FuncOp"> {
  let summary = "Rewrites DequantizeLinear -> op -> QuantizeLinear islands into int8 operators";
  let description = [{
    Conv, Gemm and 2-d MatMul with constant weights become `tinyc.qconv`
    (channels last, int8 weights re-laid out at compile time, int32 bias,
    one requantization multiplier per output channel); Add becomes
    `tinyc.qadd`; max and average pooling `tinyc.qpool`; Reshape and
    Transpose between equal quantizations move the integers. A Relu or a
    constant Clip before the QuantizeLinear narrows the saturation bounds.
    Transposes to and from channels last are added around each layer and
    cancel between layers. Float ops that stay between a DequantizeLinear
    and a QuantizeLinear are marked for --report with the reason.
  }];
}

def TinycFuseQuantizePairs : Pass<"tinyc-fuse-quantize-pairs", "::mlir::func::FuncOp"> {
  let summary = "Turns QuantizeLinear -> DequantizeLinear pairs into one fake quantization";
  let description = [{
    A `tinyc.quantize` whose result a `tinyc.dequantize` with the same
    constant per-tensor scale and zero point reads becomes one
    `tinyc.fake_quant` (the round trip computed in float exactly as ONNX
    defines the two). tinyc-fuse-ops then moves it into the producer's
    epilogue, so a QDQ model's activations no longer make two extra passes
    over memory per layer.
  }];
}

def TinycFusePad : Pass<"tinyc-fuse-pad", "::mlir::func::FuncOp"> {
  let summary = "Folds zero Pad operators into the padding of the convolution they feed";
  let description = [{
    A constant-mode `tinyc.pad` with value 0 that pads only spatial
    dimensions, read by a `tinyc.conv`, becomes part of the convolution's
    `pads`: the padded copy is never made. Pads with another value or mode,
    or on the batch or channel dimensions, are left alone.
  }];
}

def TinycFoldBatchNorm : Pass<"tinyc-fold-batchnorm", "::mlir::func::FuncOp"> {
  let summary = "Folds inference BatchNormalization into the weights before it";
  let description = [{
    With constant statistics, `y = (x - mean) / sqrt(var + eps) * scale + bias`
    is a per-channel `x * s + t`. When `x` comes from a `tinyc.conv` (or a 2-d
    `tinyc.gemm`/`tinyc.matmul`) with constant weights that nothing else
    reads, `s` scales its weights and `t` joins its bias, and the
    normalization disappears. Otherwise it becomes one `tinyc.scale_shift`.
    Statistics known only at run time are left alone.
  }];
}

def TinycFuseOps : Pass<"tinyc-fuse-ops", "::mlir::func::FuncOp"> {
  let summary = "Moves activations, fake quantizations and residual adds into epilogues";
  let description = [{
    Rewrites, where the producer has no other reader:
    * an activation (Relu, Clip, LeakyRelu, Sigmoid, Tanh, HardSigmoid,
      HardSwish) into the `act` of the Conv, Gemm, MatMul, elementwise
      arithmetic or scale_shift producing its input;
    * a `tinyc.fake_quant` into the `quant` of its producer (also pooling);
    * `add(conv(x), r)` into `conv(x) residual r` (the add's activation and
      quantization come along);
    * `add(matmul(a, b), c)` with 2-d operands and a constant bias row into
      a `tinyc.gemm` with `C`.
    Each saves a kernel and a pass over memory; the arithmetic is unchanged.
  }];
}

def TinycFuseElementwise : Pass<"tinyc-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Computes chains of elementwise operations in one loop";
  let description = [{
    An elementwise operation (ElementwiseOpInterface) whose element operand
    is produced by another one of the same result shape, read by nothing
    else, joins it in one `tinyc.fused_elementwise`: one loop computes the
    whole chain (a tree of such operations) element by element, the values
    in between stay in registers, and their tensors take no arena. The
    arithmetic of each operation is unchanged, so are the results, bit for
    bit. A fused body holds at most `max-ops` operations, so that a loop's
    body (and its register pressure) stays small; a long chain becomes
    several loops.
  }];
  let options = [
    Option<"maxOps", "max-ops", "int64_t", /*default=*/"32",
           "Most operations in one fused loop">,
  ];
}

//===----------------------------------------------------------------------===//
// Compression: less work for the same (or, when asked, nearly the same) result
//===----------------------------------------------------------------------===//

def TinycFactorizeConv : Pass<"tinyc-factorize-conv", "::mlir::func::FuncOp"> {
  let summary = "Splits KxK convolutions with low-rank filters into Kx1 and 1xK ones";
  let description = [{
    For a 2-d convolution with constant KxK weights (K >= 3), the weights of
    each group, arranged as a matrix with rows (input channel, tap along one
    axis) and columns (output channel, tap along the other), factor by SVD
    into R rank-one terms (Jaderberg et al., the Inception form). When the
    rank R makes it cheaper, the convolution becomes a Kx1 convolution into
    R channels per group followed by a 1xK convolution (or the other way
    round, whichever costs fewer multiply-accumulates); the second carries the
    bias, residual and epilogue. Padding, strides and dilations split by axis.

    By default only exact factorizations are taken: the relative Frobenius
    error of the weights must stay at float rounding (1e-6). With `tolerance`
    the smallest rank whose relative weight error is at most the tolerance is
    taken, and each factorized layer is reported (rank, error, MACs before
    and after) as a remark.
  }];
  let options = [
    Option<"tolerance", "tolerance", "double", /*default=*/"0.0",
           "Largest relative weight error of a low-rank approximation (0: exact only)">,
  ];
}

def TinycFactorizeMatrices : Pass<"tinyc-factorize-matrices", "::mlir::func::FuncOp"> {
  let summary = "Splits Gemm, MatMul and 1x1 convolution weights of low rank into two thinner layers";
  let description = [{
    The constant weight matrix W (reduced dimension x outputs) of a float
    Gemm, of a MatMul with a 2-d constant right operand, or of a one-group
    convolution with 1x1 kernels, factors by truncated SVD into P (rows x R)
    times Q (R x columns). When R * (rows + columns) < rows * columns (fewer
    weights and fewer multiply-accumulates), the layer becomes two: the input
    times P into R values, then times Q; the second carries alpha, the bias,
    the residual and the epilogue; a convolution's stride, dilation and
    padding go to the first (a padded position then gives 0, and the second
    the bias, as before).

    By default only exact factorizations are taken: the relative Frobenius
    error of the weights must stay at float rounding (1e-6), which holds
    when W is rank-deficient. With `tolerance` the smallest rank whose
    relative weight error is at most the tolerance is taken, and each
    factorized layer is reported (rank, error, MACs before and after) as a
    remark and in --report.
  }];
  let options = [
    Option<"tolerance", "tolerance", "double", /*default=*/"0.0",
           "Largest relative weight error of a low-rank approximation (0: exact only)">,
  ];
}

def TinycSparsifyWeights : Pass<"tinyc-sparsify-weights", "::mlir::func::FuncOp"> {
  let summary = "Gives layers with mostly zero weights code that skips the zeros";
  let description = [{
    First, structured pruning: a channel between two convolutions is removed
    from both when the first one's filter for it is zero (and its bias and
    epilogue keep it zero) or when the second one never reads it (its weights
    for that input channel are zero). Then, per Conv, Gemm or 2-d MatMul with
    constant weights, a cost model (instructions per multiply-accumulate,
    measured on the Cortex-M7: bench/sparsity) picks the cheapest of:
    * dense code (the layer is left alone);
    * arrays: `tinyc.sparse_conv`/`tinyc.sparse_gemm` storing only the nonzero
      weights with 16- or 32-bit offsets, walked by a loop;
    * unrolled: the same operators with straight-line code per output channel,
      for very sparse layers whose code stays small.
    A padded convolution reads an explicitly padded copy of its input, so
    that the sparse loops test no bounds. `kernel` forces one form (for
    measurements); `auto` uses the cost model.
  }];
  let options = [
    Option<"kernel", "kernel", "std::string", /*default=*/"\"auto\"",
           "auto, dense, arrays or unrolled">,
  ];
}

def TinycPackBinaryWeights : Pass<"tinyc-pack-binary-weights", "::mlir::func::FuncOp"> {
  let summary = "Stores +-alpha weights as bits; uses XNOR and popcount on Sign inputs";
  let description = [{
    A Conv (ungrouped), Gemm or 2-d MatMul whose constant weights take only
    the values +alpha and -alpha in each output channel (BinaryConnect,
    XNOR-Net; a folded BatchNormalization scales them per channel) becomes a
    `tinyc.binary_conv`/`tinyc.binary_gemm` with one bit per weight and one
    alpha per channel. When its input comes from Sign (as in BinaryNet), the
    input is packed 32 elements per word (`tinyc.pack_bits` reads the value
    before the Sign) and the dot product is counted with XOR and popcount;
    otherwise multiplications become additions and subtractions. A max pool
    of a Sign is the Sign of the max pool, which puts the Sign next to the
    layer that reads it.
  }];
}

def TinycPlanMemory : Pass<"tinyc-plan-memory", "::mlir::func::FuncOp"> {
  let summary = "Places every intermediate tensor in one arena of known size";
  let description = [{
    Decides where each operator writes its result. A result that a graph
    output is (or is a reshape of) is written straight into the caller's output
    buffer (`tinyc.output = K`). Every other result gets an offset in the arena
    (`tinyc.offset = BYTES`): buffers whose lifetimes overlap never share
    memory, and the buffers are placed largest first at the lowest offset that
    fits, which keeps the arena close to the peak of live bytes. Reshapes move
    no data and share their operand's buffer; constants live in flash.

    The function gets `tinyc.arena_bytes`, the exact size one call needs.

    With `redzone` (for AddressSanitizer builds), every buffer is followed by
    a gap of at least that many bytes, up to the next aligned offset, and no
    two buffers share memory even when their lifetimes allow it, so that no
    byte of a gap ever belongs to a tensor. The function then also gets
    `tinyc.arena_redzones`, the gaps as [offset, bytes, offset, bytes, ...],
    which a harness poisons: a loop that runs past its tensor, by up to
    `redzone` bytes, touches poisoned memory instead of its neighbour.

    With `arm-dsp`, an operation whose kernel asks for scratch memory
    (tinyc/Transforms/Scratch.h) gets it as a buffer live only while it runs,
    placed after the tensors and only where it fits in the arena they need
    (the scratch makes the kernel faster, never the arena larger); its offset
    is `tinyc.scratch_offset = BYTES` on the operation. Without red zones
    only (those keep every buffer apart), and with an alignment of at least
    4 (the kernels load words).
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", /*default=*/"16",
           "Byte alignment of every buffer in the arena (a power of two)">,
    Option<"redzone", "redzone", "int64_t", /*default=*/"0",
           "Bytes of poisoned gap after every buffer (0: none; the buffers share memory by lifetime)">,
    Option<"armDsp", "arm-dsp", "bool", /*default=*/"false",
           "Place the scratch the Arm DSP kernels ask for where the arena has room">,
  ];
}

def TinycCheckTargetLimits : Pass<"tinyc-check-target-limits", "::mlir::func::FuncOp"> {
  let summary = "Refuses tensors, weights and arenas the target cannot hold";
  let description = [{
    Runs after memory planning, when the weights and the arena are final. Each
    tensor (argument, result, constant or intermediate) must take fewer than
    2^(index-bitwidth - 1) bytes, and each integer-array attribute (pads,
    strides, dilations) must fit that width, since the generated code indexes
    with it; the weights together must fit `flash-bytes` and the arena
    `ram-bytes` (0: not known). Each violation is an error naming the tensor
    or the node and the size.
  }];
  let options = [
    Option<"indexBitwidth", "index-bitwidth", "unsigned", /*default=*/"64",
           "Width of index arithmetic in the generated code">,
    Option<"flashBytes", "flash-bytes", "int64_t", /*default=*/"0",
           "Read-only memory for the weights (0: not known)">,
    Option<"ramBytes", "ram-bytes", "int64_t", /*default=*/"0",
           "Largest RAM region for the arena (0: not known)">,
  ];
}

def TinycOutlineLayers : Pass<"tinyc-outline-layers", "::mlir::ModuleOp"> {
  let summary = "Splits the lowered @main into functions of bounded size";
  let description = [{
    LLVM's -O2 and its code generator are superlinear in the size of a
    function, and the lowered `@main` holds every layer of the model: a graph
    of a few thousand operators took minutes. This pass cuts `@main`'s body,
    between top-level loop nests, into pieces of at least `max-ops` nested
    operations each and moves each piece into a private function that takes
    `@main`'s arguments (inputs, outputs, arena); `@main` calls them in
    order. The views of the arena, globals and constants that a piece uses
    from an earlier one are recomputed in it (they cost no instruction at
    run time once folded into addresses). The functions are `noinline` (LLVM
    would otherwise inline each single call back) and their buffer arguments
    `noalias`, the promise `@main` makes. A model smaller than `max-ops`
    stays one function; the loop nests themselves are not touched.
  }];
  let options = [
    Option<"maxOps", "max-ops", "int64_t", /*default=*/"100",
           "Operations a function gathers before the next loop nest starts another">,
  ];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

def TinycMarkLayers : Pass<"tinyc-mark-layers", "::mlir::ModuleOp"> {
  let summary = "Brackets each layer of @main with calls to profiling markers";
  let description = [{
    For measuring where the instructions go: numbers the operators of
    `@main` that compute (`tinyc.layer = I`) and calls
    `tinyc_layer_begin(I)` before and `tinyc_layer_end()` after each, external
    functions that a profiling harness provides. An instruction counter that
    snapshots at one and records at the other then gives every layer's cost.
  }];
}

def TinycLowerToLoops : Pass<"tinyc-lower-to-loops", "::mlir::ModuleOp"> {
  let summary = "Lowers planned tinyc operators to loops over memrefs";
  let description = [{
    `@main(tensors...) -> tensors` becomes
    `@main(inputs..., outputs..., arena)` on memrefs, and each operator becomes
    a loop nest specialised to its static shapes and attributes, writing
    where tinyc-plan-memory placed its result. Fused activations and residual
    additions are applied in the producing loop nest's epilogue. Constants
    become read-only globals. Transcendental functions call the freestanding
    runtime (runtime/tinyc_runtime.h), which the code generator links in.

    With `optimize-for-size`, loop nests favour code size over speed (for
    -Os and -Oz): convolutions neither block output positions nor give
    border positions code of their own.
  }];
  let options = [
    Option<"optimizeForSize", "optimize-for-size", "bool", /*default=*/"false",
           "Smaller loop nests at the cost of speed">,
    Option<"armDsp", "arm-dsp", "bool", /*default=*/"false",
           "int8 kernels use the Arm DSP extension (SXTB16, SMLAD)">,
    Option<"fixedPointRequant", "fixed-point-requant", "bool", /*default=*/"false",
           "int8 convolutions requantize in integers (cores without an FPU)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::LLVM::LLVMDialect"
  ];
}

#endif // TINYC_TRANSFORMS_PASSES_TD
