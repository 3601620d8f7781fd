//===- Conv.cpp - convolution as specialised loop nests -------------------===//
//
// For each output position and block of output channels, the reduction runs
// over the group's input channels and the window's taps that land inside the
// input, so padding costs no multiplications and needs no per-tap test: the
// output positions are split into regions (interior, each border position)
// whose taps are compile-time constants. The
// accumulators stay in registers; bias, residual and the epilogue are applied
// once per output element.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include <functional>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

/// A run of output positions along one spatial dimension: `constant`, whose
/// windows all take taps [tapLo, tapHi); `runtime`, whose taps are computed
/// per position; or `whole`, the entire dimension, where positions in
/// [interiorBegin, interiorEnd) take every tap and others compute theirs.
struct Segment {
  enum Kind { constant, runtime, whole };
  Kind kind;
  int64_t begin, end;
  int64_t tapLo = 0, tapHi = 0;
  int64_t interiorBegin = 0, interiorEnd = 0;

  /// A whole segment that has border positions, so its taps depend on the
  /// position at run time.
  bool isWholeWithBorder() const {
    return kind == whole && (interiorBegin != 0 || interiorEnd != end);
  }
};

/// How a dimension's border positions get their code.
enum class Border {
  /// A segment of constant taps per position: fastest, one body each.
  constant,
  /// A runtime segment per run of border positions.
  runtime,
  /// One whole segment: the interior and border share the loop, and a
  /// run-time test picks constant or computed taps. Smallest.
  shared,
};

/// Splits the output positions of one spatial dimension into the interior
/// (windows entirely inside the input) and the border positions.
llvm::SmallVector<Segment> segmentsOf(int64_t out, int64_t in, int64_t kernel, int64_t stride,
                                      int64_t dilation, int64_t padBegin, Border mode) {
  int64_t span = dilation * (kernel - 1);
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
      // Tap t reads input position o * stride - padBegin + t * dilation.
      int64_t start = o * stride - padBegin;
      int64_t lo = start >= 0 ? 0 : llvm::divideCeil(-start, dilation);
      int64_t hi = start + span < in ? kernel : llvm::divideFloorSigned(in - 1 - start, dilation) + 1;
      lo = std::min(lo, kernel);
      hi = std::max(lo, std::min(hi, kernel));
      segments.push_back({Segment::constant, o, o + 1, lo, hi});
    }
  };
  border(0, first);
  if (first < last)
    segments.push_back({Segment::constant, first, last, 0, kernel});
  border(last, out);
  return segments;
}

