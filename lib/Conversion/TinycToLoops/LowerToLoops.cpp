//===- LowerToLoops.cpp - the tinyc-lower-to-loops pass -------------------===//

#include "Lowering.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include "tinyc/Transforms/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCLOWERTOLOOPS
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

constexpr llvm::StringLiteral kNumOutputsAttr = "tinyc.num_outputs";

/// The memref a view chain starts from.
Value viewBase(Value v) {
  while (auto cast = v.getDefiningOp<memref::ReinterpretCastOp>())
    v = cast.getSource();
  return v;
}

/// Returns become copies into the output buffers, except where the result was
/// computed in place there.
struct ReturnLowering : OpConversionPattern<func::ReturnOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(func::ReturnOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto func = op->getParentOfType<func::FuncOp>();
    unsigned numOutputs = func->getAttrOfType<IntegerAttr>(kNumOutputsAttr).getInt();
    unsigned firstOutput = func.getNumArguments() - 1 - numOutputs;
    for (auto [k, value] : llvm::enumerate(adaptor.getOperands())) {
      Value output = func.getArgument(firstOutput + k);
      if (cast<MemRefType>(output.getType()).getNumElements() == 0)
        continue; // Nothing to copy.
      if (viewBase(value) != output)
        rewriter.create<memref::CopyOp>(op.getLoc(), value, output);
    }
    rewriter.replaceOpWithNewOp<func::ReturnOp>(op);
    return success();
  }
};

/// The data of a constant in its storage element type.
DenseElementsAttr storageData(DenseElementsAttr value) {
  Type elem = value.getElementType();
  Type storage = storageType(elem);
  if (storage == elem)
    return value;
  auto type = RankedTensorType::get(value.getType().getShape(), storage);
  unsigned width = storage.getIntOrFloatBitWidth();
  return cast<DenseIntElementsAttr>(value).mapValues(storage, [&](const llvm::APInt &v) {
    return elem.isUnsignedInteger() || elem.isInteger(1) ? v.zext(width) : v.sext(width);
  }).reshape(type);
}

struct LowerToLoopsPass : tinyc::impl::TinycLowerToLoopsBase<LowerToLoopsPass> {
  using TinycLowerToLoopsBase::TinycLowerToLoopsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto func = module.lookupSymbol<func::FuncOp>("main");
    if (!func || func.getBody().getBlocks().size() != 1) {
      module.emitError() << "expected a function @main with one block";
      return signalPassFailure();
    }
    auto arenaBytes = func->getAttrOfType<IntegerAttr>(kArenaBytesAttr);
    if (!arenaBytes) {
      func.emitError() << "has no arena size (tinyc-plan-memory must run first)";
      return signalPassFailure();
    }
    if (failed(createGlobals(module)))
      return signalPassFailure();
    declareRuntime(module);
    rewriteSignature(func, arenaBytes.getInt());

    BufferTypeConverter converter;
    RewritePatternSet patterns(&getContext());
    populateDataMovementLowering(patterns, converter);
    populateElementwiseLowering(patterns, converter);
    populateConvLowering(patterns, converter, optimizeForSize);
    populateBinaryLowering(patterns, converter, optimizeForSize);
    populatePoolLowering(patterns, converter, optimizeForSize);
    populateMatMulLowering(patterns, converter);
    populateQuantizedLowering(patterns, converter, optimizeForSize, armDsp, fixedPointRequant);
    populateReduceLowering(patterns, converter);
    populateSoftmaxLowering(patterns, converter);
    populateSparseLowering(patterns, converter);
    patterns.add<ReturnLowering>(converter, &getContext());
    ConversionTarget target(getContext());
    target.addLegalDialect<arith::ArithDialect, math::MathDialect, memref::MemRefDialect,
                           scf::SCFDialect, func::FuncDialect>();
    target.addLegalOp<UnrealizedConversionCastOp>();
    // The int8 kernels' unaligned word loads and DSP intrinsics.
    target.addLegalDialect<LLVM::LLVMDialect>();
    target.addIllegalDialect<TinycDialect>();
    target.addDynamicallyLegalOp<func::ReturnOp>(
        [](func::ReturnOp op) { return op.getNumOperands() == 0; });
    if (failed(applyPartialConversion(func, target, std::move(patterns))))
      return signalPassFailure();

