





//===- Quantized.cpp - int8 convolution, addition and pooling -------------===//
//
// The integer operators of tinyc-integer-islands. Convolutions walk the same
// window schedule as the float ones with an int32 accumulator: channels
// last, so the reduction innermost runs over contiguous input channels.
// On cores with the Arm DSP extension, four int8 channels are one 32-bit
// load: SXTAB16 widens the input bytes pairwise and subtracts the zero point
// in the same instruction, SXTB16 widens the weights, and SMLAD does two
// multiply-accumulates (CMSIS-NN's arithmetic, with the loop nest specialised
// to the layer). Elsewhere the reduction is scalar int32 arithmetic.
//
// Requantization is ONNX Runtime's: float(acc) * multiplier, clamped to the
// saturation bounds less the zero point, rounded half to even, plus the zero
// point.
//
//===----------------------------------------------------------------------===//

#include "WindowSchedule.h"

#include "tinyc/Transforms/Scratch.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/bit.h"

#include <algorithm>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::lowering;

namespace {

Value i32Constant(OpBuilder &b, Location loc, int64_t v) {
  return b.create<arith::ConstantOp>(loc, b.getI32IntegerAttr(static_cast<int32_t>(v)));
}

/// An 8-bit element as int32, sign- or zero-extended by its ONNX type.
Value widen(OpBuilder &b, Location loc, Value byte, bool isUnsigned) {
  if (isUnsigned)
    return b.create<arith::ExtUIOp>(loc, b.getI32Type(), byte);
  return b.create<arith::ExtSIOp>(loc, b.getI32Type(), byte);
}

/// clamp(roundeven(x) + zp, qmin, qmax) as the 8-bit result. The conversion
/// to int32 saturates (one VCVT on Arm's FPU, and defined for every x), and
/// the clamp is on integers (SSAT where it is the type's whole range).
Value requantizeToByte(OpBuilder &b, Location loc, Value x, int64_t zeroPoint, int64_t qmin,
                       int64_t qmax) {
  Value r = callRuntime(b, loc, kRoundEvenF, x);
  Value q = b.create<LLVM::CallIntrinsicOp>(loc, b.getI32Type(),
                                            b.getStringAttr("llvm.fptosi.sat.i32.f32"),
                                            ValueRange{r})
                .getResult(0);
  if (zeroPoint)
    q = b.create<arith::AddIOp>(loc, q, i32Constant(b, loc, zeroPoint));
  q = b.create<arith::MaxSIOp>(loc, q, i32Constant(b, loc, qmin));
  q = b.create<arith::MinSIOp>(loc, q, i32Constant(b, loc, qmax));
  return b.create<arith::TruncIOp>(loc, b.getI8Type(), q);
}

/// The fixed-point form of clamp(roundeven(acc * multiplier) + zp, qmin,
/// qmax) for cores without an FPU: the f32 multiplier is exactly
/// mantissa * 2^-shift (a 24-bit integer and a shift read from its bits once
/// per channel), so acc * mantissa is exact in 64 bits and the rounding half
/// to even of its shift is the exact product's. The float form rounds the
/// product to f32 first, so the two differ only where the exact product lies
/// within half an f32 ulp of a tie (docs/passes.md).
struct FixedMultiplier {
  Value mantissa, shift; // i64
};

FixedMultiplier splitMultiplier(OpBuilder &b, Location loc, Value multiplier) {
  Type i64 = b.getI64Type();
  Value bits = b.create<arith::ExtUIOp>(
      loc, i64, b.create<arith::BitcastOp>(loc, b.getI32Type(), multiplier));
  auto c = [&](int64_t v) { return b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(v)); };
  Value mantissa = b.create<arith::OrIOp>(loc, b.create<arith::AndIOp>(loc, bits, c(0x7fffff)),
                                          c(0x800000));
  Value exponent = b.create<arith::AndIOp>(loc, b.create<arith::ShRUIOp>(loc, bits, c(23)), c(0xff));
  // multiplier = mantissa * 2^(exponent - 150); the shift is at least 1
  // (multipliers of 2^23 and more saturate every nonzero accumulator anyway).
  Value shift = b.create<arith::SubIOp>(loc, c(150), exponent);
  shift = b.create<arith::MaxSIOp>(loc, b.create<arith::MinSIOp>(loc, shift, c(62)), c(1));
  return {mantissa, shift};
}

Value requantizeFixed(OpBuilder &b, Location loc, Value acc, const FixedMultiplier &m,
                      int64_t zeroPoint, int64_t qmin, int64_t qmax) {
  Type i64 = b.getI64Type();
  auto c = [&](int64_t v) { return b.create<arith::ConstantOp>(loc, b.getI64IntegerAttr(v)); };
  Value product = b.create<arith::MulIOp>(loc, b.create<arith::ExtSIOp>(loc, i64, acc), m.mantissa);
  Value floor = b.create<arith::ShRSIOp>(loc, product, m.shift);
  Value rest = b.create<arith::SubIOp>(loc, product, b.create<arith::ShLIOp>(loc, floor, m.shift));
  Value half = b.create<arith::ShLIOp>(loc, c(1), b.create<arith::SubIOp>(loc, m.shift, c(1)));
  Value above = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, rest, half);
  Value tie = b.create<arith::AndIOp>(
      loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, rest, half),
      b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::ne,
                              b.create<arith::AndIOp>(loc, floor, c(1)), c(0)));
  Value up = b.create<arith::ExtUIOp>(loc, i64, b.create<arith::OrIOp>(loc, above, tie));
  Value q = b.create<arith::AddIOp>(loc, b.create<arith::AddIOp>(loc, floor, up), c(zeroPoint));
  q = b.create<arith::MaxSIOp>(loc, q, c(qmin));
  q = b.create<arith::MinSIOp>(loc, q, c(qmax));
  return b.create<arith::TruncIOp>(loc, b.getI8Type(), q);
}

/// Row-major linear index of `at` in `shape`.
Value linearIndex(OpBuilder &b, Location loc, llvm::ArrayRef<int64_t> shape, ValueRange at) {
  Value linear = at.front();
  for (size_t d = 1; d < shape.size(); ++d)
    linear = b.create<arith::AddIOp>(
        loc, b.create<arith::MulIOp>(loc, linear, indexConstant(b, loc, shape[d])), at[d]);
  return linear;
}

/// The address of an int8 buffer's first element. MLIR's aligned pointer of
/// a memref excludes its offset, and expand-strided-metadata takes a view's
/// aligned pointer to be its source's, so a view of the arena contributes
/// its byte shift here.
Value bytePointer(OpBuilder &b, Location loc, Value buffer) {
  if (auto view = buffer.getDefiningOp<memref::ViewOp>())
    return b.create<arith::AddIOp>(loc, bytePointer(b, loc, view.getSource()),
                                   view.getByteShift());
  if (auto cast = buffer.getDefiningOp<memref::ReinterpretCastOp>()) {
    auto offsets = cast.getStaticOffsets();
    if (offsets.size() == 1 && !ShapedType::isDynamic(offsets[0]))
      return b.create<arith::AddIOp>(loc, bytePointer(b, loc, cast.getSource()),
                                     indexConstant(b, loc, offsets[0]));
  }
  return b.create<memref::ExtractAlignedPointerAsIndexOp>(loc, buffer);
}

/// Reads the 32 bits at byte `offset` of an int8 buffer, unaligned (the
/// cores with the DSP extension load words at any byte address).
Value loadWord(OpBuilder &b, Location loc, Value base, Value offset) {
  Value address = b.create<arith::IndexCastUIOp>(loc, b.getI32Type(),
                                                 b.create<arith::AddIOp>(loc, base, offset));
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  Value ptr = b.create<LLVM::IntToPtrOp>(loc, ptrType, address);
  return b.create<LLVM::LoadOp>(loc, b.getI32Type(), ptr, /*alignment=*/1);
}

Value intrinsic(OpBuilder &b, Location loc, llvm::StringRef name, ValueRange args) {
  return b.create<LLVM::CallIntrinsicOp>(loc, b.getI32Type(), b.getStringAttr(name), args)
      .getResult(0);
}

/// The word rotated right by 8 bits: bytes 1 and 3 where SXTB16 reads.
Value rotateByte(OpBuilder &b, Location loc, Value word) {
  return b.create<arith::OrIOp>(loc, b.create<arith::ShRUIOp>(loc, word, i32Constant(b, loc, 8)),
                                b.create<arith::ShLIOp>(loc, word, i32Constant(b, loc, 24)));
}

