//===- PlanMemory.cpp - static placement of tensors in one arena ----------===//

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Dialect/TinycShapes.h"
#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Scratch.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::tinyc {
#define GEN_PASS_DEF_TINYCPLANMEMORY
#include "tinyc/Transforms/Passes.h.inc"
} // namespace mlir::tinyc

using namespace mlir;
using namespace mlir::tinyc;

namespace {

/// The value whose buffer `v` shares: reshapes move no data.
Value storageRoot(Value v) {
  while (auto reshape = v.getDefiningOp<ReshapeOp>())
    v = reshape.getInput();
  return v;
}

/// Whether the root needs a buffer of its own (not an argument or constant).
bool needsBuffer(Value root) {
  Operation *def = root.getDefiningOp();
  return def && !isa<ConstantOp>(def);
}

/// Bytes of the tensor (booleans are stored as bytes); nullopt on overflow.
std::optional<int64_t> byteSize(Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  return getCheckedByteSize(type.getShape(), type.getElementType());
}

struct Buffer {
  Value root;
  int64_t size = 0, first = 0, last = 0, offset = 0;
};

/// The lowest offset, a multiple of `alignment`, at which `b` (with a gap of
/// `redzone` bytes after it) is clear of every busy [begin, end) range
/// that `overlaps` it; nullopt where the end overflows 64 bits.
std::optional<int64_t> lowestFit(const Buffer &b, llvm::ArrayRef<Buffer *> placed,
                                 int64_t alignment, int64_t redzone) {
  llvm::SmallVector<std::pair<int64_t, int64_t>> busy; // [begin, end) in bytes
  for (Buffer *other : placed)
    if ((redzone > 0 || (other->first <= b.last && b.first <= other->last)) && other->size > 0)
      busy.push_back({other->offset, other->offset + other->size + redzone});
  llvm::sort(busy);
  // Offsets and ends with overflow checks: a wrapped end would let
  // buffers overlap and a wrapped arena size look small.
  int64_t offset = 0;
  std::optional<int64_t> bufferEnd = b.size;
  for (auto [begin, end] : busy) {
    // The buffer and its red zone end before the next busy range.
    if (std::optional<int64_t> reach = llvm::checkedAdd<int64_t>(*bufferEnd, redzone);
        reach && *reach <= begin)
      break;
    std::optional<int64_t> aligned = llvm::checkedAdd<int64_t>(end, alignment - 1);
    offset = std::max(offset, aligned ? *aligned & ~(alignment - 1) : INT64_MAX);
    bufferEnd = aligned ? llvm::checkedAdd(offset, b.size) : std::nullopt;
    if (!bufferEnd)
      return std::nullopt;
  }
  return offset;
}

struct PlanMemoryPass : tinyc::impl::TinycPlanMemoryBase<PlanMemoryPass> {
  using TinycPlanMemoryBase::TinycPlanMemoryBase;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (!llvm::isPowerOf2_64(alignment)) {
      func.emitError() << "alignment " << alignment << " is not a power of two";
      return signalPassFailure();
    }
    if (redzone < 0) {
      func.emitError() << "red zone " << redzone << " is negative";
      return signalPassFailure();
    }
    Block &body = func.getBody().front();
    auto ret = cast<func::ReturnOp>(body.getTerminator());

    // Program order positions: a buffer is live from the operation defining
    // its root to the last use of any value sharing it.
    llvm::DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(body))
      position[&op] = i;

    // Graph outputs: each root that an output is (a reshape of) is written
    // straight into that output's buffer, unless another output already is.
    llvm::DenseMap<Value, int64_t> outputOf;
    for (auto [k, v] : llvm::enumerate(ret.getOperands())) {
      Value root = storageRoot(v);
      if (needsBuffer(root) && !outputOf.count(root))
        outputOf[root] = k;
    }

