//===- MarkLayers.cpp - profiling markers around each layer ---------------===//

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Transforms/Passes.h"
#include "tinyc_abi.h"

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCMARKLAYERS
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

constexpr llvm::StringLiteral kBegin = TINYC_ABI_STR(TINYC_ABI_LAYER_BEGIN);
constexpr llvm::StringLiteral kEnd = TINYC_ABI_STR(TINYC_ABI_LAYER_END);

struct MarkLayersPass : tinyc::impl::TinycMarkLayersBase<MarkLayersPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main)
      return;
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    Type i32 = builder.getI32Type();
    for (auto [name, type] : {std::pair{kBegin, builder.getFunctionType(i32, {})},
                              std::pair{kEnd, builder.getFunctionType({}, {})}})
      if (!module.lookupSymbol(name))
        builder.create<func::FuncOp>(module.getLoc(), name, type).setPrivate();

    int32_t layer = 0;
    for (Operation &op : llvm::make_early_inc_range(main.getBody().front())) {
      // Constants and reshapes run no code.
      if (!isa<TinycDialect>(op.getDialect()) || isa<ConstantOp, ReshapeOp>(op))
        continue;
      op.setAttr(kLayerAttr, builder.getI32IntegerAttr(layer));
      builder.setInsertionPoint(&op);
      Value index = builder.create<arith::ConstantOp>(op.getLoc(), builder.getI32IntegerAttr(layer));
      builder.create<func::CallOp>(op.getLoc(), kBegin, TypeRange{}, index);
      builder.setInsertionPointAfter(&op);
      builder.create<func::CallOp>(op.getLoc(), kEnd, TypeRange{}, ValueRange{});
      ++layer;
    }
  }
};

} // namespace