/// int8 multiply-accumulate of a block of output channels of image `n` over
/// the input channels [channelBase, channelBase + inPerGroup), one int32
/// accumulator per (position, channel), starting at the bias. In DSP mode
/// the innermost loop runs over words of four channels.
class Int8Accumulator : public Accumulator {
public:
  Int8Accumulator(QConvOp op, Value input, Value weight, Value n, Value channelBase,
                  llvm::ArrayRef<Value> channels, llvm::ArrayRef<Value> biases, bool dsp,
                  OpBuilder &b, Location loc)
      : op(op), input(input), weight(weight), n(n), channelBase(channelBase), channels(channels),
        biases(biases), dsp(dsp), inPerGroup(op.getWeight().getType().getShape().back()),
        zeroPoint(static_cast<int64_t>(op.getInputZeroPoint())),
        isUnsigned(op.getInput().getType().getElementType().isUnsignedInteger()) {
    if (!dsp)
      return;
    // Outside the loops over positions: the buffers' addresses and the
    // negated zero point in both halves of a word.
    inputBase = bytePointer(b, loc, input);
    weightBase = bytePointer(b, loc, weight);
    int64_t neg = (-zeroPoint) & 0xffff;
    negZeroPair = i32Constant(b, loc, static_cast<int32_t>((neg << 16) | neg));
  }

  int64_t innerExtent() const override { return dsp ? inPerGroup / 4 : inPerGroup; }

  llvm::SmallVector<Value> init(OpBuilder &, Location, const WindowBlock &block) override {
    llvm::SmallVector<Value> inits;
    for (size_t p = 0; p < block.positions.size(); ++p)
      inits.append(biases.begin(), biases.end());
    return inits;
  }

  llvm::SmallVector<Value> accumulate(OpBuilder &b, Location loc, const WindowBlock &,
                                      const WindowTap &tap, ValueRange sums) override {
    return dsp ? accumulateWords(b, loc, tap, sums) : accumulateBytes(b, loc, tap, sums);
  }

private:
  llvm::SmallVector<Value> accumulateBytes(OpBuilder &b, Location loc, const WindowTap &tap,
                                           ValueRange sums) {
    Value c = b.create<arith::AddIOp>(loc, channelBase, tap.inner);
    llvm::SmallVector<Value> xs;
    for (const auto &at : tap.inputAt) {
      llvm::SmallVector<Value> index{n};
      index.append(at);
      index.push_back(c);
      Value x = widen(b, loc, b.create<memref::LoadOp>(loc, input, index), isUnsigned);
      if (zeroPoint)
        x = b.create<arith::SubIOp>(loc, x, i32Constant(b, loc, zeroPoint));
      xs.push_back(x);
    }
    llvm::SmallVector<Value> next(sums.begin(), sums.end());
    for (auto [k, m] : llvm::enumerate(channels)) {
      llvm::SmallVector<Value> wIndex{m};
      wIndex.append(tap.taps);
      wIndex.push_back(tap.inner);
      Value w = widen(b, loc, b.create<memref::LoadOp>(loc, weight, wIndex), false);
      for (auto [p, x] : llvm::enumerate(xs)) {
        Value &sum = next[p * channels.size() + k];
        sum = b.create<arith::AddIOp>(loc, sum, b.create<arith::MulIOp>(loc, x, w));
      }
    }
    return next;
  }

  llvm::SmallVector<Value> accumulateWords(OpBuilder &b, Location loc, const WindowTap &tap,
                                           ValueRange sums) {
    Value four = indexConstant(b, loc, 4);
    Value c = b.create<arith::AddIOp>(loc, channelBase,
                                      b.create<arith::MulIOp>(loc, tap.inner, four));
    llvm::ArrayRef<int64_t> inShape = op.getInput().getType().getShape();
    llvm::ArrayRef<int64_t> wShape = op.getWeight().getType().getShape();
    // Per position: channels (0, 2) and (1, 3) as int16 pairs less the zero point.
    llvm::SmallVector<std::pair<Value, Value>> xs;
    for (const auto &at : tap.inputAt) {
      llvm::SmallVector<Value> index{n};
      index.append(at);
      index.push_back(c);
      Value word = loadWord(b, loc, inputBase, linearIndex(b, loc, inShape, index));
      xs.push_back({intrinsic(b, loc, "llvm.arm.sxtab16", {negZeroPair, word}),
                    intrinsic(b, loc, "llvm.arm.sxtab16", {negZeroPair, rotateByte(b, loc, word)})});
    }
    llvm::SmallVector<Value> next(sums.begin(), sums.end());
    for (auto [k, m] : llvm::enumerate(channels)) {
      llvm::SmallVector<Value> wIndex{m};
      wIndex.append(tap.taps);
      wIndex.push_back(b.create<arith::MulIOp>(loc, tap.inner, four));
      Value word = loadWord(b, loc, weightBase, linearIndex(b, loc, wShape, wIndex));
      Value even = intrinsic(b, loc, "llvm.arm.sxtb16", {word});
      Value odd = intrinsic(b, loc, "llvm.arm.sxtb16", {rotateByte(b, loc, word)});
      for (auto [p, x] : llvm::enumerate(xs)) {
        Value &sum = next[p * channels.size() + k];
        sum = intrinsic(b, loc, "llvm.arm.smlad", {x.first, even, sum});
        sum = intrinsic(b, loc, "llvm.arm.smlad", {x.second, odd, sum});
      }
    }
    return next;
  }

  QConvOp op;
  Value input, weight, n, channelBase;
  llvm::ArrayRef<Value> channels, biases;
  bool dsp;
  int64_t inPerGroup, zeroPoint;
  bool isUnsigned;
  Value inputBase, weightBase, negZeroPair;
};

/// A read-only global holding `data`, named after `stem`, and its buffer.
Value constantGlobal(Operation *op, ConversionPatternRewriter &rewriter, llvm::StringRef stem,
                     DenseElementsAttr data) {
  auto module = op->getParentOfType<ModuleOp>();
  std::string symbol;
  for (unsigned k = 0; symbol.empty() || module.lookupSymbol(symbol); ++k)
    symbol = (stem + "_" + llvm::Twine(k)).str();
  auto type = MemRefType::get(data.getType().getShape(), data.getElementType());
  {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(module.getBody());
    rewriter.create<memref::GlobalOp>(op->getLoc(), symbol, rewriter.getStringAttr("private"),
                                      type, data, /*constant=*/true,
                                      rewriter.getI64IntegerAttr(16));
  }
  return rewriter.create<memref::GetGlobalOp>(op->getLoc(), type, symbol);
}

/// The accumulator's start for a depthwise window that takes every tap:
/// bias[c] - zp * sum(w[c]), so the interior's reduction multiplies the
/// stored input bytes as they are (sum((x - zp) * w) = sum(x * w) -
/// zp * sum(w)). Computed here from the constant weights and bias; failure
/// where they are not constants.
FailureOr<Value> interiorBias(QConvOp op, ConversionPatternRewriter &rewriter) {
  DenseElementsAttr weights, bias;
  if (!matchPattern(op.getWeight(), m_Constant(&weights)) ||
      !matchPattern(op.getBias(), m_Constant(&bias)))
    return failure();
  int64_t channels = op.getWeight().getType().getShape().front();
  int64_t taps = weights.getNumElements() / channels;
  int64_t zeroPoint = static_cast<int64_t>(op.getInputZeroPoint());
  llvm::SmallVector<int64_t> wide;
  for (const llvm::APInt &v : bias.getValues<llvm::APInt>())
    wide.push_back(v.getSExtValue());
  for (auto [i, w] : llvm::enumerate(weights.getValues<llvm::APInt>()))
    wide[i / taps] -= zeroPoint * w.getSExtValue();
  // Modulo 2^32, as the int32 sums of the reduction it replaces wrap.
  llvm::SmallVector<int32_t> start;
  for (int64_t v : wide)
    start.push_back(static_cast<int32_t>(static_cast<uint32_t>(v)));
  return constantGlobal(op, rewriter, "__tinyc_dw_interior_bias",
                        DenseElementsAttr::get(RankedTensorType::get({channels},
                                                                     rewriter.getI32Type()),
                                               llvm::ArrayRef<int32_t>(start)));
}

/// (lo, hi) as the two int16 lanes of a word (PKHBT).
Value packHalves(OpBuilder &b, Location loc, Value lo, Value hi) {
  return b.create<arith::OrIOp>(
      loc, b.create<arith::AndIOp>(loc, lo, i32Constant(b, loc, 0xffff)),
      b.create<arith::ShLIOp>(loc, hi, i32Constant(b, loc, 16)));
}

