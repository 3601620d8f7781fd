//===- OnnxSignal.cpp - audio front-end operators --------------------------===//
//
// The signal operators of opset 17: the windows and MelWeightMatrix, whose
// inputs are sizes and rates known at compile time, become constants; DFT
// and STFT become matrix products with the transform's cosine and sine
// tables (the signal lengths are static), computed in double precision (the
// tables exact to a double rounding, the sums in double, the result rounded
// to the input's type once), which is what keeps a 128-point transform of
// large values within float32 tolerance of an FFT.
//
//===----------------------------------------------------------------------===//

#include "Compose.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::onnx_import;

namespace {

/// A scalar input known at compile time, as an integer.
FailureOr<int64_t> constantScalar(NodeImporter &n, unsigned i, llvm::StringRef what) {
  if (!n.constantInput(i)) {
    (void)n.requireConstant(i, what);
    return failure();
  }
  FailureOr<llvm::SmallVector<int64_t>> values = n.constantInts(i, what);
  if (failed(values))
    return failure();
  if (values->size() != 1)
    return n.error() << what << " has " << values->size() << " values, not 1", failure();
  return (*values)[0];
}

/// A float scalar input known at compile time.
FailureOr<double> constantFloatScalar(NodeImporter &n, unsigned i, llvm::StringRef what) {
  DenseElementsAttr value = n.constantInput(i);
  if (!value) {
    (void)n.requireConstant(i, what);
    return failure();
  }
  if (value.getNumElements() != 1)
    return n.error() << what << " has " << value.getNumElements() << " values, not 1", failure();
  Type elem = value.getElementType();
  if (isa<FloatType>(elem))
    return (*value.getValues<llvm::APFloat>().begin()).convertToDouble();
  return static_cast<double>((*value.getValues<llvm::APInt>().begin()).getSExtValue());
}

/// The output element type of output_datatype (float or double).
FailureOr<Type> outputType(NodeImporter &n) {
  int64_t code = n.getInt("output_datatype", onnx::TensorProto::FLOAT);
  if (code == onnx::TensorProto::FLOAT)
    return Type(n.builder.getF32Type());
  if (code == onnx::TensorProto::DOUBLE)
    return Type(n.builder.getF64Type());
  return n.error() << "output_datatype " << onnxTypeName(code)
                   << " is not supported (FLOAT or DOUBLE)",
         failure();
}

Value constantOf(NodeImporter &n, Type elem, llvm::ArrayRef<int64_t> shape,
                 llvm::ArrayRef<double> values) {
  auto type = n.tensorType(shape, elem);
  if (elem.isF64())
    return n.constant(DenseElementsAttr::get(type, values));
  llvm::SmallVector<float> narrow(values.begin(), values.end());
  return n.constant(DenseElementsAttr::get(type, llvm::ArrayRef<float>(narrow)));
}

/// The generalized cosine window a0 - a1 cos(2 pi n / D) + a2 cos(4 pi n / D),
/// D = size (periodic) or size - 1 (symmetric).
LogicalResult convertWindow(NodeImporter &n, double a0, double a1, double a2) {
  if (failed(n.rejectUnknownAttributes({"output_datatype", "periodic"})))
    return failure();
  FailureOr<int64_t> size = constantScalar(n, 0, "the window size");
  FailureOr<Type> elem = outputType(n);
  if (failed(size) || failed(elem))
    return failure();
  if (*size < 1 || *size > (int64_t(1) << 24))
    return n.error() << "window size " << *size << " is not in [1, 2^24]";
  double d = n.getInt("periodic", 1) != 0 ? *size : *size - 1;
  std::vector<double> values(*size);
  for (int64_t i = 0; i < *size; ++i) {
    double phase = d == 0 ? 0 : 2 * M_PI * static_cast<double>(i) / d;
    values[i] = a0 - a1 * std::cos(phase) + a2 * std::cos(2 * phase);
  }
  n.setOutput(0, constantOf(n, *elem, {*size}, values));
  return success();
}

/// The real and imaginary parts of the DFT of `re` (and `im`, null for a
/// real signal) along their last axis of length `length`, bins [0, bins):
/// sum_t x[t] e^(-+2 pi i k t / length), divided by `length` when inverse.
/// In double precision; the results are double tensors.
FailureOr<std::pair<Value, Value>> transformLast(NodeImporter &n, Steps &s, Value re, Value im,
                                                 int64_t length, int64_t bins, bool inverse) {
  std::vector<double> cosTable(length * bins), sinTable(length * bins);
  for (int64_t t = 0; t < length; ++t)
    for (int64_t k = 0; k < bins; ++k) {
      // k * t reduced modulo the length first: the angle is then exact.
      double angle = 2 * M_PI * static_cast<double>((k * t) % length) / length;
      double scale = inverse ? 1.0 / length : 1.0;
      cosTable[t * bins + k] = std::cos(angle) * scale;
      sinTable[t * bins + k] = (inverse ? 1.0 : -1.0) * std::sin(angle) * scale;
    }
  Type f64 = n.builder.getF64Type();
  Value cosine = constantOf(n, f64, {length, bins}, cosTable);
  Value sine = constantOf(n, f64, {length, bins}, sinTable);
  auto matmul = [&](Value a, Value b) { return s.op(convertMatMul, "MatMul", {a, b}); };
  // (re + i im)(cos + i sin) = (re cos - im sin) + i (re sin + im cos)
  FailureOr<Value> rc = matmul(re, cosine), rs = matmul(re, sine);
  if (failed(rc) || failed(rs))
    return failure();
  if (!im)
    return std::make_pair(*rc, *rs);
  FailureOr<Value> is = matmul(im, sine), ic = matmul(im, cosine);
  if (failed(is) || failed(ic))
    return failure();
  FailureOr<Value> real = s.op(convertSub, "Sub", {*rc, *is});
  FailureOr<Value> imag = s.op(convertAdd, "Add", {*rs, *ic});
  if (failed(real) || failed(imag))
    return failure();
  return std::make_pair(*real, *imag);
}

FailureOr<Value> castTo(Steps &s, Value v, int code) {
  onnx::AttributeProto to = intAttribute("to", code);
  return s.op(convertCast, "Cast", {v}, {&to});
}

/// Splits [..., 1 | 2] into its real part and (for 2) imaginary part, as
/// double tensors without the last dimension.
FailureOr<std::pair<Value, Value>> complexParts(NodeImporter &n, Steps &s, Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  Shape shape(type.getShape().drop_back());
  FailureOr<Value> wide = castTo(s, x, onnx::TensorProto::DOUBLE);
  if (failed(wide))
    return failure();
  int64_t rank = type.getRank();
  FailureOr<Value> re = s.slice(*wide, rank - 1, 0, 1);
  if (failed(re))
    return failure();
  Value im;
  if (type.getShape().back() == 2) {
    FailureOr<Value> part = s.slice(*wide, rank - 1, 1, 2);
    if (failed(part))
      return failure();
    im = n.reshape(*part, shape);
  }
  return std::make_pair(n.reshape(*re, shape), im);
}

/// [..., 2] from real and imaginary parts, in the element type `code`.
FailureOr<Value> stack(NodeImporter &n, Steps &s, Value re, Value im, int code) {
  Shape shape(cast<RankedTensorType>(re.getType()).getShape());
  shape.push_back(1);
  onnx::AttributeProto axis = intAttribute("axis", shape.size() - 1);
  FailureOr<Value> joined =
      s.op(convertConcat, "Concat", {n.reshape(re, shape), n.reshape(im, shape)}, {&axis});
  if (failed(joined))
    return failure();
  return castTo(s, *joined, code);
}

int elementCode(Type elem) {
  return elem.isF64() ? onnx::TensorProto::DOUBLE : onnx::TensorProto::FLOAT;
}

} // namespace

