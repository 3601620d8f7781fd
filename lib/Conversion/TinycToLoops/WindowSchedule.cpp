//===- WindowSchedule.cpp - one loop-nest design for sliding windows ------===//
//
// Border positions get their own code with constant taps, so padding costs
// no arithmetic and needs no per-tap test, and the reductions over their
// windows unroll like the interior's.
//
//===----------------------------------------------------------------------===//

#include "WindowSchedule.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <functional>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

WindowGeometry lowering::makeWindowGeometry(llvm::ArrayRef<int64_t> output,
                                           llvm::ArrayRef<int64_t> input,
                                           llvm::ArrayRef<int64_t> kernel,
                                           llvm::ArrayRef<int64_t> strides,
                                           llvm::ArrayRef<int64_t> dilations,
                                           llvm::ArrayRef<int64_t> pads) {
  size_t spatial = output.size();
  WindowGeometry g;
  g.output.assign(output.begin(), output.end());
  g.input.assign(input.begin(), input.end());
  g.kernel.assign(kernel.begin(), kernel.end());
  g.strides.assign(strides.begin(), strides.end());
  g.dilations.assign(dilations.begin(), dilations.end());
  g.padBegin.assign(pads.begin(), pads.begin() + spatial);
  return g;
}

std::pair<int64_t, int64_t> lowering::staticTaps(const WindowGeometry &g, unsigned i, int64_t o,
                                                 int64_t lower, int64_t upper) {
  int64_t kernel = g.kernel[i], dilation = g.dilations[i];
  int64_t start = o * g.strides[i] - g.padBegin[i];
  int64_t span = dilation * (kernel - 1);
  int64_t lo = start >= lower ? 0 : llvm::divideCeil(lower - start, dilation);
  int64_t hi = start + span < upper ? kernel
                                    : llvm::divideFloorSigned(upper - 1 - start, dilation) + 1;
  lo = std::min(lo, kernel);
  hi = std::max(lo, std::min(hi, kernel));
  return {lo, hi};
}

namespace {

/// Splits the output positions of spatial dimension `i` into the interior
/// (windows entirely inside the input) and the border positions.
llvm::SmallVector<Segment> segmentsOf(const WindowGeometry &g, unsigned i, Border mode) {
  int64_t out = g.output[i], in = g.input[i], kernel = g.kernel[i], stride = g.strides[i];
  int64_t padBegin = g.padBegin[i];
  int64_t span = g.dilations[i] * (kernel - 1);
  int64_t first = std::min<int64_t>(out, llvm::divideCeil(padBegin, stride));
  int64_t last = std::max(first, std::min(out, (in - 1 + padBegin - span) / stride + 1));
  if (in - 1 + padBegin - span < 0)
    last = first;
  if (mode == Border::shared)
    return {Segment{Segment::whole, 0, out, 0, kernel, first, last}};
  llvm::SmallVector<Segment> segments;
  auto border = [&](int64_t begin, int64_t end) {
    if (begin >= end)
      return;
    if (mode == Border::runtime) {
      segments.push_back({Segment::runtime, begin, end});
      return;
    }
    for (int64_t o = begin; o < end; ++o) {
      auto [lo, hi] = staticTaps(g, i, o, 0, in);
      segments.push_back({Segment::constant, o, o + 1, lo, hi});
    }
  };
  border(0, first);
  if (first < last)
    segments.push_back({Segment::constant, first, last, 0, kernel});
  border(last, out);
  return segments;
}

// Border positions get their own code with constant taps (which unrolls like
// the interior's) as long as the regions of a window stay within this many;
// beyond it the dimension with the most border positions computes its border
// taps at run time instead, to bound the code size.
constexpr size_t kMaxStaticRegions = 9;

} // namespace