/// The DSP reduction of channel `c` of a 2-d depthwise convolution over a
/// block of positions whose windows take the constant taps [lo, hi) of each
/// dimension (all of them in the interior). In NHWC the reduction runs over
/// taps, and the taps of one channel are a channel count apart, so SMLAD
/// pairs two kernel rows: the bytes at (ky, kx) and (ky + 1, kx) packed into
/// one word (PKHBT) against the weights packed the same way, two MACs per
/// instruction. A packed column serves every position of the block whose
/// window covers it (LLVM merges the identical loads and packs), and an odd
/// last row takes one MAC per tap. The input zero point is in the start
/// value: `interiorStart` (every tap's share) plus zp * w of each tap the
/// windows do not take, so the bytes are multiplied as loaded (uint8 bytes
/// fit an int16 lane as well as int8 ones).
llvm::SmallVector<Value> reduceTapPairs(OpBuilder &b, Location loc, const WindowGeometry &g,
                                        const WindowBlock &block, Value input, Value weight,
                                        Value n, Value c, bool isUnsigned, Value interiorStart,
                                        int64_t zeroPoint,
                                        llvm::ArrayRef<int64_t> lo, llvm::ArrayRef<int64_t> hi) {
  Value y0 = b.create<arith::SubIOp>(
      loc, b.create<arith::MulIOp>(loc, block.positions.front()[0],
                                   indexConstant(b, loc, g.strides[0])),
      indexConstant(b, loc, g.padBegin[0]));
  llvm::SmallVector<Value> x0;
  for (const auto &position : block.positions)
    x0.push_back(b.create<arith::SubIOp>(
        loc, b.create<arith::MulIOp>(loc, position[1], indexConstant(b, loc, g.strides[1])),
        indexConstant(b, loc, g.padBegin[1])));
  auto inputAt = [&](int64_t ky, int64_t kx, size_t p) {
    Value y = b.create<arith::AddIOp>(loc, y0, indexConstant(b, loc, ky * g.dilations[0]));
    Value x = b.create<arith::AddIOp>(loc, x0[p], indexConstant(b, loc, kx * g.dilations[1]));
    return widen(b, loc, b.create<memref::LoadOp>(loc, input, ValueRange{n, y, x, c}),
                 isUnsigned);
  };
  auto weightAt = [&](int64_t ky, int64_t kx) {
    return widen(b, loc,
                 b.create<memref::LoadOp>(loc, weight,
                                          ValueRange{c, indexConstant(b, loc, ky),
                                                     indexConstant(b, loc, kx),
                                                     indexConstant(b, loc, 0)}),
                 false);
  };
  Value start = interiorStart;
  if (zeroPoint)
    for (int64_t ky = 0; ky < g.kernel[0]; ++ky)
      for (int64_t kx = 0; kx < g.kernel[1]; ++kx)
        if (ky < lo[0] || ky >= hi[0] || kx < lo[1] || kx >= hi[1])
          start = b.create<arith::AddIOp>(
              loc, start,
              b.create<arith::MulIOp>(loc, weightAt(ky, kx), i32Constant(b, loc, zeroPoint)));
  llvm::SmallVector<Value> sums(block.positions.size(), start);
  int64_t ky = lo[0];
  for (; ky + 1 < hi[0]; ky += 2)
    for (int64_t kx = lo[1]; kx < hi[1]; ++kx) {
      Value w = packHalves(b, loc, weightAt(ky, kx), weightAt(ky + 1, kx));
      for (auto [p, sum] : llvm::enumerate(sums))
        sum = intrinsic(b, loc, "llvm.arm.smlad",
                        {packHalves(b, loc, inputAt(ky, kx, p), inputAt(ky + 1, kx, p)), w, sum});
    }
  if (ky < hi[0])
    for (int64_t kx = lo[1]; kx < hi[1]; ++kx) {
      Value w = weightAt(ky, kx);
      for (auto [p, sum] : llvm::enumerate(sums))
        sum = b.create<arith::AddIOp>(loc, sum, b.create<arith::MulIOp>(loc, inputAt(ky, kx, p), w));
    }
  return sums;
}

/// Positions per block of reduceTapPairs, measured on VWW's depthwise
/// layers (cortex-m7, whole model): 4 for stride 1, where neighbouring
/// windows share two of three packed columns (11,270,915 instructions
/// against 11,469,500 with 2), and 2 for stride 2, where they share one
/// (11,221,575; 3 positions 11,229,331, 4 positions 11,270,915).
constexpr int64_t kPairPositions = 4, kPairPositionsStrided = 2;

struct QConvLowering : OpConversionPattern<QConvOp> {
  QConvLowering(const TypeConverter &converter, MLIRContext *context, bool forSize, bool dsp,
                bool fixedPoint)
      : OpConversionPattern(converter, context), forSize(forSize), dsp(dsp),
        fixedPoint(fixedPoint) {}

  LogicalResult matchAndRewrite(QConvOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    if (!forSize && succeeded(lowerSparsePointwise(op, adaptor, rewriter, *out)))
      return success();
    if (auto scratch = op->getAttrOfType<IntegerAttr>(kScratchOffsetAttr)) {
      if (!dsp || forSize || !gemmReduction(op))
        return op.emitError() << "has scratch for a kernel this target does not take";
      lowerGemm(op, adaptor, rewriter, *out, scratch.getInt());
      return success();
    }
    if (dsp && !forSize && succeeded(lowerDensePointwise(op, adaptor, rewriter, *out)))
      return success();
    auto inShape = op.getInput().getType().getShape();
    auto wShape = op.getWeight().getType().getShape();
    auto outShape = op.getType().getShape();
    unsigned spatial = op.getNumSpatialDims();
    int64_t group = op.getGroup();
    int64_t outPerGroup = wShape[0] / group, inPerGroup = wShape.back();
    // Channels last: the spatial dimensions are [1, 1 + spatial).
    WindowGeometry geometry = makeWindowGeometry(
        outShape.slice(1, spatial), inShape.slice(1, spatial), wShape.slice(1, spatial),
        op.getStrides(), op.getDilations(), op.getPads());
    // Words of four channels need the signed input SXTAB16 widens.
    bool words = dsp && inPerGroup % 4 == 0 &&
                 !op.getInput().getType().getElementType().isUnsignedInteger();
    // Blocks of output channels x positions whose int32 accumulators fit the
    // core's 13 registers with the operands: 2 x 2 for the SMLAD words and
    // for the scalar reduction (measured per layer kind on the MLPerf models:
    // SMLAD 1x1 on KWS 2x2 1.97 instructions per MAC, 4x1 2.00, 4x2 2.06,
    // 2x4 2.25; the scalar first convolution of VWW 2x2 3.07, 4x1 3.17,
    // 4x4 4.11), and 1 x 4 for depthwise layers (one channel per group:
    // 4 positions 3.66, 2 positions 4.09).
    bool depthwise = outPerGroup == 1;
    int64_t positionBlock = forSize ? 1 : depthwise ? 4 : 2;
    // On DSP cores a 2-d depthwise convolution takes the SMLAD pairs of
    // kernel rows wherever its taps are constant.
    if (depthwise && inPerGroup == 1 && dsp && !forSize && spatial == 2 &&
        geometry.kernel[0] >= 2) {
      FailureOr<Value> start = interiorBias(op, rewriter);
      if (succeeded(start)) {
        lowerDepthwisePairs(op, adaptor, rewriter, geometry, *start, *out);
        rewriter.replaceOp(op, *out);
        return success();
      }
    }
    WindowSchedule schedule(std::move(geometry), positionBlock, forSize);
    int64_t mBlock = std::min<int64_t>(outPerGroup, 2);

    forEachChannelBlock(rewriter, op.getLoc(), outShape[0], group, inPerGroup, outPerGroup, mBlock,
                        [&](OpBuilder &b, Location loc, Value n, Value m0, Value channelBase,
                            int64_t count) {
                          emitChannels(b, loc, op, adaptor, schedule, *out, n, m0, channelBase,
                                       count, words ? Kernel::words : Kernel::scalar);
                        });
    rewriter.replaceOp(op, *out);
    return success();
  }

