//===- Pipeline.cpp - the one place that knows the pass order -------------===//

#include "tinyc/Pipeline/Pipeline.h"

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::tinyc;

std::vector<std::string> tinyc::getOptionalPasses() {
  return {"tinyc-integer-islands", "tinyc-fuse-quantize-pairs", "tinyc-fuse-pad", "tinyc-fold-batchnorm",
          "tinyc-fuse-ops", "tinyc-factorize-conv", "tinyc-factorize-matrices",
          "tinyc-pack-binary-weights",
          "tinyc-sparsify-weights", "tinyc-fuse-elementwise"};
}

void tinyc::buildTensorPipeline(OpPassManager &pm, const PipelineOptions &options) {
  // A float model made QDQ from its calibration ranges, before anything else
  // changes the graph the ranges were measured on; integer islands then
  // compile it like any QDQ model.
  if (options.quantizeInt8) {
    TinycQuantizeInt8Options quantize;
    quantize.percentile = options.calibrationPercentile;
    pm.addNestedPass<func::FuncOp>(createTinycQuantizeInt8(quantize));
  }
  // Before anything folds a DequantizeLinear of a constant weight into
  // float: the integer islands read the weights' integers.
  if (options.isEnabled("tinyc-integer-islands"))
    pm.addNestedPass<func::FuncOp>(createTinycIntegerIslands());
  // Folds what import left foldable: dequantized weights become float
  // constants, constant-bound clips become activations, transposes cancel.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Fusion: the same arithmetic in fewer kernels. Quantize pairs and batch
  // normalizations first, so that what they become can join an epilogue.
  OpPassManager &func = pm.nest<func::FuncOp>();
  if (options.isEnabled("tinyc-fuse-quantize-pairs"))
    func.addPass(createTinycFuseQuantizePairs());
  if (options.isEnabled("tinyc-fuse-pad"))
    func.addPass(createTinycFusePad());
  if (options.isEnabled("tinyc-fold-batchnorm"))
    func.addPass(createTinycFoldBatchNorm());
  if (options.isEnabled("tinyc-fuse-ops"))
    func.addPass(createTinycFuseOps());
  // Compression, on the fused operators (whose epilogues move along).
  if (options.isEnabled("tinyc-factorize-conv")) {
    TinycFactorizeConvOptions factorize;
    factorize.tolerance = options.factorizeTolerance;
    func.addPass(createTinycFactorizeConv(factorize));
  }
  if (options.isEnabled("tinyc-factorize-matrices")) {
    TinycFactorizeMatricesOptions factorize;
    factorize.tolerance = options.factorizeTolerance;
    func.addPass(createTinycFactorizeMatrices(factorize));
  }
  if (options.isEnabled("tinyc-pack-binary-weights"))
    func.addPass(createTinycPackBinaryWeights());
  if (options.isEnabled("tinyc-sparsify-weights")) {
    TinycSparsifyWeightsOptions sparsify;
    sparsify.kernel = options.sparseKernel;
    func.addPass(createTinycSparsifyWeights(sparsify));
  }
  // Last of the tensor passes: the others match single operations.
  if (options.isEnabled("tinyc-fuse-elementwise"))
    func.addPass(createTinycFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  TinycPlanMemoryOptions plan;
  plan.alignment = options.bufferAlignment;
  plan.redzone = options.arenaRedzone;
  // The kernels with scratch are the speed-optimized ones.
  plan.armDsp = options.armDsp && !options.optimizeForSize;
  pm.addNestedPass<func::FuncOp>(createTinycPlanMemory(plan));
  TinycCheckTargetLimitsOptions limits;
  limits.indexBitwidth = options.indexBitwidth;
  limits.flashBytes = options.flashBytes;
  limits.ramBytes = options.ramBytes;
  pm.addNestedPass<func::FuncOp>(createTinycCheckTargetLimits(limits));
  if (options.layerMarkers)
    pm.addPass(createTinycMarkLayers());
}

void tinyc::buildLoweringPipeline(OpPassManager &pm, const PipelineOptions &options) {
  TinycLowerToLoopsOptions loopOptions;
  loopOptions.optimizeForSize = options.optimizeForSize;
  loopOptions.armDsp = options.armDsp;
  loopOptions.fixedPointRequant = options.fixedPointRequant;
  pm.addPass(createTinycLowerToLoops(loopOptions));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // After the clean-up, so that the pieces' sizes are those LLVM will see.
  pm.addPass(createTinycOutlineLayers());
  pm.addPass(arith::createArithExpandOpsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertSCFToCFPass());
  FinalizeMemRefToLLVMConversionPassOptions memrefOptions;
  memrefOptions.indexBitwidth = options.indexBitwidth;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefOptions));
  ArithToLLVMConversionPassOptions arithOptions;
  arithOptions.indexBitwidth = options.indexBitwidth;
  pm.addPass(createArithToLLVMConversionPass(arithOptions));
  pm.addPass(createConvertMathToLLVMPass());
  ConvertControlFlowToLLVMPassOptions cfOptions;
  cfOptions.indexBitwidth = options.indexBitwidth;
  pm.addPass(createConvertControlFlowToLLVMPass(cfOptions));
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  funcOptions.indexBitwidth = options.indexBitwidth;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void tinyc::registerTinycPipelines() {
  PassPipelineRegistration<>("tinyc-tensor-pipeline",
                             "tinyc's tensor-level passes, through memory planning",
                             [](OpPassManager &pm) { buildTensorPipeline(pm, {}); });
  PassPipelineRegistration<>("tinyc-lowering-pipeline",
                             "lowers planned tinyc to the LLVM dialect",
                             [](OpPassManager &pm) { buildLoweringPipeline(pm, {}); });
}

void tinyc::registerTinycDialects(DialectRegistry &registry) {
  registry.insert<TinycDialect, affine::AffineDialect, arith::ArithDialect, cf::ControlFlowDialect,
                  func::FuncDialect, LLVM::LLVMDialect, math::MathDialect, memref::MemRefDialect,
                  scf::SCFDialect>();
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
}