WindowSchedule::WindowSchedule(WindowGeometry geometry, int64_t positionBlock, bool forSize)
    : geometry(std::move(geometry)), positionBlock(positionBlock) {
  const WindowGeometry &g = this->geometry;
  unsigned spatial = g.output.size();
  // The regions: one segment per spatial dimension. For size, a single
  // region whose taps are computed at each position.
  llvm::SmallVector<Border> borders(spatial, forSize ? Border::shared : Border::constant);
  segments.resize(spatial);
  while (true) {
    size_t regions = 1, widest = 0;
    for (unsigned i = 0; i < spatial; ++i) {
      segments[i] = segmentsOf(g, i, borders[i]);
      regions *= segments[i].size();
      if (borders[i] == Border::constant &&
          (borders[widest] != Border::constant || segments[i].size() > segments[widest].size()))
        widest = i;
    }
    if (regions <= kMaxStaticRegions || borders[widest] != Border::constant)
      break;
    borders[widest] = Border::runtime;
  }
}

void WindowSchedule::walk(
    OpBuilder &b, Location loc,
    llvm::function_ref<void(OpBuilder &, Location, const WindowBlock &)> body) const {
  unsigned spatial = geometry.output.size();
  llvm::SmallVector<const Segment *> region(spatial);
  llvm::SmallVector<Value> leading(spatial - 1);
  // Every combination of segments, outermost dimension first.
  std::function<void(OpBuilder &, Location, unsigned)> emit = [&](OpBuilder &eb, Location l,
                                                                 unsigned i) {
    for (const Segment &segment : segments[i]) {
      region[i] = &segment;
      int64_t length = segment.end - segment.begin;
      if (i + 1 < spatial) {
        forEach(eb, l, segment.begin, length, 1, [&](OpBuilder &lb, Location ll, Value o) {
          leading[i] = o;
          emit(lb, ll, i + 1);
        });
        continue;
      }
      // The last dimension: blocks of `step` positions, then the rest one
      // by one. Taps computed at run time need a single position.
      bool perPosition = segment.kind == Segment::runtime || segment.isWholeWithBorder();
      int64_t step = perPosition ? 1 : std::min(positionBlock, length);
      int64_t blocks = length / step;
      auto blockFrom = [&](OpBuilder &pb, Location pl, Value firstPosition, int64_t count) {
        WindowBlock block;
        block.region = region;
        block.positions.resize(count);
        for (int64_t p = 0; p < count; ++p) {
          block.positions[p].assign(leading.begin(), leading.end());
          block.positions[p].push_back(
              p ? pb.create<arith::AddIOp>(pl, firstPosition, indexConstant(pb, pl, p)).getResult()
                : firstPosition);
        }
        return block;
      };
      forEach(eb, l, segment.begin, blocks, step, [&](OpBuilder &lb, Location ll, Value o) {
        body(lb, ll, blockFrom(lb, ll, o, step));
      });
      int64_t rest = length - blocks * step;
      if (rest)
        forEach(eb, l, segment.begin + blocks * step, rest, 1,
                [&](OpBuilder &lb, Location ll, Value o) { body(lb, ll, blockFrom(lb, ll, o, 1)); });
    }
  };
  emit(b, loc, 0);
}

llvm::SmallVector<Value> WindowSchedule::reduce(OpBuilder &b, Location loc,
                                                const WindowBlock &block,
                                                Accumulator &accumulator) const {
  // Whole segments with a border test at run time whether the block is in
  // the interior, where the taps are constant.
  Value inside;
  for (auto [i, segment] : llvm::enumerate(block.region)) {
    if (!segment->isWholeWithBorder())
      continue;
    Value ok = b.create<arith::AndIOp>(
        loc,
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sge, block.positions.front()[i],
                                indexConstant(b, loc, segment->interiorBegin)),
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, block.positions.back()[i],
                                indexConstant(b, loc, segment->interiorEnd)));
    inside = inside ? b.create<arith::AndIOp>(loc, inside, ok).getResult() : ok;
  }
  if (!inside)
    return reduceWith(b, loc, block, accumulator, /*inside=*/true);
  auto ifOp = b.create<scf::IfOp>(
      loc, inside,
      [&](OpBuilder &tb, Location tl) {
        tb.create<scf::YieldOp>(tl, reduceWith(tb, tl, block, accumulator, true));
      },
      [&](OpBuilder &eb, Location el) {
        eb.create<scf::YieldOp>(el, reduceWith(eb, el, block, accumulator, false));
      });
  return llvm::SmallVector<Value>(ifOp.getResults().begin(), ifOp.getResults().end());
}