  /// A depthwise convolution on a DSP core, one channel at a time: blocks
  /// whose taps are constants with reduceTapPairs, those computed at run
  /// time (regions beyond the schedule's cap) and windows of a single row
  /// with the scalar reduction.
  void lowerDepthwisePairs(QConvOp op, OpAdaptor adaptor, ConversionPatternRewriter &rewriter,
                           const WindowGeometry &geometry, Value start, Value out) const {
    WindowSchedule schedule(
        geometry, geometry.strides[1] == 1 ? kPairPositions : kPairPositionsStrided, forSize);
    llvm::ArrayRef<int64_t> outShape = op.getType().getShape();
    buildLoops(rewriter, op.getLoc(), {outShape.front(), outShape.back()},
               [&](OpBuilder &b, Location loc, ValueRange ivs) {
      Value n = ivs[0], c = ivs[1];
      Value startC = b.create<memref::LoadOp>(loc, start, c);
      emitChannels(b, loc, op, adaptor, schedule, out, n, c, c, 1, Kernel::scalar, startC);
    });
  }

  /// The int8 GEMM over a scratch of widened windows (DSP cores, where
  /// tinyc-plan-memory placed the scratch, tinyc/Transforms/Scratch.h). For
  /// each block of kGemmPositions output positions, their windows are copied
  /// into the scratch as the GEMM reads them (im2col): the input less its
  /// zero point (padding taps 0), each word of four taps (x0, x1, x2, x3) as
  /// the int16 pairs (x0, x2) and (x1, x3) that SXTAB16 makes of it and of
  /// its rotation, the positions' pairs of one word side by side. Then for
  /// each output channel one pass over its weight row (the layout
  /// [M, kh, kw, C] is already [M, K]): per word of four weights one LDR,
  /// SXTB16 and SXTB16 ror 8, and per position two scratch words and two
  /// SMLAD, 15 instructions per 16 MACs in 11 registers. The widening is
  /// done once per block for all M channels. The last block starts
  /// kGemmPositions before the end, recomputing a few outputs with the same
  /// values, so that every block is full.
  void lowerGemm(QConvOp op, OpAdaptor adaptor, ConversionPatternRewriter &rewriter, Value out,
                 int64_t scratchOffset) const {
    constexpr int64_t P = kGemmPositions;
    Location loc = op.getLoc();
    llvm::ArrayRef<int64_t> inShape = op.getInput().getType().getShape();
    llvm::ArrayRef<int64_t> wShape = op.getWeight().getType().getShape();
    llvm::ArrayRef<int64_t> outShape = op.getType().getShape();
    int64_t height = inShape[1], width = inShape[2], c = inShape[3];
    int64_t kh = wShape[1], kw = wShape[2], m = wShape[0];
    int64_t k = gemmReduction(op), words = k / 4;
    int64_t oh = outShape[1], ow = outShape[2];
    int64_t positions = outShape[0] * oh * ow;
    llvm::ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations(),
                            pads = op.getPads();
    int64_t zp = static_cast<int64_t>(op.getInputZeroPoint());
    int64_t outZero = static_cast<int64_t>(op.getOutputZeroPoint());
    int64_t qmin = static_cast<int64_t>(op.getQmin()), qmax = static_cast<int64_t>(op.getQmax());

    auto func = op->getParentOfType<func::FuncOp>();
    Value arena = func.getArgument(func.getNumArguments() - 1);
    Value scratch = rewriter.create<arith::AddIOp>(
        loc, rewriter.create<memref::ExtractAlignedPointerAsIndexOp>(loc, arena),
        indexConstant(rewriter, loc, scratchOffset));
    Value xBase = bytePointer(rewriter, loc, adaptor.getInput());
    Value wBase = bytePointer(rewriter, loc, adaptor.getWeight());
    Value y = reinterpretAs(rewriter, loc, out,
                            MemRefType::get({positions, m}, rewriter.getI8Type()));
    int64_t neg = (-zp) & 0xffff;
    Value negZeroPair = i32Constant(rewriter, loc, static_cast<int32_t>((neg << 16) | neg));
    auto ptrType = LLVM::LLVMPointerType::get(rewriter.getContext());
    auto store = [&](OpBuilder &b, Location l, Value value, Value address) {
      Value ptr = b.create<LLVM::IntToPtrOp>(
          l, ptrType, b.create<arith::IndexCastUIOp>(l, b.getI32Type(), address));
      b.create<LLVM::StoreOp>(l, value, ptr, /*alignment=*/2);
    };
    // The two pair words of one position at `offset` bytes from `base`, by
    // one LDRD. As inline assembly because LLVM 19 forms LDRD only from a
    // run of exactly two loads at consecutive offsets from one base, and the
    // scratch's positions make runs of eight (which it leaves as eight LDR).
    // Marked as having side effects: LLVM's machine passes take inline
    // assembly without them for a pure function of its operands, and moved
    // or merged the load across the stores that fill the scratch (IC failed).
    auto loadScratch = [&](OpBuilder &b, Location l, Value base, int64_t offset) {
      Type i32 = b.getI32Type();
      auto pair = LLVM::LLVMStructType::getLiteral(b.getContext(), {i32, i32});
      Value address = b.create<arith::IndexCastUIOp>(l, i32, base);
      Value both = b.create<LLVM::InlineAsmOp>(
                        l, pair, ValueRange{address},
                        ("ldrd $0, $1, [$2, #" + llvm::Twine(offset) + "]").str(), "=r,=r,r",
                        /*has_side_effects=*/true, /*is_align_stack=*/false,
                        LLVM::AsmDialectAttr(), ArrayAttr())
                       .getResult(0);
      return std::make_pair(b.create<LLVM::ExtractValueOp>(l, both, 0).getResult(),
                            b.create<LLVM::ExtractValueOp>(l, both, 1).getResult());
    };
    auto cIdx = [&](OpBuilder &b, Location l, int64_t v) { return indexConstant(b, l, v); };
    auto addI = [&](OpBuilder &b, Location l, Value a, Value v) {
      return b.create<arith::AddIOp>(l, a, v).getResult();
    };
    auto mulI = [&](OpBuilder &b, Location l, Value a, int64_t v) {
      return b.create<arith::MulIOp>(l, a, indexConstant(b, l, v)).getResult();
    };

    buildLoops(rewriter, loc, {(positions + P - 1) / P}, [&](OpBuilder &b, Location l,
                                                             ValueRange ivs) {
      Value q0 = b.create<arith::MinSIOp>(l, mulI(b, l, ivs[0], P), cIdx(b, l, positions - P));
      // The windows of the block's positions into the scratch, one loop
      // over them (unrolled, the four nests' counters spilled).
      buildLoops(b, l, {P}, [&](OpBuilder &b, Location l, ValueRange ps) {
        Value p = ps[0];
        Value q = addI(b, l, q0, p);
        Value n = b.create<arith::DivUIOp>(l, q, cIdx(b, l, oh * ow));
        Value rest = b.create<arith::RemUIOp>(l, q, cIdx(b, l, oh * ow));
        Value oy = b.create<arith::DivUIOp>(l, rest, cIdx(b, l, ow));
        Value ox = b.create<arith::RemUIOp>(l, rest, cIdx(b, l, ow));
        Value iy0 = b.create<arith::SubIOp>(l, mulI(b, l, oy, strides[0]), cIdx(b, l, pads[0]));
        Value ix0 = b.create<arith::SubIOp>(l, mulI(b, l, ox, strides[1]), cIdx(b, l, pads[1]));
        Value slot = addI(b, l, scratch, mulI(b, l, p, 8));
        buildLoops(b, l, {kh, kw}, [&](OpBuilder &tb, Location tl, ValueRange taps) {
          Value iy = addI(tb, tl, iy0, mulI(tb, tl, taps[0], dilations[0]));
          Value ix = addI(tb, tl, ix0, mulI(tb, tl, taps[1], dilations[1]));
          // Inside the input: unsigned compares also refuse negative rows.
          Value inside = tb.create<arith::AndIOp>(
              tl,
              tb.create<arith::CmpIOp>(tl, arith::CmpIPredicate::ult, iy, cIdx(tb, tl, height)),
              tb.create<arith::CmpIOp>(tl, arith::CmpIPredicate::ult, ix, cIdx(tb, tl, width)));
          Value tapK = mulI(tb, tl, addI(tb, tl, mulI(tb, tl, taps[0], kw), taps[1]), c);
          Value pixel = mulI(
              tb, tl, addI(tb, tl, mulI(tb, tl, addI(tb, tl, mulI(tb, tl, n, height), iy), width), ix),
              c);
          if (c % 4 == 0) {
            // Whole words per tap: two pair stores per word, zeros outside.
            Value first = addI(tb, tl, slot, mulI(tb, tl, tapK, 8)); // (tapK / 4) * 32
            tb.create<scf::IfOp>(
                tl, inside,
                [&](OpBuilder &ib, Location il) {
                  buildLoops(ib, il, {c / 4}, [&](OpBuilder &wb, Location wl, ValueRange cw) {
                    Value word = loadWord(wb, wl, xBase, addI(wb, wl, pixel, mulI(wb, wl, cw[0], 4)));
                    Value at = addI(wb, wl, first, mulI(wb, wl, cw[0], 32));
                    store(wb, wl, intrinsic(wb, wl, "llvm.arm.sxtab16", {negZeroPair, word}), at);
                    store(wb, wl,
                          intrinsic(wb, wl, "llvm.arm.sxtab16",
                                    {negZeroPair, rotateByte(wb, wl, word)}),
                          addI(wb, wl, at, cIdx(wb, wl, 4)));
                  });
                  ib.create<scf::YieldOp>(il);
                },
                [&](OpBuilder &eb, Location el) {
                  Value zero = i32Constant(eb, el, 0);
                  buildLoops(eb, el, {c / 4}, [&](OpBuilder &wb, Location wl, ValueRange cw) {
                    Value at = addI(wb, wl, first, mulI(wb, wl, cw[0], 32));
                    store(wb, wl, zero, at);
                    store(wb, wl, zero, addI(wb, wl, at, cIdx(wb, wl, 4)));
                  });
                  eb.create<scf::YieldOp>(el);
                });
            return;
          }
          // Channels that do not fill words: one int16 per tap, at lane
          // (j & 1, j >> 1) of word kk / 4 where j = kk % 4.
          buildLoops(tb, tl, {c}, [&](OpBuilder &cb, Location cl, ValueRange ch) {
            Value kk = addI(cb, cl, tapK, ch[0]);
            auto value = cb.create<scf::IfOp>(
                cl, inside,
                [&](OpBuilder &ib, Location il) {
                  Value x = ib.create<memref::LoadOp>(
                      il, adaptor.getInput(),
                      ValueRange{n, iy, ix, ch[0]});
                  x = widen(ib, il, x, false);
                  if (zp)
                    x = ib.create<arith::SubIOp>(il, x, i32Constant(ib, il, zp));
                  ib.create<scf::YieldOp>(il, x);
                },
                [&](OpBuilder &eb, Location el) {
                  eb.create<scf::YieldOp>(el, i32Constant(eb, el, 0));
                });
            Value j = cb.create<arith::RemUIOp>(cl, kk, cIdx(cb, cl, 4));
            Value lane = addI(cb, cl,
                              mulI(cb, cl, cb.create<arith::AndIOp>(cl, j, cIdx(cb, cl, 1)), 4),
                              mulI(cb, cl, cb.create<arith::ShRUIOp>(cl, j, cIdx(cb, cl, 1)), 2));
            Value at = addI(cb, cl, addI(cb, cl, slot, mulI(cb, cl, cb.create<arith::DivUIOp>(
                                                                        cl, kk, cIdx(cb, cl, 4)),
                                                               32)),
                            lane);
            Value half = cb.create<arith::TruncIOp>(cl, cb.getI16Type(), value.getResult(0));
            store(cb, cl, half, at);
          });
        });
      });
      // Each output channel over the block: its weight row against the
      // scratch, one accumulator per position.
      buildLoops(b, l, {m}, [&](OpBuilder &mb, Location ml, ValueRange ms) {
        Value channel = ms[0];
        Value bias = mb.create<memref::LoadOp>(ml, adaptor.getBias(), channel);
        Value multiplier = mb.create<memref::LoadOp>(ml, adaptor.getMultiplier(), channel);
        llvm::SmallVector<Value> carried{scratch, addI(mb, ml, wBase, mulI(mb, ml, channel, k))};
        carried.append(P, bias);
        int64_t unroll = words % 4 == 0 ? 4 : words % 2 == 0 ? 2 : 1;
        auto loop = mb.create<scf::ForOp>(
            ml, cIdx(mb, ml, 0), cIdx(mb, ml, words / unroll), cIdx(mb, ml, 1), carried,
            [&](OpBuilder &ib, Location il, Value, ValueRange state) {
              Value sPtr = state[0], wPtr = state[1];
              llvm::SmallVector<Value> sums(state.drop_front(2));
              for (int64_t u = 0; u < unroll; ++u) {
                Value word = loadWord(ib, il, wPtr, cIdx(ib, il, 4 * u));
                Value even = intrinsic(ib, il, "llvm.arm.sxtb16", {word});
                Value odd = intrinsic(ib, il, "llvm.arm.sxtb16", {rotateByte(ib, il, word)});
                for (int64_t p = 0; p < P; ++p) {
                  auto [lo, hi] = loadScratch(ib, il, sPtr, 32 * u + 8 * p);
                  sums[p] = intrinsic(ib, il, "llvm.arm.smlad", {lo, even, sums[p]});
                  sums[p] = intrinsic(ib, il, "llvm.arm.smlad", {hi, odd, sums[p]});
                }
              }
              llvm::SmallVector<Value> next{addI(ib, il, sPtr, cIdx(ib, il, 32 * unroll)),
                                            addI(ib, il, wPtr, cIdx(ib, il, 4 * unroll))};
              next.append(sums);
              ib.create<scf::YieldOp>(il, next);
            });
        for (int64_t p = 0; p < P; ++p) {
          Value acc = loop.getResult(2 + p);
          Value result;
          if (fixedPoint) {
            result = requantizeFixed(mb, ml, acc, splitMultiplier(mb, ml, multiplier), outZero,
                                     qmin, qmax);
          } else {
            Value scaled = mb.create<arith::MulFOp>(
                ml, mb.create<arith::SIToFPOp>(ml, mb.getF32Type(), acc), multiplier);
            result = requantizeToByte(mb, ml, scaled, outZero, qmin, qmax);
          }
          mb.create<memref::StoreOp>(ml, result, y,
                                     ValueRange{addI(mb, ml, q0, cIdx(mb, ml, p)), channel});
        }
      });
    });
    rewriter.replaceOp(op, out);
  }