LogicalResult onnx_import::convertHannWindow(NodeImporter &n) {
  return convertWindow(n, 0.5, 0.5, 0.0);
}
LogicalResult onnx_import::convertHammingWindow(NodeImporter &n) {
  return convertWindow(n, 25.0 / 46.0, 21.0 / 46.0, 0.0);
}
LogicalResult onnx_import::convertBlackmanWindow(NodeImporter &n) {
  return convertWindow(n, 0.42, 0.5, 0.08);
}

/// The triangular mel filters of ONNX's reference, as a constant
/// [dft_length / 2 + 1, num_mel_bins].
LogicalResult onnx_import::convertMelWeightMatrix(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"output_datatype"})))
    return failure();
  FailureOr<int64_t> bins = constantScalar(n, 0, "num_mel_bins"),
                     dftLength = constantScalar(n, 1, "dft_length"),
                     sampleRate = constantScalar(n, 2, "sample_rate");
  FailureOr<double> lower = constantFloatScalar(n, 3, "lower_edge_hertz"),
                    upper = constantFloatScalar(n, 4, "upper_edge_hertz");
  FailureOr<Type> elem = outputType(n);
  if (failed(bins) || failed(dftLength) || failed(sampleRate) || failed(lower) || failed(upper) ||
      failed(elem))
    return failure();
  if (*bins < 1 || *dftLength < 1 || *sampleRate < 1 || *bins > 65536 || *dftLength > (1 << 24))
    return n.error() << "num_mel_bins " << *bins << ", dft_length " << *dftLength
                     << " and sample_rate " << *sampleRate << " must be positive (and not huge)";
  int64_t spectrum = *dftLength / 2 + 1;
  // The edges in mel, spaced over num_mel_bins + 2 points, back to hertz and
  // to spectrum bins (ONNX's reference, in float32 where it computes so).
  float lowMel = 2595.0f * std::log10(1.0f + static_cast<float>(*lower) / 700.0f);
  float highMel = 2595.0f * std::log10(1.0f + static_cast<float>(*upper) / 700.0f);
  float step = (highMel - lowMel) / static_cast<float>(*bins + 2);
  std::vector<int64_t> edges(*bins + 2);
  for (int64_t i = 0; i < *bins + 2; ++i) {
    double mel = static_cast<double>(i) * step + lowMel;
    double hertz = 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
    edges[i] = static_cast<int64_t>(std::floor((*dftLength + 1) * hertz / *sampleRate));
  }
  std::vector<double> weights(spectrum * *bins, 0.0);
  auto set = [&](int64_t j, int64_t i, double v) -> LogicalResult {
    if (j < 0 || j >= spectrum)
      return n.error() << "mel bin " << i << " reaches spectrum bin " << j << " of " << spectrum
                       << " (upper_edge_hertz above the Nyquist rate?)";
    weights[j * *bins + i] = v;
    return success();
  };
  for (int64_t i = 0; i < *bins; ++i) {
    int64_t left = edges[i], center = edges[i + 1], right = edges[i + 2];
    if (center == left) {
      if (failed(set(center, i, 1.0)))
        return failure();
    } else {
      for (int64_t j = left; j <= center; ++j)
        if (failed(set(j, i, static_cast<double>(j - left) / (center - left))))
          return failure();
    }
    for (int64_t j = center; j < right; ++j)
      if (failed(set(j, i, static_cast<double>(right - j) / (right - center))))
        return failure();
  }
  n.setOutput(0, constantOf(n, *elem, {spectrum, *bins}, weights));
  return success();
}

