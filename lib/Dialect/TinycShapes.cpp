//===- TinycShapes.cpp - static shape rules of tinyc operators ------------===//

#include "tinyc/Dialect/TinycShapes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CheckedArithmetic.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::tinyc;

std::string tinyc::formatShape(llvm::ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(shape, os, "x");
  return s;
}

int64_t tinyc::getNumElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::optional<int64_t> tinyc::getCheckedNumElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    std::optional<int64_t> product = d < 0 ? std::nullopt : llvm::checkedMul(n, d);
    if (!product)
      return std::nullopt;
    n = *product;
  }
  return n;
}

std::optional<int64_t> tinyc::getCheckedByteSize(llvm::ArrayRef<int64_t> shape, Type elementType) {
  std::optional<int64_t> count = getCheckedNumElements(shape);
  if (!count)
    return std::nullopt;
  // Booleans are stored as bytes; sub-byte integers take a byte each.
  int64_t elementBytes =
      elementType.isIntOrFloat() ? llvm::divideCeil(elementType.getIntOrFloatBitWidth(), 8) : 1;
  return llvm::checkedMul(*count, std::max<int64_t>(1, elementBytes));
}

int64_t tinyc::countBorderPositions(int64_t output, int64_t input, int64_t kernel, int64_t stride,
                                    int64_t dilation, int64_t padBegin) {
  // The positions before the first window that starts inside the input, and
  // from the first window that ends beyond it (saturating: huge attributes
  // give huge counts, never wrapped ones).
  int64_t span = llvm::checkedMul(dilation, kernel - 1).value_or(INT64_MAX);
  int64_t first = std::min(output, padBegin / stride + (padBegin % stride != 0));
  std::optional<int64_t> room = llvm::checkedAdd(input - 1, padBegin);
  int64_t last = first;
  if (room && *room >= span)
    last = std::max(first, std::min(output, (*room - span) / stride + 1));
  return first + (output - last);
}

FailureOr<Shape> tinyc::broadcastShapes(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                                        EmitErrorFn emitError) {
  size_t rank = std::max(lhs.size(), rhs.size());
  Shape result(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t l = i < rank - lhs.size() ? 1 : lhs[i - (rank - lhs.size())];
    int64_t r = i < rank - rhs.size() ? 1 : rhs[i - (rank - rhs.size())];
    if (l != r && l != 1 && r != 1) {
      emitError() << "shapes " << formatShape(lhs) << " and " << formatShape(rhs)
                  << " do not broadcast (dimension " << l << " against " << r << ")";
      return failure();
    }
    result[i] = l == 1 ? r : l;
  }
  return result;
}

FailureOr<int64_t> tinyc::slidingWindowExtent(int64_t input, int64_t kernel, int64_t stride,
                                              int64_t dilation, int64_t padBegin, int64_t padEnd,
                                              bool ceilMode, EmitErrorFn emitError) {
  if (kernel < 1 || stride < 1 || dilation < 1) {
    emitError() << "kernel " << kernel << ", stride " << stride << " and dilation " << dilation
                << " must all be positive";
    return failure();
  }
  if (padBegin < 0 || padEnd < 0) {
    emitError() << "pads " << padBegin << ", " << padEnd << " must not be negative";
    return failure();
  }
  std::optional<int64_t> span = llvm::checkedMulAdd(dilation, kernel - 1, int64_t{1});
  std::optional<int64_t> padded = llvm::checkedAdd(input, padBegin);
  if (padded)
    padded = llvm::checkedAdd(*padded, padEnd);
  if (!span || !padded) {
    emitError() << "kernel " << kernel << ", dilation " << dilation << " and pads " << padBegin
                << ", " << padEnd << " overflow 64-bit extents";
    return failure();
  }
  if (*padded < *span) {
    emitError() << "window of " << *span << " elements (kernel " << kernel << ", dilation "
                << dilation << ") is larger than the padded input of " << *padded;
    return failure();
  }
  int64_t extent = (*padded - *span) / stride + 1;
  if (ceilMode && (*padded - *span) % stride != 0) {
    ++extent;
    // As in ONNX Runtime and PyTorch: a last window that would start in the
    // end padding is dropped.
    if ((extent - 1) * stride >= input + padBegin)
      --extent;
  }
  return extent;
}