  /// A dense 1x1 convolution (or Gemm) without padding or stride on a DSP
  /// core: the positions are the rows of an [P, C] matrix and the weights an
  /// [M, C] one, so each output is one dot product of two contiguous rows.
  /// Blocks of 2 positions x 2 output channels run over words of four
  /// channels with addresses that are a base plus the word's offset (plus C
  /// for the second row): per word two input and two weight loads, 4 + 4
  /// SXTB16 and 8 SMLAD, 20 instructions per 16 MACs and 13 registers with
  /// the four accumulators. The input zero point folds into the bias (every
  /// tap is taken): acc = (bias - zp * sum(w)) + sum(x * w), so the input
  /// bytes widen with SXTB16 like the weights, freeing the register the
  /// zero-point pair would take. Odd position and channel counts end with
  /// blocks of one.
  LogicalResult lowerDensePointwise(QConvOp op, OpAdaptor adaptor,
                                    ConversionPatternRewriter &rewriter, Value out) const {
    llvm::ArrayRef<int64_t> wShape = op.getWeight().getType().getShape();
    if (op.getGroup() != 1 ||
        llvm::any_of(wShape.drop_front().drop_back(), [](int64_t k) { return k != 1; }) ||
        llvm::any_of(op.getStrides(), [](int64_t s) { return s != 1; }) ||
        llvm::any_of(op.getPads(), [](int64_t p) { return p != 0; }) ||
        op.getInput().getType().getElementType().isUnsignedInteger())
      return failure();
    int64_t m = wShape.front(), c = wShape.back();
    if (m == 0 || c == 0 || c % 4 != 0 || op.getType().getNumElements() == 0)
      return failure();
    FailureOr<Value> start = interiorBias(op, rewriter);
    if (failed(start))
      return failure();

    Location loc = op.getLoc();
    int64_t positions = op.getType().getNumElements() / m;
    Value x = reinterpretAs(rewriter, loc, adaptor.getInput(),
                            MemRefType::get({positions, c}, rewriter.getI8Type()));
    Value y = reinterpretAs(rewriter, loc, out, MemRefType::get({positions, m}, rewriter.getI8Type()));
    Value xBase = bytePointer(rewriter, loc, x);
    Value wBase = bytePointer(rewriter, loc, adaptor.getWeight());
    int64_t zeroPoint = static_cast<int64_t>(op.getOutputZeroPoint());
    int64_t qmin = static_cast<int64_t>(op.getQmin()), qmax = static_cast<int64_t>(op.getQmax());

    // Outputs [p0, p0 + pCount) x [m0, m0 + mCount).
    auto emitBlock = [&](OpBuilder &b, Location l, Value p0, int64_t pCount, Value m0,
                         int64_t mCount) {
      auto add = [&](Value a, int64_t k) {
        return k ? b.create<arith::AddIOp>(l, a, indexConstant(b, l, k)).getResult() : a;
      };
      auto mul = [&](Value a, int64_t k) {
        return b.create<arith::MulIOp>(l, a, indexConstant(b, l, k)).getResult();
      };
      llvm::SmallVector<Value> inits, multipliers, channels;
      for (int64_t p = 0; p < pCount; ++p)
        for (int64_t k = 0; k < mCount; ++k)
          inits.push_back(b.create<memref::LoadOp>(l, *start, add(m0, k)));
      for (int64_t k = 0; k < mCount; ++k) {
        channels.push_back(add(m0, k));
        multipliers.push_back(b.create<memref::LoadOp>(l, adaptor.getMultiplier(), channels[k]));
      }
      Value xRow = b.create<arith::AddIOp>(l, xBase, mul(p0, c));
      Value wRow = b.create<arith::AddIOp>(l, wBase, mul(m0, c));
      // The row pointers step through the loop as its carried values, so
      // that every load is the pointer plus a small immediate (the rows'
      // absolute offsets, an arena offset plus C, take a register each when
      // LLVM reassociates them into the loads).
      // Four channels' operands fill the registers: LLVM's own unrolling by
      // two is as far as it goes without spills (4 here: 479,608 on AD).
      int64_t unroll = mCount > 2 ? 1 : c % 16 == 0 ? 4 : 1;
      llvm::SmallVector<Value> carried{xRow, wRow};
      carried.append(inits);
      auto loop = b.create<scf::ForOp>(
          l, indexConstant(b, l, 0), indexConstant(b, l, c / (4 * unroll)),
          indexConstant(b, l, 1), carried,
          [&](OpBuilder &ib, Location il, Value, ValueRange state) {
            Value xPtr = state[0], wPtr = state[1];
            llvm::SmallVector<Value> next(state.drop_front(2));
            // (even, odd) int16 pairs of the word at `ptr` + `offset`.
            auto pairs = [&](Value ptr, int64_t offset) {
              Value word = loadWord(ib, il, ptr, indexConstant(ib, il, offset));
              return std::make_pair(intrinsic(ib, il, "llvm.arm.sxtb16", {word}),
                                    intrinsic(ib, il, "llvm.arm.sxtb16",
                                              {rotateByte(ib, il, word)}));
            };
            for (int64_t u = 0; u < unroll; ++u) {
              llvm::SmallVector<std::pair<Value, Value>> ws, xs;
              for (int64_t j = 0; j < mCount; ++j)
                ws.push_back(pairs(wPtr, j * c + 4 * u));
              for (int64_t p = 0; p < pCount; ++p)
                xs.push_back(pairs(xPtr, p * c + 4 * u));
              for (int64_t p = 0; p < pCount; ++p)
                for (int64_t j = 0; j < mCount; ++j) {
                  Value &sum = next[p * mCount + j];
                  sum = intrinsic(ib, il, "llvm.arm.smlad", {xs[p].first, ws[j].first, sum});
                  sum = intrinsic(ib, il, "llvm.arm.smlad", {xs[p].second, ws[j].second, sum});
                }
            }
            Value step = indexConstant(ib, il, 4 * unroll);
            next.insert(next.begin(), {ib.create<arith::AddIOp>(il, xPtr, step),
                                       ib.create<arith::AddIOp>(il, wPtr, step)});
            ib.create<scf::YieldOp>(il, next);
          });
      for (int64_t p = 0; p < pCount; ++p)
        for (int64_t j = 0; j < mCount; ++j) {
          Value acc = loop.getResult(2 + p * mCount + j);
          Value result;
          if (fixedPoint) {
            result = requantizeFixed(b, l, acc, splitMultiplier(b, l, multipliers[j]), zeroPoint,
                                     qmin, qmax);
          } else {
            Value scaled = b.create<arith::MulFOp>(
                l, b.create<arith::SIToFPOp>(l, b.getF32Type(), acc), multipliers[j]);
            result = requantizeToByte(b, l, scaled, zeroPoint, qmin, qmax);
          }
          b.create<memref::StoreOp>(l, result, y, ValueRange{add(p0, p), channels[j]});
        }
    };
    // Blocks of channels, then the last ones one at a time, for positions
    // p0.. (pCount). A single row (a fully connected layer) takes 4 channels
    // per block: its input word, loaded and widened once, then serves 4
    // weight words, 23 instructions per 16 MACs against 2 channels' 13 per 8
    // (AD on cortex-m7: 509,492 -> 472,392 instructions).
    auto emitChannelsOf = [&](OpBuilder &b, Location l, Value p0, int64_t pCount) {
      int64_t mBlock = pCount == 1 && positions == 1 ? 4 : 2;
      if (m / mBlock)
        buildLoops(b, l, {m / mBlock}, [&](OpBuilder &cb, Location cl, ValueRange ivs) {
          emitBlock(cb, cl, p0, pCount,
                    cb.create<arith::MulIOp>(cl, ivs[0], indexConstant(cb, cl, mBlock)), mBlock);
        });
      for (int64_t k = m - m % mBlock; k < m; ++k)
        emitBlock(b, l, p0, pCount, indexConstant(b, l, k), 1);
    };
    if (positions / 2)
      buildLoops(rewriter, loc, {positions / 2}, [&](OpBuilder &b, Location l, ValueRange ivs) {
        emitChannelsOf(b, l, b.create<arith::MulIOp>(l, ivs[0], indexConstant(b, l, 2)), 2);
      });
    if (positions % 2)
      emitChannelsOf(rewriter, loc, indexConstant(rewriter, loc, positions - 1), 1);
    rewriter.replaceOp(op, out);
    return success();
  }