    func.setType(FunctionType::get(&getContext(), func.getArgumentTypes(), {}));
    func->removeAttr(kNumOutputsAttr);
    // Drop runtime declarations nothing calls.
    for (auto decl : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (decl.isDeclaration() && SymbolTable::symbolKnownUseEmpty(decl, module))
        decl.erase();
  }

  /// One read-only global per distinct constant (identical weights are stored
  /// once); each constant op names its global for the lowering pattern.
  LogicalResult createGlobals(ModuleOp module) {
    OpBuilder builder = OpBuilder::atBlockBegin(module.getBody());
    llvm::DenseMap<Attribute, FlatSymbolRefAttr> globals;
    WalkResult result = module.walk([&](ConstantOp op) {
      auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
      if (!dense) {
        op.emitError() << "constant data must be dense elements";
        return WalkResult::interrupt();
      }
      FlatSymbolRefAttr &name = globals[dense];
      if (!name) {
        std::string symbol = "__tinyc_const_" + std::to_string(globals.size() - 1);
        builder.create<memref::GlobalOp>(op.getLoc(), symbol, builder.getStringAttr("private"),
                                         bufferType(op.getType()), storageData(dense),
                                         /*constant=*/true, builder.getI64IntegerAttr(16));
        name = FlatSymbolRefAttr::get(builder.getContext(), symbol);
      }
      op->setAttr(kGlobalAttr, name);
      return WalkResult::advance();
    });
    return failure(result.wasInterrupted());
  }

  void declareRuntime(ModuleOp module) {
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    Type f32 = builder.getF32Type();
    for (llvm::StringRef name : {kExpF, kSigmoidF, kTanhF, kRoundEvenF, kSqrtF, kLogF, kSinF, kCosF,
                                  kTanF, kAsinF, kAcosF, kAtanF, kSinhF, kCoshF, kAsinhF,
                                  kAcoshF, kAtanhF, kErfF}) {
      if (module.lookupSymbol(name))
        continue;
      auto decl = builder.create<func::FuncOp>(module.getLoc(), name,
                                               builder.getFunctionType(f32, f32));
      decl.setPrivate();
    }
    for (auto [name, type] : {std::pair<llvm::StringRef, Type>{kFmodF, f32}, {kFmod, builder.getF64Type()},
                               {kPowF, f32}}) {
      if (module.lookupSymbol(name))
        continue;
      auto decl = builder.create<func::FuncOp>(module.getLoc(), name,
                                               builder.getFunctionType({type, type}, type));
      decl.setPrivate();
    }
  }

  /// @main(tensors) -> tensors becomes @main(input memrefs..., output
  /// memrefs..., arena) whose results, until the return is lowered, are the
  /// old ones. Uses of the old arguments go through casts from the new ones,
  /// which the conversion driver folds away.
  void rewriteSignature(func::FuncOp func, int64_t arenaBytes) {
    Block &entry = func.getBody().front();
    unsigned numInputs = func.getNumArguments();
    llvm::SmallVector<Type> types;
    for (Type t : func.getArgumentTypes())
      types.push_back(boundaryType(cast<RankedTensorType>(t)));
    for (Type t : func.getResultTypes())
      types.push_back(boundaryType(cast<RankedTensorType>(t)));
    types.push_back(MemRefType::get({std::max<int64_t>(arenaBytes, 1)},
                                    IntegerType::get(&getContext(), 8)));

    OpBuilder builder = OpBuilder::atBlockBegin(&entry);
    for (Type t : types)
      entry.addArgument(t, func.getLoc());
    for (unsigned i = 0; i < numInputs; ++i) {
      BlockArgument old = entry.getArgument(i);
      Value arg = entry.getArgument(numInputs + i);
      MemRefType buffer = bufferType(cast<RankedTensorType>(old.getType()));
      if (arg.getType() != buffer)
        arg = reinterpretAs(builder, func.getLoc(), arg, buffer);
      auto cast = builder.create<UnrealizedConversionCastOp>(func.getLoc(), old.getType(), arg);
      old.replaceAllUsesWith(cast.getResult(0));
    }
    entry.eraseArguments(0, numInputs);
    func.setType(FunctionType::get(&getContext(), types, func.getResultTypes()));
    // Names live on in the generated header; the LLVM function needs none.
    func.setAllArgAttrs(llvm::ArrayRef<DictionaryAttr>());
    func.setAllResultAttrs(llvm::ArrayRef<DictionaryAttr>());
    func->setAttr(kNumOutputsAttr, builder.getI64IntegerAttr(func.getNumResults()));
  }
};

} // namespace
