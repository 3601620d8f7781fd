//===- FuseElementwise.cpp - chains of elementwise operations in one loop --===//

#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCFUSEELEMENTWISE
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

llvm::ArrayRef<int64_t> resultShape(Operation *op) {
  return cast<RankedTensorType>(op->getResult(0).getType()).getShape();
}

/// Whether `producer` can be computed inside the loop of `consumer`: an
/// elementwise operation of the same shape whose result only `consumer`
/// reads, and only as an element operand (a parameter is read from a
/// buffer).
bool fusesInto(Operation *producer, Operation *consumer, llvm::ArrayRef<Value> elements) {
  if (!producer || producer->getBlock() != consumer->getBlock() ||
      !isa<ElementwiseOpInterface>(producer) || producer->getNumResults() != 1 ||
      resultShape(producer) != resultShape(consumer))
    return false;
  Value result = producer->getResult(0);
  for (OpOperand &use : result.getUses())
    if (use.getOwner() != consumer)
      return false;
  for (Value operand : consumer->getOperands())
    if (operand == result && !llvm::is_contained(elements, operand))
      return false;
  return true;
}

struct FuseElementwisePass
    : tinyc::impl::TinycFuseElementwiseBase<FuseElementwisePass> {
  using TinycFuseElementwiseBase::TinycFuseElementwiseBase;

  void runOnOperation() override {
    for (Block &block : getOperation().getBody())
      fuseBlock(block);
  }

  void fuseBlock(Block &block) {
    // Groups in program order, each rooted at its last operation, the only
    // one read outside it; a consumer takes over its producers' groups.
    llvm::DenseMap<Operation *, unsigned> groupOf;
    std::vector<llvm::SmallVector<Operation *>> groups;
    for (Operation &op : block) {
      auto elementwise = dyn_cast<ElementwiseOpInterface>(op);
      if (!elementwise || op.getNumResults() != 1)
        continue;
      llvm::SmallVector<Value> elements = elementwise.getElementOperands();
      llvm::SmallVector<Operation *> members;
      for (Value operand : llvm::SetVector<Value>(elements.begin(), elements.end())) {
        Operation *producer = operand.getDefiningOp();
        if (!fusesInto(producer, &op, elements))
          continue;
        llvm::SmallVector<Operation *> &producers = groups[groupOf.at(producer)];
        if (static_cast<int64_t>(members.size() + producers.size()) + 1 > maxOps)
          continue;
        members.append(producers.begin(), producers.end());
        producers.clear();
      }
      members.push_back(&op);
      groupOf[&op] = groups.size();
      groups.push_back(std::move(members));
    }
    for (llvm::SmallVector<Operation *> &members : groups)
      if (members.size() >= 2)
        fuse(members);
  }

  /// Replaces `members` (the last one the root) by one fused operation
  /// created where the root was: every value they read from outside was
  /// defined before the member reading it, so before the root.
  void fuse(llvm::SmallVector<Operation *> &members) {
    llvm::sort(members, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    llvm::SmallPtrSet<Operation *, 16> inside(members.begin(), members.end());
    llvm::SetVector<Value> inputs;
    for (Operation *op : members)
      for (Value operand : op->getOperands())
        if (!inside.contains(operand.getDefiningOp()))
          inputs.insert(operand);

    Operation *root = members.back();
    llvm::SmallVector<Location> locations;
    for (Operation *op : members)
      locations.push_back(op->getLoc());
    OpBuilder builder(root);
    auto fused = builder.create<FusedElementwiseOp>(builder.getFusedLoc(locations),
                                                    root->getResult(0).getType(),
                                                    inputs.getArrayRef());
    Block *body = builder.createBlock(&fused.getBody());
    IRMapping mapping;
    for (Value input : inputs)
      mapping.map(input, body->addArgument(input.getType(), input.getLoc()));
    for (Operation *op : members)
      builder.clone(*op, mapping);
    builder.create<YieldOp>(root->getLoc(), mapping.lookup(root->getResult(0)));

    recordApplied(fused, "fuse-elementwise: " + std::to_string(members.size()) +
                             " elementwise operations in one loop",
                  members);
    root->getResult(0).replaceAllUsesWith(fused.getResult());
    for (Operation *op : llvm::reverse(members))
      op->erase();
  }
};

} // namespace