  /// A 1x1 convolution (or Gemm) most of whose weights are zero, as
  /// straight-line code per position: each output channel sums only its
  /// nonzero weights, as immediates, and the weights take no flash of their
  /// own. Without padding every tap is taken, so the input's zero point
  /// folds into the bias: acc = (bias - zp * sum(w)) + sum(x * w). Chosen
  /// where the code is no larger than the dense weights it replaces (about
  /// 8 bytes of code per nonzero weight against 1 byte per weight: at least
  /// 7/8 of the weights zero), where it is also the faster form.
  LogicalResult lowerSparsePointwise(QConvOp op, OpAdaptor adaptor,
                                     ConversionPatternRewriter &rewriter, Value out) const {
    llvm::ArrayRef<int64_t> wShape = op.getWeight().getType().getShape();
    if (op.getGroup() != 1 || llvm::any_of(wShape.drop_front().drop_back(),
                                           [](int64_t k) { return k != 1; }) ||
        llvm::any_of(op.getStrides(), [](int64_t s) { return s != 1; }) ||
        llvm::any_of(op.getPads(), [](int64_t p) { return p != 0; }))
      return failure();
    DenseElementsAttr weightAttr, biasAttr, multiplierAttr;
    if (!matchPattern(op.getWeight(), m_Constant(&weightAttr)) ||
        !matchPattern(op.getBias(), m_Constant(&biasAttr)) ||
        !matchPattern(op.getMultiplier(), m_Constant(&multiplierAttr)))
      return failure();
    int64_t m = wShape.front(), c = wShape.back();
    if (m == 0 || c == 0 || op.getType().getNumElements() == 0)
      return failure();
    llvm::SmallVector<int64_t> weights;
    for (const llvm::APInt &w : weightAttr.getValues<llvm::APInt>())
      weights.push_back(w.getSExtValue());
    int64_t nonzero = llvm::count_if(weights, [](int64_t w) { return w != 0; });
    if (nonzero * 8 > m * c)
      return failure();
    llvm::SmallVector<int64_t> bias;
    for (const llvm::APInt &v : biasAttr.getValues<llvm::APInt>())
      bias.push_back(v.getSExtValue());
    llvm::SmallVector<float> multipliers(multiplierAttr.getValues<float>());
    int64_t inputZero = static_cast<int64_t>(op.getInputZeroPoint());
    for (int64_t o = 0; o < m; ++o)
      for (int64_t i = 0; i < c; ++i)
        bias[o] -= inputZero * weights[o * c + i];

    Location loc = op.getLoc();
    int64_t positions = op.getType().getNumElements() / m;
    Value x = reinterpretAs(rewriter, loc, adaptor.getInput(),
                            MemRefType::get({positions, c}, rewriter.getI8Type()));
    Value y = reinterpretAs(rewriter, loc, out, MemRefType::get({positions, m}, rewriter.getI8Type()));
    bool isUnsigned = op.getInput().getType().getElementType().isUnsignedInteger();
    int64_t zeroPoint = static_cast<int64_t>(op.getOutputZeroPoint());
    int64_t qmin = static_cast<int64_t>(op.getQmin()), qmax = static_cast<int64_t>(op.getQmax());
    buildLoops(rewriter, loc, {positions}, [&](OpBuilder &b, Location l, ValueRange ivs) {
      // The input channels some weight reads, each loaded once.
      llvm::SmallVector<Value> xs(c);
      for (int64_t i = 0; i < c; ++i) {
        bool used = false;
        for (int64_t o = 0; o < m && !used; ++o)
          used = weights[o * c + i] != 0;
        if (used)
          xs[i] = widen(b, l, b.create<memref::LoadOp>(l, x, ValueRange{ivs[0],
                                                                        indexConstant(b, l, i)}),
                        isUnsigned);
      }
      for (int64_t o = 0; o < m; ++o) {
        Value acc = i32Constant(b, l, bias[o]);
        for (int64_t i = 0; i < c; ++i)
          if (int64_t w = weights[o * c + i])
            acc = b.create<arith::AddIOp>(
                l, acc, b.create<arith::MulIOp>(l, xs[i], i32Constant(b, l, w)));
        Value result;
        if (fixedPoint) {
          uint32_t bits = llvm::bit_cast<uint32_t>(multipliers[o]);
          int64_t mantissa = (bits & 0x7fffff) | 0x800000;
          int64_t shift = std::clamp<int64_t>(150 - ((bits >> 23) & 0xff), 1, 62);
          auto c64 = [&](int64_t v) {
            return b.create<arith::ConstantOp>(l, b.getI64IntegerAttr(v)).getResult();
          };
          result = requantizeFixed(b, l, acc, {c64(mantissa), c64(shift)}, zeroPoint, qmin, qmax);
        } else {
          Value scaled = b.create<arith::MulFOp>(
              l, b.create<arith::SIToFPOp>(l, b.getF32Type(), acc),
              floatConstant(b, l, b.getF32Type(), multipliers[o]));
          result = requantizeToByte(b, l, scaled, zeroPoint, qmin, qmax);
        }
        b.create<memref::StoreOp>(l, result, y, ValueRange{ivs[0], indexConstant(b, l, o)});
      }
    });
    rewriter.replaceOp(op, out);
    return success();
  }