llvm::SmallVector<Value> WindowSchedule::reduceWith(OpBuilder &b, Location loc,
                                                    const WindowBlock &block,
                                                    Accumulator &accumulator, bool inside) const {
  const WindowGeometry &g = geometry;
  unsigned spatial = g.output.size();
  int64_t outerExtent = accumulator.outerExtent(), innerExtent = accumulator.innerExtent();
  llvm::SmallVector<Value> lower, upper;
  if (outerExtent) {
    lower.push_back(indexConstant(b, loc, 0));
    upper.push_back(indexConstant(b, loc, outerExtent));
  }
  for (unsigned i = 0; i < spatial; ++i) {
    const Segment &segment = *block.region[i];
    bool constantTaps =
        segment.kind == Segment::constant || (segment.kind == Segment::whole && inside);
    auto [lo, hi] = constantTaps
                        ? std::pair<Value, Value>{indexConstant(b, loc, segment.tapLo),
                                                  indexConstant(b, loc, segment.tapHi)}
                        : windowTaps(b, loc, block.positions.front()[i], g.output[i], g.strides[i],
                                     g.dilations[i], g.padBegin[i], g.kernel[i], 0, g.input[i]);
    lower.push_back(lo);
    upper.push_back(hi);
  }
  if (innerExtent) {
    lower.push_back(indexConstant(b, loc, 0));
    upper.push_back(indexConstant(b, loc, innerExtent));
  }
  // Where each position's window starts: position * stride - padBegin.
  llvm::SmallVector<llvm::SmallVector<Value>> starts;
  for (const auto &position : block.positions) {
    llvm::SmallVector<Value> start;
    for (unsigned i = 0; i < spatial; ++i) {
      Value s = b.create<arith::MulIOp>(loc, position[i], indexConstant(b, loc, g.strides[i]));
      if (g.padBegin[i])
        s = b.create<arith::SubIOp>(loc, s, indexConstant(b, loc, g.padBegin[i]));
      start.push_back(s);
    }
    starts.push_back(start);
  }
  llvm::SmallVector<Value> inits = accumulator.init(b, loc, block);
  llvm::SmallVector<Value> acc = buildReduction(
      b, loc, lower, upper, inits,
      [&](OpBuilder &rb, Location rl, ValueRange ivs, ValueRange sums) {
        WindowTap tap;
        if (outerExtent)
          tap.outer = ivs.front();
        if (innerExtent)
          tap.inner = ivs.back();
        llvm::SmallVector<Value> offsets;
        for (unsigned i = 0; i < spatial; ++i) {
          Value t = ivs[(outerExtent ? 1 : 0) + i];
          tap.taps.push_back(t);
          offsets.push_back(g.dilations[i] == 1
                                ? t
                                : rb.create<arith::MulIOp>(rl, t,
                                                           indexConstant(rb, rl, g.dilations[i]))
                                      .getResult());
        }
        for (const auto &start : starts) {
          llvm::SmallVector<Value> at;
          for (unsigned i = 0; i < spatial; ++i)
            at.push_back(rb.create<arith::AddIOp>(rl, start[i], offsets[i]));
          tap.inputAt.push_back(at);
        }
        return accumulator.accumulate(rb, rl, block, tap, sums);
      });
  llvm::ArrayRef<Value> spatialLower(lower), spatialUpper(upper);
  spatialLower = spatialLower.slice(outerExtent ? 1 : 0, spatial);
  spatialUpper = spatialUpper.slice(outerExtent ? 1 : 0, spatial);
  return accumulator.complete(b, loc, block, spatialLower, spatialUpper, acc);
}