static LogicalResult checkSpatialAttrs(size_t spatial, llvm::ArrayRef<int64_t> strides,
                                       llvm::ArrayRef<int64_t> dilations,
                                       llvm::ArrayRef<int64_t> pads, EmitErrorFn emitError) {
  if (strides.size() != spatial || dilations.size() != spatial || pads.size() != 2 * spatial) {
    emitError() << "expected " << spatial << " strides, " << spatial << " dilations and "
                << 2 * spatial << " pads for " << spatial << " spatial dimensions, got "
                << strides.size() << ", " << dilations.size() << " and " << pads.size();
    return failure();
  }
  return success();
}

FailureOr<Shape> tinyc::inferConvShape(llvm::ArrayRef<int64_t> input,
                                       llvm::ArrayRef<int64_t> weight,
                                       llvm::ArrayRef<int64_t> strides,
                                       llvm::ArrayRef<int64_t> dilations,
                                       llvm::ArrayRef<int64_t> pads, int64_t group,
                                       EmitErrorFn emitError) {
  if (input.size() < 3 || input.size() != weight.size()) {
    emitError() << "expected input and weight of equal rank >= 3, got input "
                << formatShape(input) << " and weight " << formatShape(weight);
    return failure();
  }
  size_t spatial = input.size() - 2;
  if (failed(checkSpatialAttrs(spatial, strides, dilations, pads, emitError)))
    return failure();
  if (group < 1 || input[1] % group != 0 || weight[0] % group != 0) {
    emitError() << "group " << group << " must divide the " << input[1]
                << " input channels and the " << weight[0] << " output channels";
    return failure();
  }
  if (input[1] / group != weight[1]) {
    emitError() << "input has " << input[1] << " channels in " << group
                << " group(s), but the weight expects " << weight[1] << " per group";
    return failure();
  }
  Shape result{input[0], weight[0]};
  for (size_t i = 0; i < spatial; ++i) {
    FailureOr<int64_t> extent =
        slidingWindowExtent(input[i + 2], weight[i + 2], strides[i], dilations[i], pads[i],
                            pads[i + spatial], /*ceilMode=*/false, emitError);
    if (failed(extent))
      return failure();
    // The lowering gives each position whose window reaches into the padding
    // code of its own (or a run-time test); their number grows with the
    // pads, not with the model, so it is bounded.
    int64_t border = countBorderPositions(*extent, input[i + 2], weight[i + 2], strides[i],
                                          dilations[i], pads[i]);
    if (border > kMaxBorderPositions) {
      emitError() << "pads " << pads[i] << " and " << pads[i + spatial] << " (kernel "
                  << weight[i + 2] << ", stride " << strides[i] << ", dilation " << dilations[i]
                  << ") give " << border << " output positions along spatial dimension " << i
                  << " whose window reaches into the padding; at most " << kMaxBorderPositions
                  << " are supported";
      return failure();
    }
    result.push_back(*extent);
  }
  return result;
}

FailureOr<Shape> tinyc::inferPoolShape(llvm::ArrayRef<int64_t> input,
                                       llvm::ArrayRef<int64_t> kernel,
                                       llvm::ArrayRef<int64_t> strides,
                                       llvm::ArrayRef<int64_t> dilations,
                                       llvm::ArrayRef<int64_t> pads, bool ceilMode,
                                       EmitErrorFn emitError) {
  if (input.size() < 3 || kernel.size() != input.size() - 2) {
    emitError() << "expected an input of rank >= 3 with one kernel extent per spatial "
                   "dimension, got input "
                << formatShape(input) << " and " << kernel.size() << " kernel extents";
    return failure();
  }
  size_t spatial = input.size() - 2;
  if (failed(checkSpatialAttrs(spatial, strides, dilations, pads, emitError)))
    return failure();
  Shape result{input[0], input[1]};
  for (size_t i = 0; i < spatial; ++i) {
    FailureOr<int64_t> extent =
        slidingWindowExtent(input[i + 2], kernel[i], strides[i], dilations[i], pads[i],
                            pads[i + spatial], ceilMode, emitError);
    if (failed(extent))
      return failure();
    result.push_back(*extent);
  }
  return result;
}

