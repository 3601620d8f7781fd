//===- WindowSchedule.h - one loop-nest design for sliding windows -*- C++ -*-===//
//
// Private to tinyc-lower-to-loops. Convolutions (dense, sparse, binary) and
// pooling all slide a window over the input's spatial dimensions. The
// iteration is the same for every one of them and lives here: the output
// positions of each dimension are split into segments (the interior, whose
// windows take every tap, and the border positions, whose taps are
// compile-time constants where the code-size budget allows), positions along
// the last dimension come in blocks, and the reduction over a block's window
// gets constant trip counts wherever its region has them. The arithmetic is
// an Accumulator's: f32 multiply-add (Conv.cpp), XNOR/popcount (Binary.cpp),
// max and average (Pool.cpp). An int8 kernel plugs in as one more
// Accumulator: init gives the int32 bias per accumulator, accumulate widens
// and multiplies (two taps per SMLAD when innerExtent pairs the channels),
// complete requantizes.
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_LIB_CONVERSION_TINYCTOLOOPS_WINDOWSCHEDULE_H
#define TINYC_LIB_CONVERSION_TINYCTOLOOPS_WINDOWSCHEDULE_H

#include "Lowering.h"

namespace mlir::tinyc::lowering {

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

/// The spatial geometry of a sliding window (one entry per spatial
/// dimension): tap k of output position o reads input position
/// o * stride - padBegin + k * dilation.
struct WindowGeometry {
  llvm::SmallVector<int64_t> output, input, kernel, strides, dilations, padBegin;
};

/// The geometry from the spatial extents of a window op's output, input and
/// kernel, its strides and dilations, and its pads (before each dimension,
/// then after; only those before are the geometry's).
WindowGeometry makeWindowGeometry(llvm::ArrayRef<int64_t> output, llvm::ArrayRef<int64_t> input,
                                  llvm::ArrayRef<int64_t> kernel, llvm::ArrayRef<int64_t> strides,
                                  llvm::ArrayRef<int64_t> dilations, llvm::ArrayRef<int64_t> pads);

/// The taps [lo, hi) of output position `o`'s window along dimension `i`
/// that land in [lower, upper) of the input (lower may be negative: the
/// padded input).
std::pair<int64_t, int64_t> staticTaps(const WindowGeometry &g, unsigned i, int64_t o,
                                       int64_t lower, int64_t upper);

/// A block of output positions handed to the code that computes them:
/// positions that differ in the last spatial dimension only, in `region`
/// (one segment per dimension).
struct WindowBlock {
  /// The spatial indices of each position.
  llvm::SmallVector<llvm::SmallVector<Value>> positions;
  llvm::SmallVector<const Segment *> region;
};

/// One step of the reduction over a block's windows.
struct WindowTap {
  /// The induction variables of the loops around the taps (Accumulator::
  /// outerExtent, innerExtent); null where there is no such loop.
  Value outer, inner;
  /// The tap along each spatial dimension.
  llvm::SmallVector<Value> taps;
  /// For each position of the block, the spatial indices of the input
  /// element this tap reads.
  llvm::SmallVector<llvm::SmallVector<Value>> inputAt;
};

/// The arithmetic of a reduction over windows.
class Accumulator {
public:
  virtual ~Accumulator() = default;
  /// Extents of reduction loops outside the taps (input channels of a
  /// convolution) and inside them (words of packed bits); 0 for none.
  virtual int64_t outerExtent() const { return 0; }
  virtual int64_t innerExtent() const { return 0; }
  /// The initial accumulators of `block`.
  virtual llvm::SmallVector<Value> init(OpBuilder &b, Location loc, const WindowBlock &block) = 0;
  /// The accumulators after one more tap.
  virtual llvm::SmallVector<Value> accumulate(OpBuilder &b, Location loc, const WindowBlock &block,
                                              const WindowTap &tap, ValueRange acc) = 0;
  /// The result of the reduction, given the final accumulators and the tap
  /// bounds [lower, upper) per spatial dimension that it ran over (average
  /// pooling counts them). By default the accumulators themselves.
  virtual llvm::SmallVector<Value> complete(OpBuilder &b, Location loc, const WindowBlock &block,
                                            llvm::ArrayRef<Value> lower,
                                            llvm::ArrayRef<Value> upper, ValueRange acc) {
    return llvm::SmallVector<Value>(acc.begin(), acc.end());
  }
};

/// The iteration over a window's output positions, computed once per
/// operator and walked by each family's lowering.
class WindowSchedule {
public:
  /// `positionBlock`: the most positions along the last dimension per block
  /// (blocks only form where the taps are constant). `forSize`: one shared
  /// segment per dimension (-Os).
  WindowSchedule(WindowGeometry geometry, int64_t positionBlock, bool forSize);