Value WindowSchedule::countTaps(OpBuilder &b, Location loc, const WindowBlock &block, unsigned i,
                                Value lo, Value hi, int64_t lower, int64_t upper) const {
  const Segment &segment = *block.region[i];
  int64_t kernel = geometry.kernel[i];
  std::optional<int64_t> constantLo = getConstantIntValue(lo), constantHi = getConstantIntValue(hi);
  // Every tap inside the input is inside [lower, upper) too.
  if (constantLo == 0 && constantHi == kernel)
    return indexConstant(b, loc, kernel);
  if (segment.kind == Segment::constant && segment.begin + 1 == segment.end) {
    auto [countLo, countHi] = staticTaps(geometry, i, segment.begin, lower, upper);
    return indexConstant(b, loc, countHi - countLo);
  }
  auto [countLo, countHi] =
      windowTaps(b, loc, block.positions.front()[i], geometry.output[i], geometry.strides[i],
                 geometry.dilations[i], geometry.padBegin[i], kernel, lower, upper);
  return b.create<arith::SubIOp>(loc, countHi, countLo);
}

void lowering::forEach(OpBuilder &b, Location loc, int64_t begin, int64_t count, int64_t step,
                       llvm::function_ref<void(OpBuilder &, Location, Value)> body) {
  if (count == 1)
    return body(b, loc, indexConstant(b, loc, begin));
  b.create<scf::ForOp>(loc, indexConstant(b, loc, begin), indexConstant(b, loc, begin + count * step),
                       indexConstant(b, loc, step), std::nullopt,
                       [&](OpBuilder &lb, Location ll, Value iv, ValueRange) {
                         body(lb, ll, iv);
                         lb.create<scf::YieldOp>(ll);
                       });
}

void lowering::forEachBlock(OpBuilder &b, Location loc, int64_t extent, int64_t block,
                            llvm::function_ref<void(OpBuilder &, Location, Value, int64_t)> body) {
  int64_t blocked = extent / block * block;
  if (blocked)
    forEach(b, loc, 0, blocked / block, block,
            [&](OpBuilder &lb, Location ll, Value first) { body(lb, ll, first, block); });
  if (blocked < extent)
    forEach(b, loc, blocked, extent - blocked, 1,
            [&](OpBuilder &lb, Location ll, Value first) { body(lb, ll, first, 1); });
}

void lowering::forEachChannelBlock(
    OpBuilder &b, Location loc, int64_t batch, int64_t group, int64_t inPerGroup,
    int64_t outPerGroup, int64_t block,
    llvm::function_ref<void(OpBuilder &, Location, Value, Value, Value, int64_t)> body) {
  buildLoops(b, loc, {batch, group}, [&](OpBuilder &gb, Location gl, ValueRange outer) {
    Value n = outer[0], g = outer[1];
    Value channelBase = gb.create<arith::MulIOp>(gl, g, indexConstant(gb, gl, inPerGroup));
    Value groupStart = gb.create<arith::MulIOp>(gl, g, indexConstant(gb, gl, outPerGroup));
    forEachBlock(gb, gl, outPerGroup, block,
                 [&](OpBuilder &cb, Location cl, Value first, int64_t count) {
                   body(cb, cl, n, cb.create<arith::AddIOp>(cl, groupStart, first), channelBase,
                        count);
                 });
  });
}

void lowering::storeWithEpilogue(OpBuilder &b, Location loc, Value value, Value out, ValueRange at,
                                 Value residual, ActivationAttr act, FakeQuantAttr quant) {
  if (residual)
    value = b.create<arith::AddFOp>(loc, value, b.create<memref::LoadOp>(loc, residual, at));
  b.create<memref::StoreOp>(loc, applyEpilogue(b, loc, value, act, quant), out, at);
}