FailureOr<Shape> tinyc::inferGemmShape(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                                       bool transA, bool transB, EmitErrorFn emitError) {
  if (a.size() != 2 || b.size() != 2) {
    emitError() << "expected 2-d A and B, got " << formatShape(a) << " and " << formatShape(b);
    return failure();
  }
  int64_t m = transA ? a[1] : a[0], ka = transA ? a[0] : a[1];
  int64_t kb = transB ? b[1] : b[0], n = transB ? b[0] : b[1];
  if (ka != kb) {
    emitError() << "inner dimensions differ: A" << (transA ? "^T" : "") << " is " << m << "x"
                << ka << " and B" << (transB ? "^T" : "") << " is " << kb << "x" << n;
    return failure();
  }
  return Shape{m, n};
}

FailureOr<Shape> tinyc::inferMatMulShape(llvm::ArrayRef<int64_t> lhs, llvm::ArrayRef<int64_t> rhs,
                                         EmitErrorFn emitError) {
  if (lhs.empty() || rhs.empty()) {
    emitError() << "matmul operands must have rank >= 1, got " << formatShape(lhs) << " and "
                << formatShape(rhs);
    return failure();
  }
  Shape l(lhs.begin(), lhs.end()), r(rhs.begin(), rhs.end());
  bool lhsVector = l.size() == 1, rhsVector = r.size() == 1;
  if (lhsVector)
    l.insert(l.begin(), 1);
  if (rhsVector)
    r.push_back(1);
  if (l.back() != r[r.size() - 2]) {
    emitError() << "inner dimensions differ: " << formatShape(lhs) << " times "
                << formatShape(rhs);
    return failure();
  }
  FailureOr<Shape> batch =
      broadcastShapes(llvm::ArrayRef<int64_t>(l).drop_back(2),
                      llvm::ArrayRef<int64_t>(r).drop_back(2), emitError);
  if (failed(batch))
    return failure();
  Shape result = *batch;
  if (!lhsVector)
    result.push_back(l[l.size() - 2]);
  if (!rhsVector)
    result.push_back(r.back());
  return result;
}

FailureOr<Shape> tinyc::inferTransposeShape(llvm::ArrayRef<int64_t> input,
                                            llvm::ArrayRef<int64_t> perm, EmitErrorFn emitError) {
  llvm::SmallVector<bool> seen(input.size(), false);
  bool valid = perm.size() == input.size();
  for (int64_t p : perm) {
    if (!valid || p < 0 || p >= static_cast<int64_t>(input.size()) || seen[p]) {
      valid = false;
      break;
    }
    seen[p] = true;
  }
  if (!valid) {
    std::string s;
    llvm::raw_string_ostream os(s);
    llvm::interleaveComma(perm, os);
    emitError() << "perm [" << s << "] is not a permutation of the " << input.size()
                << " dimensions of " << formatShape(input);
    return failure();
  }
  Shape result;
  for (int64_t p : perm)
    result.push_back(input[p]);
  return result;
}

