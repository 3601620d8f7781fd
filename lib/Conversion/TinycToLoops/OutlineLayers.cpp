//===- OutlineLayers.cpp - the tinyc-outline-layers pass ------------------===//

#include "tinyc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCOUTLINELAYERS
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

/// Whether `value` can be recomputed in another function from @main's
/// arguments alone: a chain of pure, region-free operations (views of the
/// arena, memref.get_global, constants) rooted at block arguments.
bool isRecomputable(Value value, llvm::DenseMap<Value, bool> &memo) {
  if (isa<BlockArgument>(value))
    return true;
  auto found = memo.find(value);
  if (found != memo.end())
    return found->second;
  Operation *def = value.getDefiningOp();
  bool ok = def->getNumRegions() == 0 && isMemoryEffectFree(def);
  for (Value operand : def->getOperands())
    ok = ok && isRecomputable(operand, memo);
  memo[value] = ok;
  return ok;
}

struct OutlineLayersPass : tinyc::impl::TinycOutlineLayersBase<OutlineLayersPass> {
  using TinycOutlineLayersBase::TinycOutlineLayersBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main || main.isDeclaration() || !main.getBody().hasOneBlock() ||
        main.getNumResults() != 0)
      return;
    Block &body = main.getBody().front();

    // A cut before top-level operation c must not separate a value that
    // cannot be recomputed from its uses: such a value defined at d and last
    // used (at any depth) under top-level operation u blocks the cuts in
    // (d, u].
    llvm::SmallVector<Operation *> ops;
    llvm::DenseMap<Operation *, unsigned> index;
    for (Operation &op : body.without_terminator()) {
      index[&op] = ops.size();
      ops.push_back(&op);
    }
    llvm::SmallVector<int> blocked(ops.size() + 1, 0); // A difference array.
    llvm::DenseMap<Value, bool> recomputable;
    for (auto [d, op] : llvm::enumerate(ops))
      for (Value result : op->getResults()) {
        if (isRecomputable(result, recomputable))
          continue;
        unsigned last = d;
        for (Operation *user : result.getUsers())
          if (Operation *top = body.findAncestorOpInBlock(*user); top && top != body.getTerminator())
            last = std::max(last, index[top]);
        if (last > d) {
          ++blocked[d + 1];
          --blocked[last + 1];
        }
      }

    // Pieces: runs of top-level operations; a new one starts at an operation
    // with regions (a loop nest) once the current one holds a loop nest and
    // maxOps operations.
    llvm::SmallVector<Operation *> starts{&body.front()};
    int64_t size = 0;
    int blockers = 0;
    bool hasNest = false;
    for (auto [c, op] : llvm::enumerate(ops)) {
      blockers += blocked[c];
      bool isNest = op->getNumRegions() > 0;
      if (size >= maxOps && isNest && hasNest && blockers == 0) {
        starts.push_back(op);
        size = 0;
      }
      hasNest = hasNest || isNest;
      op->walk([&](Operation *) { ++size; });
    }
    if (starts.size() < 2)
      return;

    OpBuilder moduleBuilder = OpBuilder::atBlockEnd(module.getBody());
    MLIRContext *context = &getContext();
    llvm::SmallVector<func::FuncOp> pieces;
    Operation *terminator = body.getTerminator();
    for (auto [k, start] : llvm::enumerate(starts)) {
      Operation *end = k + 1 < starts.size() ? starts[k + 1] : terminator;
      auto piece = moduleBuilder.create<func::FuncOp>(
          main.getLoc(), (main.getName() + "_part" + llvm::Twine(k)).str(),
          main.getFunctionType());
      piece.setPrivate();
      // LLVM would inline a private function called once straight back.
      piece->setAttr("passthrough", ArrayAttr::get(context, {StringAttr::get(context, "noinline")}));
      for (unsigned i = 0; i < piece.getNumArguments(); ++i)
        piece.setArgAttr(i, "llvm.noalias", UnitAttr::get(context));
      Block *entry = piece.addEntryBlock();
      OpBuilder builder = OpBuilder::atBlockEnd(entry);
      IRMapping mapping;
      mapping.map(main.getArguments(), piece.getArguments());
      llvm::DenseSet<Operation *> inPiece;
      for (Operation *op = start; op != end; op = op->getNextNode())
        inPiece.insert(op);
      for (Operation *op = start; op != end; op = op->getNextNode()) {
        // Values of earlier pieces, used here at any depth: recomputed first.
        op->walk([&](Operation *nested) {
          for (Value operand : nested->getOperands()) {
            Operation *def = operand.getDefiningOp();
            if (def && def->getBlock() == &body && !inPiece.contains(def))
              recompute(operand, builder, mapping);
          }
        });
        builder.clone(*op, mapping);
      }
      builder.create<func::ReturnOp>(main.getLoc());
      pieces.push_back(piece);
    }

    // @main keeps only the calls.
    while (Operation *op = terminator->getPrevNode()) {
      op->dropAllUses();
      op->erase();
    }
    OpBuilder builder(terminator);
    for (func::FuncOp piece : pieces)
      builder.create<func::CallOp>(main.getLoc(), piece, main.getArguments());
  }

  void recompute(Value value, OpBuilder &builder, IRMapping &mapping) {
    if (mapping.contains(value))
      return;
    Operation *def = value.getDefiningOp();
    for (Value operand : def->getOperands())
      recompute(operand, builder, mapping);
    builder.clone(*def, mapping);
  }
};

} // namespace