/// DFT (opset 17: axis an attribute; opset 20: an input) of a real ([..., 1])
/// or complex ([..., 2]) signal along one axis, optionally padded or cut to
/// dft_length, inverse, or onesided (the first length / 2 + 1 bins).
LogicalResult onnx_import::convertDFT(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"axis", "inverse", "onesided"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  Type elem = type.getElementType();
  if (!elem.isF32() && !elem.isF64())
    return n.error() << "input of element type " << elem << " is not supported";
  int64_t rank = type.getRank();
  if (rank < 3 || (type.getShape().back() != 1 && type.getShape().back() != 2))
    return n.error() << "input of shape " << formatShape(type.getShape())
                     << " is not [batch, signal..., 1 or 2]";
  int64_t axis;
  if (n.opset >= 20) {
    axis = -2;
    if (n.input(2)) {
      FailureOr<int64_t> given = constantScalar(n, 2, "axis");
      if (failed(given))
        return failure();
      axis = *given;
    }
  } else {
    axis = n.getInt("axis", 1);
  }
  // The axis counts the trailing [1 | 2] dimension; it cannot be it or the batch.
  if (axis < 0)
    axis += rank;
  if (axis < 1 || axis >= rank - 1)
    return n.error() << "axis " << axis << " is not a signal dimension of "
                     << formatShape(type.getShape());
  bool inverse = n.getInt("inverse", 0) != 0, onesided = n.getInt("onesided", 0) != 0;
  if (onesided && type.getShape().back() == 2)
    return n.error() << "onesided needs a real signal ([..., 1])";
  if (onesided && inverse)
    return n.error() << "onesided inverse transforms are not supported";
  int64_t signal = type.getDimSize(axis);
  int64_t length = signal;
  if (n.input(1)) {
    FailureOr<int64_t> given = constantScalar(n, 1, "dft_length");
    if (failed(given))
      return failure();
    length = *given;
    if (length < 1)
      return n.error() << "dft_length " << length << " is not positive";
  }
  Steps s{n};
  FailureOr<std::pair<Value, Value>> parts = complexParts(n, s, *x);
  if (failed(parts))
    return failure();
  // The transform axis last (in the parts, which dropped the [1 | 2] axis).
  int64_t partRank = rank - 1;
  llvm::SmallVector<int64_t> perm;
  for (int64_t d = 0; d < partRank; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  llvm::SmallVector<int64_t> back(partRank);
  for (int64_t d = 0; d < partRank; ++d)
    back[perm[d]] = d;
  auto permute = [&](Value v, llvm::ArrayRef<int64_t> order) -> FailureOr<Value> {
    if (!v || axis == partRank - 1)
      return v;
    onnx::AttributeProto p = intsAttribute("perm", order);
    return s.op(convertTranspose, "Transpose", {v}, {&p});
  };
  FailureOr<Value> re = permute(parts->first, perm), im = permute(parts->second, perm);
  if (failed(re) || failed(im))
    return failure();
  // Cut or zero-pad the signal to the transform's length.
  auto fit = [&](Value v) -> FailureOr<Value> {
    if (!v || length == signal)
      return v;
    if (length < signal)
      return s.slice(v, partRank - 1, 0, length);
    Shape padShape(cast<RankedTensorType>(v.getType()).getShape());
    padShape.back() = length - signal;
    std::vector<double> zeros(ShapedType::getNumElements(padShape), 0.0);
    onnx::AttributeProto last = intAttribute("axis", partRank - 1);
    return s.op(convertConcat, "Concat", {v, constantOf(n, n.builder.getF64Type(), padShape, zeros)},
                {&last});
  };
  re = fit(*re);
  im = fit(*im);
  if (failed(re) || failed(im))
    return failure();
  int64_t bins = onesided ? length / 2 + 1 : length;
  FailureOr<std::pair<Value, Value>> out = transformLast(n, s, *re, *im, length, bins, inverse);
  if (failed(out))
    return failure();
  FailureOr<Value> outRe = permute(out->first, back), outIm = permute(out->second, back);
  if (failed(outRe) || failed(outIm))
    return failure();
  FailureOr<Value> y = stack(n, s, *outRe, *outIm, elementCode(elem));
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}

/// STFT: frames of frame_length (or the window's length) every frame_step
/// samples, each multiplied by the window and transformed; onesided (the
/// default) keeps frame_length / 2 + 1 bins. Output [batch, frames, bins, 2].
LogicalResult onnx_import::convertSTFT(NodeImporter &n) {
  if (failed(n.rejectUnknownAttributes({"onesided"})))
    return failure();
  FailureOr<Value> x = n.requiredInput(0);
  if (failed(x))
    return failure();
  RankedTensorType type = n.inputType(0);
  Type elem = type.getElementType();
  if (!elem.isF32() && !elem.isF64())
    return n.error() << "signal of element type " << elem << " is not supported";
  if (type.getRank() != 3 || (type.getShape().back() != 1 && type.getShape().back() != 2))
    return n.error() << "signal of shape " << formatShape(type.getShape())
                     << " is not [batch, length, 1 or 2]";
  FailureOr<int64_t> step = constantScalar(n, 1, "frame_step");
  if (failed(step))
    return failure();
  Value window = n.input(2);
  int64_t frameLength = window ? n.inputType(2).getNumElements() : 0;
  if (n.input(3)) {
    FailureOr<int64_t> given = constantScalar(n, 3, "frame_length");
    if (failed(given))
      return failure();
    if (window && *given != frameLength)
      return n.error() << "frame_length " << *given << " differs from the window's length "
                       << frameLength;
    frameLength = *given;
  }
  if (!window && !n.input(3))
    return n.error() << "neither a window nor frame_length gives the frame length";
  int64_t samples = type.getDimSize(1);
  if (*step < 1 || frameLength < 1 || frameLength > samples)
    return n.error() << "frame_step " << *step << " and frame_length " << frameLength
                     << " do not fit a signal of " << samples << " samples";
  bool onesided = n.getInt("onesided", 1) != 0;
  if (onesided && type.getShape().back() == 2)
    return n.error() << "onesided needs a real signal ([..., 1])";
  int64_t frames = (samples - frameLength) / *step + 1;
  Steps s{n};
  FailureOr<std::pair<Value, Value>> parts = complexParts(n, s, *x);
  if (failed(parts))
    return failure();
  // [batch, samples] gathered into [batch, frames, frameLength].
  std::vector<int64_t> index(frames * frameLength);
  for (int64_t f = 0; f < frames; ++f)
    for (int64_t t = 0; t < frameLength; ++t)
      index[f * frameLength + t] = f * *step + t;
  Value indices = n.constant(DenseElementsAttr::get(
      n.tensorType({frames, frameLength}, n.builder.getI64Type()), llvm::ArrayRef<int64_t>(index)));
  onnx::AttributeProto axis1 = intAttribute("axis", 1);
  FailureOr<Value> wideWindow =
      window ? castTo(s, window, onnx::TensorProto::DOUBLE) : FailureOr<Value>(Value());
  if (failed(wideWindow))
    return failure();
  auto framed = [&](Value v) -> FailureOr<Value> {
    if (!v)
      return v;
    FailureOr<Value> g = s.op(convertGather, "Gather", {v, indices}, {&axis1});
    if (failed(g) || !*wideWindow)
      return g;
    return s.op(convertMul, "Mul", {*g, *wideWindow});
  };
  FailureOr<Value> re = framed(parts->first), im = framed(parts->second);
  if (failed(re) || failed(im))
    return failure();
  int64_t bins = onesided ? frameLength / 2 + 1 : frameLength;
  FailureOr<std::pair<Value, Value>> out =
      transformLast(n, s, *re, *im, frameLength, bins, /*inverse=*/false);
  if (failed(out))
    return failure();
  FailureOr<Value> y = stack(n, s, out->first, out->second, elementCode(elem));
  if (failed(y))
    return failure();
  n.setOutput(0, *y);
  return success();
}