  enum class Kernel { scalar, words };

  /// Output channels [m0, m0 + mBlock) of image n over the schedule's
  /// positions. With `interiorStart` (a depthwise convolution's start value
  /// for channel m0, see interiorBias), blocks with constant taps over at
  /// least two kernel rows use reduceTapPairs.
  void emitChannels(OpBuilder &b, Location loc, QConvOp op, OpAdaptor adaptor,
                    const WindowSchedule &schedule, Value out, Value n, Value m0,
                    Value channelBase, int64_t mBlock, Kernel kernel,
                    Value interiorStart = nullptr) const {
    llvm::SmallVector<Value> channels, biases, multipliers;
    for (int64_t k = 0; k < mBlock; ++k) {
      Value m = k ? b.create<arith::AddIOp>(loc, m0, indexConstant(b, loc, k)).getResult() : m0;
      channels.push_back(m);
      biases.push_back(b.create<memref::LoadOp>(loc, adaptor.getBias(), m));
      multipliers.push_back(b.create<memref::LoadOp>(loc, adaptor.getMultiplier(), m));
    }
    Int8Accumulator accumulator(op, adaptor.getInput(), adaptor.getWeight(), n, channelBase,
                                channels, biases, kernel == Kernel::words, b, loc);
    int64_t zeroPoint = static_cast<int64_t>(op.getOutputZeroPoint());
    int64_t qmin = static_cast<int64_t>(op.getQmin()), qmax = static_cast<int64_t>(op.getQmax());
    llvm::SmallVector<FixedMultiplier> fixed;
    if (fixedPoint)
      for (Value multiplier : multipliers)
        fixed.push_back(splitMultiplier(b, loc, multiplier));
    schedule.walk(b, loc, [&](OpBuilder &rb, Location l, const WindowBlock &block) {
      // Constant taps, of which at least two rows for SMLAD to pair.
      bool constantTaps =
          interiorStart && llvm::all_of(block.region, [](const Segment *segment) {
            return segment->kind == Segment::constant;
          });
      llvm::SmallVector<Value> sums;
      if (constantTaps && block.region[0]->tapHi - block.region[0]->tapLo >= 2)
        sums = reduceTapPairs(rb, l, schedule.getGeometry(), block, adaptor.getInput(),
                              adaptor.getWeight(), n, m0,
                              op.getInput().getType().getElementType().isUnsignedInteger(),
                              interiorStart,
                              static_cast<int64_t>(op.getInputZeroPoint()),
                              {block.region[0]->tapLo, block.region[1]->tapLo},
                              {block.region[0]->tapHi, block.region[1]->tapHi});
      else
        sums = schedule.reduce(rb, l, block, accumulator);
      for (auto [p, position] : llvm::enumerate(block.positions))
        for (auto [k, m] : llvm::enumerate(channels)) {
          Value acc = sums[p * mBlock + k];
          Value result;
          if (fixedPoint) {
            result = requantizeFixed(rb, l, acc, fixed[k], zeroPoint, qmin, qmax);
          } else {
            Value scaled = rb.create<arith::MulFOp>(
                l, rb.create<arith::SIToFPOp>(l, rb.getF32Type(), acc), multipliers[k]);
            result = requantizeToByte(rb, l, scaled, zeroPoint, qmin, qmax);
          }
          llvm::SmallVector<Value> at{n};
          at.append(position.begin(), position.end());
          at.push_back(m);
          rb.create<memref::StoreOp>(l, result, out, at);
        }
    });
  }

  bool forSize, dsp, fixedPoint;
};

/// The loop over every element of an element-wise integer op's result:
/// `body` gets the flat index and the flat views of the operands.
template <typename OpTy>
LogicalResult lowerFlat(OpTy op, ValueRange operands, ConversionPatternRewriter &rewriter,
                        llvm::function_ref<Value(OpBuilder &, Location, ValueRange, Value)> body) {
  FailureOr<Value> out = allocateResult(op, rewriter);
  if (failed(out))
    return failure();
  Location loc = op.getLoc();
  llvm::SmallVector<Value> flat;
  for (Value v : operands) {
    int64_t count = cast<MemRefType>(v.getType()).getNumElements();
    flat.push_back(reinterpretAs(rewriter, loc, v, MemRefType::get({count}, rewriter.getI8Type())));
  }
  int64_t count = op.getType().getNumElements();
  Value y = reinterpretAs(rewriter, loc, *out, MemRefType::get({count}, rewriter.getI8Type()));
  buildLoops(rewriter, loc, {count}, [&](OpBuilder &lb, Location l, ValueRange ivs) {
    lb.create<memref::StoreOp>(l, body(lb, l, flat, ivs[0]), y, ivs);
  });
  rewriter.replaceOp(op, *out);
  return success();
}

bool isUnsignedTensor(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType().isUnsignedInteger();
}

/// An element of an int8 operand less its zero point, as int32.
Value centered(OpBuilder &b, Location loc, Value flat, Value i, bool isUnsigned,
               int64_t zeroPoint) {
  Value x = widen(b, loc, b.create<memref::LoadOp>(loc, flat, i), isUnsigned);
  if (zeroPoint)
    x = b.create<arith::SubIOp>(loc, x, i32Constant(b, loc, zeroPoint));
  return x;
}

struct QAddLowering : OpConversionPattern<QAddOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(QAddOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    return lowerFlat(op, {adaptor.getLhs(), adaptor.getRhs()}, rewriter,
                     [&](OpBuilder &b, Location l, ValueRange flat, Value i) {
      Type f32 = b.getF32Type();
      auto term = [&](Value buffer, bool isUns, int64_t zeroPoint, float scale) {
        Value x = centered(b, l, buffer, i, isUns, zeroPoint);
        return b.create<arith::MulFOp>(l, b.create<arith::SIToFPOp>(l, f32, x),
                                       floatConstant(b, l, f32, scale));
      };
      Value sum = b.create<arith::AddFOp>(
          l,
          term(flat[0], isUnsignedTensor(op.getLhs()), static_cast<int64_t>(op.getLhsZeroPoint()),
               op.getLhsScale().convertToFloat()),
          term(flat[1], isUnsignedTensor(op.getRhs()), static_cast<int64_t>(op.getRhsZeroPoint()),
               op.getRhsScale().convertToFloat()));
      return requantizeToByte(b, l, sum, static_cast<int64_t>(op.getOutputZeroPoint()),
                              static_cast<int64_t>(op.getQmin()),
                              static_cast<int64_t>(op.getQmax()));
    });
  }
};