  const WindowGeometry &getGeometry() const { return geometry; }
  llvm::ArrayRef<llvm::SmallVector<Segment>> getSegments() const { return segments; }

  /// Emits the loops over every block of output positions, outermost
  /// dimension first, and `body` for each block.
  void walk(OpBuilder &b, Location loc,
            llvm::function_ref<void(OpBuilder &, Location, const WindowBlock &)> body) const;

  /// The reduction of `accumulator` over the windows of `block`: only the
  /// taps that land inside the input, with constant bounds where the region
  /// has them. A whole segment with border positions tests at run time
  /// whether the block is in the interior and takes constant taps there.
  llvm::SmallVector<Value> reduce(OpBuilder &b, Location loc, const WindowBlock &block,
                                  Accumulator &accumulator) const;

  /// The number of taps of `block`'s first window along dimension `i` that
  /// land in [lower, upper), given the bounds [lo, hi) of the taps inside the
  /// input that the reduction took (a constant where the taps are).
  Value countTaps(OpBuilder &b, Location loc, const WindowBlock &block, unsigned i, Value lo,
                  Value hi, int64_t lower, int64_t upper) const;

private:
  llvm::SmallVector<Value> reduceWith(OpBuilder &b, Location loc, const WindowBlock &block,
                                      Accumulator &accumulator, bool inside) const;

  WindowGeometry geometry;
  int64_t positionBlock;
  llvm::SmallVector<llvm::SmallVector<Segment>> segments;
};

/// Runs `body` for begin, begin + step, ... (`count` times) in an scf.for,
/// or once with a constant when count is 1.
void forEach(OpBuilder &b, Location loc, int64_t begin, int64_t count, int64_t step,
             llvm::function_ref<void(OpBuilder &, Location, Value)> body);

/// Runs `body(first, size)` over [0, extent) in blocks of `block`, then the
/// rest one at a time.
void forEachBlock(OpBuilder &b, Location loc, int64_t extent, int64_t block,
                  llvm::function_ref<void(OpBuilder &, Location, Value, int64_t)> body);

/// The loops of a grouped convolution over images and groups, and over each
/// group's output channels in blocks of `block` (then the rest one by one):
/// `body(n, first, channelBase, count)` computes output channels [first,
/// first + count) of image n, whose group's input channels start at
/// channelBase.
void forEachChannelBlock(
    OpBuilder &b, Location loc, int64_t batch, int64_t group, int64_t inPerGroup,
    int64_t outPerGroup, int64_t block,
    llvm::function_ref<void(OpBuilder &, Location, Value, Value, Value, int64_t)> body);

/// The one store of a computed output element: adds the residual (if any,
/// read at the same index), applies the activation and fake quantization
/// (either may be null) and stores into `out` at `at`.
void storeWithEpilogue(OpBuilder &b, Location loc, Value value, Value out, ValueRange at,
                       Value residual, ActivationAttr act, FakeQuantAttr quant);

} // namespace mlir::tinyc::lowering

#endif // TINYC_LIB_CONVERSION_TINYCTOLOOPS_WINDOWSCHEDULE_H