    llvm::MapVector<Value, Buffer> buffers;
    for (Operation &op : body) {
      if (isa<ReshapeOp, ConstantOp, func::ReturnOp>(op))
        continue;
      for (Value result : op.getResults()) {
        if (outputOf.count(result))
          continue;
        std::optional<int64_t> size = byteSize(result);
        if (!size) {
          op.emitError() << "result of type " << result.getType()
                         << " has more bytes than 64 bits can count";
          return signalPassFailure();
        }
        Buffer &b = buffers[result];
        b.root = result;
        b.size = *size;
        b.first = b.last = position[&op];
      }
    }
    // Extend each buffer to the last reader of any value sharing it.
    func.walk([&](Operation *op) {
      for (Value operand : op->getOperands()) {
        auto it = buffers.find(storageRoot(operand));
        if (it != buffers.end())
          it->second.last = std::max(it->second.last, position[op]);
      }
    });

    // Largest first, each at the lowest aligned offset clear of every placed
    // buffer whose lifetime overlaps its own. With red zones, clear of every
    // placed buffer and of the gap after it: a gap byte is never a tensor's,
    // whenever the code runs, so that it can be poisoned for the whole call.
    llvm::SmallVector<Buffer *> order;
    for (auto &entry : buffers)
      order.push_back(&entry.second);
    llvm::stable_sort(order, [](const Buffer *a, const Buffer *b) {
      return a->size != b->size ? a->size > b->size : a->first < b->first;
    });
    llvm::SmallVector<Buffer *> placed;
    int64_t arenaBytes = 0;
    for (Buffer *b : order) {
      std::optional<int64_t> offset = lowestFit(*b, placed, alignment, redzone);
      std::optional<int64_t> bufferEnd =
          offset ? llvm::checkedAdd(*offset, b->size) : std::nullopt;
      if (!bufferEnd) {
        b->root.getDefiningOp()->emitError()
            << "result of " << b->size << " bytes does not fit an arena addressable with 64 bits";
        return signalPassFailure();
      }
      b->offset = *offset;
      placed.push_back(b);
      arenaBytes = std::max(arenaBytes, *bufferEnd);
    }

    // Scratch, largest first, where it fits below the tensors' arena size:
    // live only at its operation, so it shares memory with every tensor
    // that is not live there.
    // The GEMM reads its scratch with LDRD, which needs word alignment: the
    // arena is aligned to at least `alignment`, and so is every offset.
    llvm::SmallVector<std::pair<Operation *, Buffer>> scratch;
    if (armDsp && redzone == 0 && alignment >= 4)
      for (Operation &op : body)
        if (int64_t bytes = scratchBytes(&op, armDsp))
          scratch.push_back({&op, Buffer{Value(), bytes, position[&op], position[&op], 0}});
    llvm::stable_sort(scratch, [](const auto &a, const auto &b) {
      return a.second.size > b.second.size;
    });
    Builder builder(func.getContext());
    for (auto &[op, b] : scratch) {
      std::optional<int64_t> offset = lowestFit(b, placed, alignment, redzone);
      if (!offset || *offset + b.size > arenaBytes)
        continue;
      b.offset = *offset;
      placed.push_back(&b);
      op->setAttr(kScratchOffsetAttr, builder.getI64IntegerAttr(b.offset));
    }

    // Each gap runs from its buffer's end to the next aligned offset at least
    // `redzone` bytes on, where the next buffer (or the arena's end) can be.
    llvm::SmallVector<int64_t> redzones;
    if (redzone > 0) {
      llvm::SmallVector<Buffer *> byOffset;
      for (Buffer *b : placed)
        if (b->size > 0)
          byOffset.push_back(b);
      llvm::sort(byOffset, [](const Buffer *a, const Buffer *b) { return a->offset < b->offset; });
      for (Buffer *b : byOffset) {
        int64_t begin = b->offset + b->size;
        int64_t end = static_cast<int64_t>(llvm::alignTo(begin + redzone, alignment));
        redzones.append({begin, end - begin});
        arenaBytes = std::max(arenaBytes, end);
      }
    }

    for (auto &[root, b] : buffers)
      root.getDefiningOp()->setAttr(kArenaOffsetAttr, builder.getI64IntegerAttr(b.offset));
    for (auto [root, k] : outputOf)
      root.getDefiningOp()->setAttr(kOutputAttr, builder.getI64IntegerAttr(k));
    func->setAttr(kArenaBytesAttr, builder.getI64IntegerAttr(arenaBytes));
    if (redzone > 0)
      func->setAttr(kArenaRedzonesAttr, builder.getDenseI64ArrayAttr(redzones));
  }
};

} // namespace