FailureOr<Shape> tinyc::inferConcatShape(llvm::ArrayRef<llvm::ArrayRef<int64_t>> inputs,
                                         int64_t axis, EmitErrorFn emitError) {
  if (inputs.empty()) {
    emitError() << "concat needs at least one input";
    return failure();
  }
  int64_t rank = inputs.front().size();
  if (axis < 0 || axis >= rank) {
    emitError() << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  Shape result(inputs.front().begin(), inputs.front().end());
  result[axis] = 0;
  for (llvm::ArrayRef<int64_t> in : inputs) {
    bool compatible = static_cast<int64_t>(in.size()) == rank;
    for (int64_t i = 0; compatible && i < rank; ++i)
      compatible = i == axis || in[i] == result[i];
    if (!compatible) {
      emitError() << "cannot concatenate " << formatShape(in) << " with "
                  << formatShape(inputs.front()) << " along axis " << axis;
      return failure();
    }
    std::optional<int64_t> sum = llvm::checkedAdd(result[axis], in[axis]);
    if (!sum) {
      emitError() << "the concatenated extent along axis " << axis << " overflows 64 bits";
      return failure();
    }
    result[axis] = *sum;
  }
  return result;
}

FailureOr<Shape> tinyc::inferPadShape(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> pads,
                                      EmitErrorFn emitError) {
  if (pads.size() != 2 * input.size()) {
    emitError() << "expected " << 2 * input.size() << " pads for rank " << input.size()
                << ", got " << pads.size();
    return failure();
  }
  Shape result;
  for (size_t i = 0; i < input.size(); ++i) {
    std::optional<int64_t> extent = llvm::checkedAdd(input[i], pads[i]);
    if (extent)
      extent = llvm::checkedAdd(*extent, pads[i + input.size()]);
    if (!extent) {
      emitError() << "pads " << pads[i] << " and " << pads[i + input.size()]
                  << " overflow 64-bit extents";
      return failure();
    }
    if (*extent < 0) {
      emitError() << "pads " << pads[i] << " and " << pads[i + input.size()]
                  << " remove more than the " << input[i] << " elements of dimension " << i;
      return failure();
    }
    result.push_back(*extent);
  }
  return result;
}

FailureOr<Shape> tinyc::inferGatherShape(llvm::ArrayRef<int64_t> data,
                                         llvm::ArrayRef<int64_t> indices, int64_t axis,
                                         EmitErrorFn emitError) {
  if (axis < 0 || axis >= static_cast<int64_t>(data.size())) {
    emitError() << "axis " << axis << " is out of range for data of rank " << data.size();
    return failure();
  }
  Shape result(data.begin(), data.begin() + axis);
  result.append(indices.begin(), indices.end());
  result.append(data.begin() + axis + 1, data.end());
  return result;
}

FailureOr<Shape> tinyc::inferReduceShape(llvm::ArrayRef<int64_t> input,
                                         llvm::ArrayRef<int64_t> axes, bool keepdims,
                                         EmitErrorFn emitError) {
  for (auto [i, axis] : llvm::enumerate(axes))
    if (axis < 0 || axis >= static_cast<int64_t>(input.size()) || (i > 0 && axes[i - 1] >= axis)) {
      emitError() << "axes must be sorted, distinct and within the rank " << input.size();
      return failure();
    }
  Shape result;
  for (auto [d, extent] : llvm::enumerate(input)) {
    if (!llvm::is_contained(axes, static_cast<int64_t>(d)))
      result.push_back(extent);
    else if (keepdims)
      result.push_back(1);
  }
  return result;
}

FailureOr<llvm::SmallVector<int64_t>> tinyc::computeSliceIndices(int64_t extent, int64_t start,
                                                                 int64_t end, int64_t step,
                                                                 EmitErrorFn emitError) {
  if (step == 0) {
    emitError() << "slice step is 0";
    return failure();
  }
  // Adding the extent to a negative bound cannot overflow: the bound is at
  // least INT64_MIN and the extent positive.
  if (start < 0)
    start += extent;
  if (end < 0)
    end += extent;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, extent);
    end = std::clamp<int64_t>(end, 0, extent);
  } else {
    start = std::clamp<int64_t>(start, 0, extent - 1);
    end = std::clamp<int64_t>(end, -1, extent - 1);
  }
  llvm::SmallVector<int64_t> indices;
  for (int64_t i = start; step > 0 ? i < end : i > end; i += step) {
    indices.push_back(i);
    // Steps as large as INT64_MAX would overflow i.
    if ((step > 0 && i > end - step) || (step < 0 && i < end - step))
      break;
  }
  return indices;
}

FailureOr<llvm::SmallVector<int64_t>>
tinyc::inferSplitSizes(int64_t extent, std::optional<llvm::ArrayRef<int64_t>> sizes, int64_t count,
                       bool unevenLast, EmitErrorFn emitError) {
  llvm::SmallVector<int64_t> result;
  if (sizes) {
    int64_t sum = 0;
    for (int64_t s : *sizes) {
      if (s < 0) {
        emitError() << "split size " << s << " is negative";
        return failure();
      }
      sum += s;
      result.push_back(s);
    }
    if (sum != extent) {
      emitError() << "split sizes " << formatShape(*sizes) << " add up to " << sum
                  << ", not the extent " << extent << " of the axis";
      return failure();
    }
    return result;
  }
  if (count <= 0) {
    emitError() << "cannot split into " << count << " outputs";
    return failure();
  }
  if (unevenLast) {
    int64_t part = (extent + count - 1) / count;
    for (int64_t i = 0, left = extent; i < count; ++i, left -= part)
      result.push_back(std::clamp<int64_t>(left, 0, part));
    if (part * (count - 1) >= extent && count > 1) {
      emitError() << "cannot split an axis of extent " << extent << " into " << count
                  << " nonempty parts";
      return failure();
    }
    return result;
  }
  if (extent % count != 0) {
    emitError() << "cannot split an axis of extent " << extent << " into " << count
                << " equal parts";
    return failure();
  }
  result.assign(count, extent / count);
  return result;
}