/// Runs `body` for begin, begin + step, ... (`count` times) in an scf.for,
/// or once with a constant when count is 1.
void forEach(OpBuilder &b, Location loc, int64_t begin, int64_t count, int64_t step,
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

// Border positions get their own code with constant taps (which unrolls like
// the interior's) as long as the regions of a convolution stay within this
// many; beyond it the dimension with the most border positions computes its
// border taps at run time instead, to bound the code size.
constexpr size_t kMaxStaticRegions = 9;

struct ConvLowering : OpConversionPattern<ConvOp> {
  ConvLowering(const TypeConverter &converter, MLIRContext *context, bool forSize)
      : OpConversionPattern(converter, context), forSize(forSize) {}

  LogicalResult matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    auto inShape = op.getInput().getType().getShape();
    auto wShape = op.getWeight().getType().getShape();
    auto outShape = op.getType().getShape();
    Type elem = op.getType().getElementType();
    unsigned spatial = op.getNumSpatialDims();
    int64_t group = op.getGroup();
    int64_t outPerGroup = wShape[0] / group, inPerGroup = wShape[1];
    llvm::ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations(),
                            pads = op.getPads();
    ActivationAttr act = op.getActAttr();
    FakeQuantAttr quant = op.getQuantAttr();
    auto fm = contractFlags(rewriter);

    // Register blocking: up to 4 output channels times up to `pBlock`
    // adjacent positions along the last dimension are computed together, so
    // that each weight loaded serves pBlock and each input element 4
    // multiply-accumulates. A depthwise convolution has one output channel
    // per group, so it blocks positions only.
    int64_t pBlock = forSize ? 1 : 4;

    // The regions: one segment per spatial dimension. For size, a single
    // region whose taps are computed at each position.
    llvm::SmallVector<Border> borders(spatial, forSize ? Border::shared : Border::constant);
    llvm::SmallVector<llvm::SmallVector<Segment>> segments(spatial);
    while (true) {
      size_t regions = 1, widest = 0;
      for (unsigned i = 0; i < spatial; ++i) {
        segments[i] = segmentsOf(outShape[2 + i], inShape[2 + i], wShape[2 + i], strides[i],
                                 dilations[i], pads[i], borders[i]);
        regions *= segments[i].size();
        if (borders[i] == Border::constant &&
            (borders[widest] != Border::constant || segments[i].size() > segments[widest].size()))
          widest = i;
      }
      if (regions <= kMaxStaticRegions || borders[widest] != Border::constant)
        break;
      borders[widest] = Border::runtime;
    }

    // Computes output channels [m0, m0 + mBlock) of image n, whose group's
    // input channels start at channelBase.
    auto emitChannels = [&](OpBuilder &b, Location loc, Value n, Value m0, Value channelBase,
                            int64_t mBlock) {
      llvm::SmallVector<Value> channels, biases;
      for (int64_t k = 0; k < mBlock; ++k) {
        Value m = k ? b.create<arith::AddIOp>(loc, m0, indexConstant(b, loc, k)).getResult() : m0;
        channels.push_back(m);
        biases.push_back(adaptor.getBias()
                             ? b.create<memref::LoadOp>(loc, adaptor.getBias(), m).getResult()
                             : floatConstant(b, loc, elem, 0.0));
      }

      // The accumulators, indexed [position * mBlock + channel], of `block`
      // (positions that differ in the last dimension only) in the segments
      // `region`; `inside`: the block is known to lie in the interior.
      auto accumulate = [&](OpBuilder &rb, Location l,
                            llvm::ArrayRef<llvm::SmallVector<Value>> block,
                            llvm::ArrayRef<const Segment *> region, bool inside) {
        llvm::SmallVector<Value> lower{indexConstant(rb, l, 0)},
            upper{indexConstant(rb, l, inPerGroup)};
        for (unsigned i = 0; i < spatial; ++i) {
          const Segment &segment = *region[i];
          bool constantTaps = segment.kind == Segment::constant ||
                              (segment.kind == Segment::whole && inside);
          auto [lo, hi] =
              constantTaps
                  ? std::pair<Value, Value>{indexConstant(rb, l, segment.tapLo),
                                            indexConstant(rb, l, segment.tapHi)}
                  : windowTaps(rb, l, block.front()[i], outShape[2 + i], strides[i],
                               dilations[i], pads[i], wShape[2 + i], 0, inShape[2 + i]);
          lower.push_back(lo);
          upper.push_back(hi);
        }
        llvm::SmallVector<llvm::SmallVector<Value>> starts;
        for (const auto &position : block) {
          llvm::SmallVector<Value> start;
          for (unsigned i = 0; i < spatial; ++i) {
            Value s = rb.create<arith::MulIOp>(l, position[i], indexConstant(rb, l, strides[i]));
            if (pads[i])
              s = rb.create<arith::SubIOp>(l, s, indexConstant(rb, l, pads[i]));
            start.push_back(s);
          }
          starts.push_back(start);
        }
        llvm::SmallVector<Value> inits;
        for (size_t p = 0; p < block.size(); ++p)
          inits.append(biases);
        return buildReduction(
            rb, l, lower, upper, inits,
            [&](OpBuilder &ib, Location il, ValueRange r,
                ValueRange sums) -> llvm::SmallVector<Value> {
              llvm::SmallVector<Value> taps, offsets;
              for (unsigned i = 0; i < spatial; ++i) {
                Value tap = r[1 + i];
                taps.push_back(tap);
                offsets.push_back(dilations[i] == 1
                                      ? tap
                                      : ib.create<arith::MulIOp>(
                                              il, tap, indexConstant(ib, il, dilations[i]))
                                            .getResult());
              }
              Value c = ib.create<arith::AddIOp>(il, channelBase, r[0]);
              llvm::SmallVector<Value> xs;
              for (const auto &start : starts) {
                llvm::SmallVector<Value> xIndex{n, c};
                for (unsigned i = 0; i < spatial; ++i)
                  xIndex.push_back(ib.create<arith::AddIOp>(il, start[i], offsets[i]));
                xs.push_back(ib.create<memref::LoadOp>(il, adaptor.getInput(), xIndex));
              }
              llvm::SmallVector<Value> next(sums.begin(), sums.end());
              for (auto [k, m] : llvm::enumerate(channels)) {
                llvm::SmallVector<Value> wIndex{m, r[0]};
                wIndex.append(taps);
                Value w = ib.create<memref::LoadOp>(il, adaptor.getWeight(), wIndex);
                for (auto [p, x] : llvm::enumerate(xs)) {
                  Value product = ib.create<arith::MulFOp>(il, x, w, fm);
                  Value &sum = next[p * mBlock + k];
                  sum = ib.create<arith::AddFOp>(il, sum, product, fm);
                }
              }
              return next;
            });
      };

      // Computes and stores the outputs at `block` in `region`.
      auto computeBlock = [&](OpBuilder &rb, Location l,
                              llvm::ArrayRef<llvm::SmallVector<Value>> block,
                              llvm::ArrayRef<const Segment *> region) {
        // Whole segments with a border test at run time whether the block is
        // in the interior, where the taps are constant.
        Value inside;
        for (unsigned i = 0; i < spatial; ++i) {
          const Segment &segment = *region[i];
          if (!segment.isWholeWithBorder())
            continue;
          Value ok = rb.create<arith::AndIOp>(
              l,
              rb.create<arith::CmpIOp>(l, arith::CmpIPredicate::sge, block.front()[i],
                                       indexConstant(rb, l, segment.interiorBegin)),
              rb.create<arith::CmpIOp>(l, arith::CmpIPredicate::slt, block.back()[i],
                                       indexConstant(rb, l, segment.interiorEnd)));
          inside = inside ? rb.create<arith::AndIOp>(l, inside, ok).getResult() : ok;
        }
        llvm::SmallVector<Value> acc;
        if (!inside) {
          acc = accumulate(rb, l, block, region, /*inside=*/true);
        } else {
          auto ifOp = rb.create<scf::IfOp>(
              l, inside,
              [&](OpBuilder &tb, Location tl) {
                tb.create<scf::YieldOp>(tl, accumulate(tb, tl, block, region, true));
              },
              [&](OpBuilder &eb, Location el) {
                eb.create<scf::YieldOp>(el, accumulate(eb, el, block, region, false));
              });
          acc.assign(ifOp.getResults().begin(), ifOp.getResults().end());
        }
        for (auto [p, position] : llvm::enumerate(block))
          for (auto [k, m] : llvm::enumerate(channels)) {
            llvm::SmallVector<Value> at{n, m};
            at.append(position.begin(), position.end());
            Value value = acc[p * mBlock + k];
            if (adaptor.getResidual())
              value = rb.create<arith::AddFOp>(
                  l, value, rb.create<memref::LoadOp>(l, adaptor.getResidual(), at));
            rb.create<memref::StoreOp>(l, applyEpilogue(rb, l, value, act, quant), *out, at);
          }
      };

      // Every combination of segments, outermost dimension first.
      llvm::SmallVector<const Segment *> region(spatial);
      llvm::SmallVector<Value> leading(spatial - 1);
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
          // The last dimension: blocks of `step` positions, then the rest
          // one by one. Taps computed at run time need a single position.
          bool perPosition = segment.kind == Segment::runtime || segment.isWholeWithBorder();
          int64_t step = perPosition ? 1 : std::min(pBlock, length);
          int64_t blocks = length / step;
          auto positionsFrom = [&](OpBuilder &pb, Location pl, Value firstPosition,
                                   int64_t count) {
            llvm::SmallVector<llvm::SmallVector<Value>> block(count);
            for (int64_t p = 0; p < count; ++p) {
              block[p].assign(leading.begin(), leading.end());
              block[p].push_back(p ? pb.create<arith::AddIOp>(pl, firstPosition,
                                                              indexConstant(pb, pl, p))
                                         .getResult()
                                   : firstPosition);
            }
            return block;
          };
          forEach(eb, l, segment.begin, blocks, step, [&](OpBuilder &lb, Location ll, Value o) {
            computeBlock(lb, ll, positionsFrom(lb, ll, o, step), region);
          });
          int64_t rest = length - blocks * step;
          if (rest)
            forEach(eb, l, segment.begin + blocks * step, rest, 1,
                    [&](OpBuilder &lb, Location ll, Value o) {
                      computeBlock(lb, ll, positionsFrom(lb, ll, o, 1), region);
                    });
        }
      };
      emit(b, loc, 0);
    };

    // Each group's channels in blocks of mBlock, then the rest one by one.
    int64_t mBlock = ConvOp::getChannelBlock(outPerGroup);
    int64_t blocked = outPerGroup / mBlock * mBlock;
    buildLoops(rewriter, op.getLoc(), {outShape[0], group},
               [&](OpBuilder &b, Location loc, ValueRange outer) {
                 Value n = outer[0], g = outer[1];
                 Value channelBase =
                     b.create<arith::MulIOp>(loc, g, indexConstant(b, loc, inPerGroup));
                 Value groupStart =
                     b.create<arith::MulIOp>(loc, g, indexConstant(b, loc, outPerGroup));
                 auto channelsFrom = [&](int64_t begin, int64_t count, int64_t block) {
                   forEach(b, loc, begin, count, block, [&](OpBuilder &cb, Location cl, Value o) {
                     emitChannels(cb, cl, n, cb.create<arith::AddIOp>(cl, groupStart, o),
                                  channelBase, block);
                   });
                 };
                 channelsFrom(0, blocked / mBlock, mBlock);
                 if (blocked < outPerGroup)
                   channelsFrom(blocked, outPerGroup - blocked, 1);
               });
    rewriter.replaceOp(op, *out);
    return success();
  }

  bool forSize;
};

} // namespace

void lowering::populateConvLowering(RewritePatternSet &patterns, const TypeConverter &converter,
                                    bool forSize) {
  patterns.add<ConvLowering>(converter, patterns.getContext(), forSize);
}