struct QMulLowering : OpConversionPattern<QMulOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(QMulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    return lowerFlat(op, {adaptor.getLhs(), adaptor.getRhs()}, rewriter,
                     [&](OpBuilder &b, Location l, ValueRange flat, Value i) {
      Value a = centered(b, l, flat[0], i, isUnsignedTensor(op.getLhs()),
                         static_cast<int64_t>(op.getLhsZeroPoint()));
      Value c = centered(b, l, flat[1], i, isUnsignedTensor(op.getRhs()),
                         static_cast<int64_t>(op.getRhsZeroPoint()));
      // |product| <= 255 * 255: exact in int32 and in f32.
      Value product = b.create<arith::SIToFPOp>(l, b.getF32Type(), b.create<arith::MulIOp>(l, a, c));
      Value scaled = b.create<arith::MulFOp>(
          l, product, floatConstant(b, l, b.getF32Type(), op.getScale().convertToFloat()));
      return requantizeToByte(b, l, scaled, static_cast<int64_t>(op.getOutputZeroPoint()),
                              static_cast<int64_t>(op.getQmin()),
                              static_cast<int64_t>(op.getQmax()));
    });
  }
};

struct QTableLowering : OpConversionPattern<QTableOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult matchAndRewrite(QTableOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    bool isUns = isUnsignedTensor(op.getInput());
    Value table = adaptor.getTable();
    return lowerFlat(op, {adaptor.getInput()}, rewriter,
                     [&](OpBuilder &b, Location l, ValueRange flat, Value i) {
      Value x = b.create<memref::LoadOp>(l, flat[0], i);
      // The entry: x for uint8, x + 128 for int8 (its bits with the top one flipped).
      Value index = isUns ? x : b.create<arith::XOrIOp>(l, x, b.create<arith::ConstantOp>(
                                                                   l, b.getI8IntegerAttr(-128)));
      index = b.create<arith::IndexCastUIOp>(l, b.getIndexType(), index);
      return b.create<memref::LoadOp>(l, table, index);
    });
  }
};

/// The maximum, or the average, of channel `c` of image `n` over each
/// window less the input's zero point, in f32 (one position at a time).
class Int8PoolAccumulator : public Accumulator {
public:
  Int8PoolAccumulator(QPoolOp op, Value input, Value n, Value c, const WindowSchedule &schedule)
      : op(op), input(input), n(n), c(c), schedule(schedule),
        isMax(op.getKind() == PoolKind::max),
        isUnsigned(op.getInput().getType().getElementType().isUnsignedInteger()),
        zeroPoint(static_cast<int64_t>(op.getInputZeroPoint())) {}

  llvm::SmallVector<Value> init(OpBuilder &b, Location loc, const WindowBlock &block) override {
    return llvm::SmallVector<Value>(block.positions.size(),
                                    i32Constant(b, loc, isMax ? (isUnsigned ? 0 : -128) : 0));
  }

  llvm::SmallVector<Value> accumulate(OpBuilder &b, Location loc, const WindowBlock &,
                                      const WindowTap &tap, ValueRange acc) override {
    llvm::SmallVector<Value> next;
    for (auto [at, current] : llvm::zip(tap.inputAt, acc)) {
      llvm::SmallVector<Value> index{n};
      index.append(at);
      index.push_back(c);
      Value x = widen(b, loc, b.create<memref::LoadOp>(loc, input, index), isUnsigned);
      next.push_back(isMax ? b.create<arith::MaxSIOp>(loc, x, current).getResult()
                           : b.create<arith::AddIOp>(loc, x, current).getResult());
    }
    return next;
  }

  llvm::SmallVector<Value> complete(OpBuilder &b, Location loc, const WindowBlock &block,
                                    llvm::ArrayRef<Value> lower, llvm::ArrayRef<Value> upper,
                                    ValueRange acc) override {
    Type f32 = b.getF32Type();
    llvm::SmallVector<Value> results;
    for (Value sum : acc) {
      if (isMax) {
        if (zeroPoint)
          sum = b.create<arith::SubIOp>(loc, sum, i32Constant(b, loc, zeroPoint));
        results.push_back(b.create<arith::SIToFPOp>(loc, f32, sum));
        continue;
      }
      // The taps taken (inside the input), and the divisor: those, or with
      // count_include_pad the taps inside the padded input, as tinyc.pool.
      size_t spatial = lower.size();
      llvm::ArrayRef<int64_t> pads = op.getPads();
      llvm::ArrayRef<int64_t> inShape = op.getInput().getType().getShape();
      Value taken, count;
      for (size_t i = 0; i < spatial; ++i) {
        Value t = b.create<arith::SubIOp>(loc, upper[i], lower[i]);
        taken = taken ? b.create<arith::MulIOp>(loc, taken, t).getResult() : t;
        Value d = op.getCountIncludePad()
                      ? schedule.countTaps(b, loc, block, i, lower[i], upper[i], -pads[i],
                                           inShape[1 + i] + pads[i + spatial])
                      : t;
        count = count ? b.create<arith::MulIOp>(loc, count, d).getResult() : d;
      }
      if (zeroPoint)
        sum = b.create<arith::SubIOp>(
            loc, sum,
            b.create<arith::MulIOp>(loc, b.create<arith::IndexCastOp>(loc, b.getI32Type(), taken),
                                    i32Constant(b, loc, zeroPoint)));
      Value divisor = b.create<arith::SIToFPOp>(
          loc, f32, b.create<arith::IndexCastOp>(loc, b.getI32Type(), count));
      results.push_back(
          b.create<arith::DivFOp>(loc, b.create<arith::SIToFPOp>(loc, f32, sum), divisor));
    }
    return results;
  }

private:
  QPoolOp op;
  Value input, n, c;
  const WindowSchedule &schedule;
  bool isMax, isUnsigned;
  int64_t zeroPoint;
};

struct QPoolLowering : OpConversionPattern<QPoolOp> {
  QPoolLowering(const TypeConverter &converter, MLIRContext *context, bool forSize)
      : OpConversionPattern(converter, context), forSize(forSize) {}

  LogicalResult matchAndRewrite(QPoolOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> out = allocateResult(op, rewriter);
    if (failed(out))
      return failure();
    auto inShape = op.getInput().getType().getShape();
    auto outShape = op.getType().getShape();
    size_t spatial = inShape.size() - 2;
    WindowGeometry geometry =
        makeWindowGeometry(outShape.slice(1, spatial), inShape.slice(1, spatial), op.getKernel(),
                           op.getStrides(), op.getDilations(), op.getPads());
    WindowSchedule schedule(std::move(geometry), /*positionBlock=*/1, forSize);
    int64_t channels = inShape.back();
    int64_t outZero = static_cast<int64_t>(op.getOutputZeroPoint());
    int64_t qmin = static_cast<int64_t>(op.getQmin()), qmax = static_cast<int64_t>(op.getQmax());
    float scale = op.getScale().convertToFloat();
    buildLoops(rewriter, op.getLoc(), {outShape[0]}, [&](OpBuilder &b, Location loc,
                                                         ValueRange ivs) {
      Value n = ivs[0];
      schedule.walk(b, loc, [&](OpBuilder &wb, Location wl, const WindowBlock &block) {
        buildLoops(wb, wl, {channels}, [&](OpBuilder &rb, Location l, ValueRange cs) {
          Int8PoolAccumulator accumulator(op, adaptor.getInput(), n, cs[0], schedule);
          Value value = schedule.reduce(rb, l, block, accumulator).front();
          value = rb.create<arith::MulFOp>(l, value, floatConstant(rb, l, rb.getF32Type(), scale));
          llvm::SmallVector<Value> at{n};
          at.append(block.positions.front().begin(), block.positions.front().end());
          at.push_back(cs[0]);
          rb.create<memref::StoreOp>(l, requantizeToByte(rb, l, value, outZero, qmin, qmax), *out,
                                     at);
        });
      });
    });
    rewriter.replaceOp(op, *out);
    return success();
  }

  bool forSize;
};

} // namespace

void lowering::populateQuantizedLowering(RewritePatternSet &patterns,
                                         const TypeConverter &converter, bool forSize,
                                         bool dsp, bool fixedPoint) {
  patterns.add<QConvLowering>(converter, patterns.getContext(), forSize, dsp, fixedPoint);
  patterns.add<QPoolLowering>(converter, patterns.getContext(), forSize);
  patterns.add<QAddLowering, QMulLowering, QTableLowering>(converter, patterns.getContext());
}