FailureOr<Shape> tinyc::inferTileShape(llvm::ArrayRef<int64_t> input,
                                       llvm::ArrayRef<int64_t> repeats, EmitErrorFn emitError) {
  if (repeats.size() != input.size()) {
    emitError() << repeats.size() << " repeats for an input of rank " << input.size();
    return failure();
  }
  Shape result;
  for (auto [d, r] : llvm::zip(input, repeats)) {
    if (r < 0) {
      emitError() << "repeat count " << r << " is negative";
      return failure();
    }
    result.push_back(d * r);
  }
  if (!getCheckedNumElements(result)) {
    emitError() << "tiled shape " << formatShape(result) << " is too large";
    return failure();
  }
  return result;
}

static LogicalResult checkBlockInput(llvm::ArrayRef<int64_t> input, int64_t blocksize,
                                     EmitErrorFn emitError) {
  if (input.size() != 4) {
    emitError() << "input of shape " << formatShape(input) << " is not 4-d (NCHW)";
    return failure();
  }
  if (blocksize <= 0) {
    emitError() << "blocksize " << blocksize << " is not positive";
    return failure();
  }
  return success();
}

FailureOr<Shape> tinyc::inferDepthToSpaceShape(llvm::ArrayRef<int64_t> input, int64_t blocksize,
                                               EmitErrorFn emitError) {
  if (failed(checkBlockInput(input, blocksize, emitError)))
    return failure();
  if (input[1] % (blocksize * blocksize) != 0) {
    emitError() << input[1] << " channels are not a multiple of blocksize^2 = "
                << blocksize * blocksize;
    return failure();
  }
  return Shape{input[0], input[1] / (blocksize * blocksize), input[2] * blocksize,
               input[3] * blocksize};
}

FailureOr<Shape> tinyc::inferSpaceToDepthShape(llvm::ArrayRef<int64_t> input, int64_t blocksize,
                                               EmitErrorFn emitError) {
  if (failed(checkBlockInput(input, blocksize, emitError)))
    return failure();
  if (input[2] % blocksize != 0 || input[3] % blocksize != 0) {
    emitError() << "height " << input[2] << " and width " << input[3]
                << " are not multiples of blocksize " << blocksize;
    return failure();
  }
  return Shape{input[0], input[1] * blocksize * blocksize, input[2] / blocksize,
               input[3] / blocksize};
}

FailureOr<int64_t> tinyc::inferRangeCount(double start, double limit, double delta,
                                          EmitErrorFn emitError) {
  if (delta == 0 || std::isnan(start) || std::isnan(limit) || std::isnan(delta)) {
    emitError() << "range delta is 0 or a bound is NaN";
    return failure();
  }
  double count = std::ceil((limit - start) / delta);
  if (!(count < double(int64_t{1} << 40))) {
    emitError() << "range of " << count << " elements is too large";
    return failure();
  }
  return std::max<int64_t>(static_cast<int64_t>(count), 0);
}

LogicalResult tinyc::verifyQuantParam(llvm::ArrayRef<int64_t> input, llvm::ArrayRef<int64_t> param,
                                      int64_t axis, llvm::StringRef what, EmitErrorFn emitError) {
  if (param.empty() || (param.size() == 1 && param[0] == 1))
    return success();
  if (param.size() == 1 && axis >= 0 && axis < static_cast<int64_t>(input.size()) &&
      param[0] == input[axis])
    return success();
  emitError() << what << " of shape " << formatShape(param)
              << " is neither per-tensor nor per-axis for axis " << axis << " of input "
              << formatShape(input);
  return failure();
}

FailureOr<Shape> mlir::tinyc::inferGatherElementsShape(llvm::ArrayRef<int64_t> data,
                                                       llvm::ArrayRef<int64_t> indices,
                                                       int64_t axis, EmitErrorFn emitError) {
  int64_t rank = data.size();
  if (static_cast<int64_t>(indices.size()) != rank)
    return emitError() << "indices of shape " << formatShape(indices)
                       << " differ in rank from data of shape " << formatShape(data);
  if (axis < 0 || axis >= rank)
    return emitError() << "axis " << axis << " is out of range for rank " << rank;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis && indices[d] > data[d])
      return emitError() << "indices of shape " << formatShape(indices)
                         << " exceed data of shape " << formatShape(data) << " in dimension " << d;
  return Shape(indices);
}
