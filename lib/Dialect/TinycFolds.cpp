//===- TinycFolds.cpp - constant folding of tinyc operators ---------------===//
//
// Folding runs at import time (shape subgraphs such as Shape -> Gather -> Concat
// -> Reshape must become constants before Reshape can know its result shape)
// and in the canonicalizer (e.g. DequantizeLinear of int8 weights becomes a
// float constant). Values are computed on the host in the element type's own
// precision so that the results equal what the generated code would compute.
//
//===----------------------------------------------------------------------===//

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Dialect/ScalarSemantics.h"
#include "tinyc/Dialect/TinycShapes.h"
#include "tinyc_runtime.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::tinyc;

namespace {

/// A constant tensor's elements as host numbers: doubles for float element
/// types, int64 for integers (sign- or zero-extended following ONNX
/// signedness; `i1` is unsigned).
/// Folding computes a constant in the compiler's memory: beyond this many
/// elements the operator is left to run instead, so that the compiler's
/// memory stays bounded by the model's (a broadcast or a Gather can make a
/// result far larger than its operands, and a splat holds any size in a few
/// bytes).
constexpr int64_t kMaxFoldElements = int64_t{1} << 24;

bool tooLargeToFold(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  std::optional<int64_t> count =
      tensor ? getCheckedNumElements(tensor.getShape()) : std::nullopt;
  return !count || *count > kMaxFoldElements;
}

struct HostTensor {
  RankedTensorType type;
  bool isFloat = false;
  llvm::SmallVector<double> f;
  llvm::SmallVector<int64_t> i;

  static std::optional<HostTensor> read(Attribute attr) {
    auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
    if (!dense || tooLargeToFold(dense.getType()))
      return std::nullopt;
    HostTensor t;
    t.type = cast<RankedTensorType>(dense.getType());
    Type elem = t.type.getElementType();
    if (isa<FloatType>(elem)) {
      t.isFloat = true;
      for (llvm::APFloat v : dense.getValues<llvm::APFloat>()) {
        bool lost;
        v.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &lost);
        t.f.push_back(v.convertToDouble());
      }
      return t;
    }
    auto intType = dyn_cast<IntegerType>(elem);
    if (!intType || intType.getWidth() > 64)
      return std::nullopt;
    bool isUnsigned = intType.isUnsigned() || intType.getWidth() == 1;
    for (const llvm::APInt &v : dense.getValues<llvm::APInt>())
      t.i.push_back(isUnsigned ? static_cast<int64_t>(v.getZExtValue()) : v.getSExtValue());
    return t;
  }

  int64_t size() const { return isFloat ? f.size() : i.size(); }
  double asDouble(int64_t k) const { return isFloat ? f[k] : static_cast<double>(i[k]); }
};

/// Builds a dense attribute of `type` from doubles (rounded to the element
/// type) or from integers (wrapped to the element width).
DenseElementsAttr writeFloats(RankedTensorType type, llvm::ArrayRef<double> values) {
  auto elem = cast<FloatType>(type.getElementType());
  llvm::SmallVector<llvm::APFloat> out;
  out.reserve(values.size());
  for (double v : values) {
    llvm::APFloat value(v);
    bool lost;
    value.convert(elem.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven, &lost);
    out.push_back(value);
  }
  return DenseElementsAttr::get(type, out);
}

DenseElementsAttr writeInts(RankedTensorType type, llvm::ArrayRef<int64_t> values) {
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  llvm::SmallVector<llvm::APInt> out;
  out.reserve(values.size());
  for (int64_t v : values)
    out.push_back(llvm::APInt(64, static_cast<uint64_t>(v)).trunc(width));
  return DenseElementsAttr::get(type, out);
}

/// Row-major strides of `shape`.
llvm::SmallVector<int64_t> stridesOf(llvm::ArrayRef<int64_t> shape) {
  llvm::SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// For each element of `outShape` in row-major order, the linear index of the
/// element of `inShape` that broadcasts to it.
llvm::SmallVector<int64_t> broadcastIndices(llvm::ArrayRef<int64_t> inShape,
                                            llvm::ArrayRef<int64_t> outShape) {
  size_t offset = outShape.size() - inShape.size();
  llvm::SmallVector<int64_t> inStrides = stridesOf(inShape);
  llvm::SmallVector<int64_t> result;
  int64_t total = getNumElements(outShape);
  result.reserve(total);
  llvm::SmallVector<int64_t> index(outShape.size(), 0);
  for (int64_t n = 0; n < total; ++n) {
    int64_t linear = 0;
    for (size_t d = 0; d < inShape.size(); ++d)
      if (inShape[d] != 1)
        linear += index[d + offset] * inStrides[d];
    result.push_back(linear);
    for (int64_t d = static_cast<int64_t>(outShape.size()) - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return result;
}

/// Wraps an integer result to the element type, as the generated code does.
int64_t wrapToType(int64_t v, Type elem) {
  unsigned width = elem.getIntOrFloatBitWidth();
  if (width >= 64)
    return v;
  uint64_t mask = (uint64_t{1} << width) - 1;
  uint64_t bits = static_cast<uint64_t>(v) & mask;
  if (elem.isUnsignedInteger() || width == 1)
    return static_cast<int64_t>(bits);
  uint64_t sign = uint64_t{1} << (width - 1);
  return static_cast<int64_t>((bits ^ sign) - sign);
}

/// Rounds a double to the element type's precision (f32 arithmetic is done in
/// double and rounded once, which is exact for + - * /).
double roundToType(double v, Type elem) {
  if (elem.isF32())
    return static_cast<float>(v);
  return v;
}

/// The range of an integer element type.
std::pair<int64_t, int64_t> intRange(Type elem) {
  unsigned width = elem.getIntOrFloatBitWidth();
  if (width == 1)
    return {0, 1};
  if (elem.isUnsignedInteger())
    return {0, width >= 63 ? std::numeric_limits<int64_t>::max()
                           : static_cast<int64_t>((uint64_t{1} << width) - 1)};
  if (width == 64)
    return {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  return {-(int64_t{1} << (width - 1)), (int64_t{1} << (width - 1)) - 1};
}

enum class BinaryKind { add, sub, mul, div, max, min, mod, fmod, pow, shl, shr };

OpFoldResult foldBinary(Operation *op, BinaryKind kind, Attribute lhsAttr, Attribute rhsAttr,
                        std::optional<ActivationAttr> act, std::optional<FakeQuantAttr> quant) {
  if (tooLargeToFold(op->getResult(0).getType()))
    return {};
  std::optional<HostTensor> lhs = HostTensor::read(lhsAttr), rhs = HostTensor::read(rhsAttr);
  if (!lhs || !rhs)
    return {};
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  Type elem = type.getElementType();
  llvm::SmallVector<int64_t> li = broadcastIndices(lhs->type.getShape(), type.getShape());
  llvm::SmallVector<int64_t> ri = broadcastIndices(rhs->type.getShape(), type.getShape());
  if (lhs->isFloat) {
    llvm::SmallVector<double> out;
    for (size_t n = 0; n < li.size(); ++n) {
      double a = lhs->f[li[n]], b = rhs->f[ri[n]], r = 0;
      switch (kind) {
      case BinaryKind::add: r = a + b; break;
      case BinaryKind::sub: r = a - b; break;
      case BinaryKind::mul: r = a * b; break;
      case BinaryKind::div: r = a / b; break;
      // NaN if either is (std::isnan: a comparison would drop it).
      case BinaryKind::max: r = std::isnan(a) || std::isnan(b) ? a + b : (a < b ? b : a); break;
      case BinaryKind::min: r = std::isnan(a) || std::isnan(b) ? a + b : (b < a ? b : a); break;
      // Exact, so the double remainder of two floats is the float one; the
      // NaNs are those of the runtime's tinyc_fmodf (a + b, else the default).
      case BinaryKind::fmod:
        r = std::isnan(a) || std::isnan(b)  ? a + b
            : std::isinf(a) || b == 0.0     ? std::numeric_limits<double>::quiet_NaN()
                                            : std::fmod(a, b);
        break;
      // float32 only (verifier): the runtime's own routine, as the lowering calls it.
      case BinaryKind::pow:
        r = TINYC_ABI_POWF(static_cast<float>(a), static_cast<float>(b));
        break;
      case BinaryKind::mod:
      case BinaryKind::shl:
      case BinaryKind::shr:
        return {}; // integers only (verifier)
      }
      r = roundToType(r, elem);
      if (act)
        r = act->apply(static_cast<float>(r));
      if (quant)
        r = quant->apply(static_cast<float>(r));
      out.push_back(r);
    }
    return writeFloats(type, out);
  }
  if (act || quant)
    return {};
  bool isUnsigned = elem.isUnsignedInteger();
  llvm::SmallVector<int64_t> out;
  for (size_t n = 0; n < li.size(); ++n) {
    int64_t a = lhs->i[li[n]], b = rhs->i[ri[n]];
    uint64_t ua = static_cast<uint64_t>(a), ub = static_cast<uint64_t>(b);
    int64_t r = 0;
    switch (kind) {
    case BinaryKind::add: r = static_cast<int64_t>(ua + ub); break;
    case BinaryKind::sub: r = static_cast<int64_t>(ua - ub); break;
    case BinaryKind::mul: r = static_cast<int64_t>(ua * ub); break;
    case BinaryKind::max:
      r = (isUnsigned ? ua < ub : a < b) ? b : a;
      break;
    case BinaryKind::min:
      r = (isUnsigned ? ub < ua : b < a) ? b : a;
      break;
    case BinaryKind::div:
      if (b == 0)
        r = 0;
      else if (isUnsigned)
        r = static_cast<int64_t>(ua / ub);
      else if (a == std::numeric_limits<int64_t>::min() && b == -1)
        r = a;
      else
        r = a / b;
      break;
    case BinaryKind::mod:
    case BinaryKind::fmod:
      // A zero divisor gives 0; MIN % -1 is 0 (C's % would overflow).
      if (b == 0 || (!isUnsigned && b == -1))
        r = 0;
      else if (isUnsigned)
        r = static_cast<int64_t>(ua % ub);
      else
        r = a % b;
      if (kind == BinaryKind::mod && r != 0 && (r < 0) != (b < 0))
        r += b;
      break;
    case BinaryKind::pow:
      // As the lowering: repeated squaring, wrapping; a negative exponent gives the
      // truncated 1 / a^-b.
      if (b < 0) {
        r = a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
      } else {
        uint64_t power = 1, base = ua;
        for (uint64_t e = ub; e != 0; e >>= 1) {
          if (e & 1)
            power *= base;
          base *= base;
        }
        r = static_cast<int64_t>(power);
      }
      break;
    case BinaryKind::shl:
    case BinaryKind::shr: {
      // Unsigned (verifier); a shift by the width or more gives 0.
      uint64_t width = elem.getIntOrFloatBitWidth();
      uint64_t mask = width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
      ua &= mask;
      ub &= mask;
      r = ub >= width ? 0 : static_cast<int64_t>(kind == BinaryKind::shl ? ua << ub : ua >> ub);
      break;
    }
    }
    out.push_back(wrapToType(r, elem));
  }
  return writeInts(type, out);
}

/// The index into a per-tensor or per-axis quantization parameter.
int64_t quantParamIndex(llvm::ArrayRef<int64_t> shape, llvm::ArrayRef<int64_t> strides,
                        int64_t linear, int64_t axis, int64_t paramSize) {
  if (paramSize == 1)
    return 0;
  return (linear / strides[axis]) % shape[axis];
}

} // namespace

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput()))
    return dense.reshape(getType());
  // A reshape of a reshape only needs the first one's input.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  return {};
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  if (llvm::equal(getPerm(), llvm::seq<int64_t>(0, getPerm().size())))
    return getInput();
  // Two transposes are one: result[i] = x[inner[outer[i]]]; pairs that
  // cancel leave the identity, which the next fold removes.
  if (auto producer = getInput().getDefiningOp<TransposeOp>()) {
    llvm::SmallVector<int64_t> composed;
    for (int64_t p : getPerm())
      composed.push_back(producer.getPerm()[p]);
    if (llvm::equal(composed, llvm::seq<int64_t>(0, composed.size())))
      return producer.getInput();
    getInputMutable().assign(producer.getInput());
    setPerm(composed);
    return getResult();
  }
  if (tooLargeToFold(getType()))
    return {};
  auto dense = dyn_cast_or_null<DenseElementsAttr>(adaptor.getInput());
  if (!dense)
    return {};
  llvm::ArrayRef<int64_t> inShape = getInput().getType().getShape();
  llvm::SmallVector<int64_t> inStrides = stridesOf(inShape);
  llvm::ArrayRef<int64_t> outShape = getType().getShape();
  auto values = llvm::to_vector(dense.getValues<Attribute>());
  llvm::SmallVector<Attribute> out;
  out.reserve(values.size());
  llvm::SmallVector<int64_t> index(outShape.size(), 0);
  for (int64_t n = 0, e = getType().getNumElements(); n < e; ++n) {
    int64_t linear = 0;
    for (size_t d = 0; d < outShape.size(); ++d)
      linear += index[d] * inStrides[getPerm()[d]];
    out.push_back(values[linear]);
    for (int64_t d = static_cast<int64_t>(outShape.size()) - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return DenseElementsAttr::get(getType(), out);
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1)
    return getInputs().front();
  if (tooLargeToFold(getType()))
    return {};
  llvm::SmallVector<llvm::SmallVector<Attribute>> inputs;
  for (Attribute attr : adaptor.getInputs()) {
    auto dense = dyn_cast_or_null<DenseElementsAttr>(attr);
    if (!dense)
      return {};
    inputs.push_back(llvm::to_vector(dense.getValues<Attribute>()));
  }
  // Row-major: the result is, for each index of the outer dimensions, the
  // inputs' contiguous blocks of the axis and inner dimensions in turn.
  llvm::ArrayRef<int64_t> outShape = getType().getShape();
  int64_t outer = getNumElements(outShape.take_front(getAxis()));
  int64_t inner = getNumElements(outShape.drop_front(getAxis() + 1));
  llvm::SmallVector<Attribute> out;
  for (int64_t o = 0; o < outer; ++o)
    for (auto [value, values] : llvm::zip(getInputs(), inputs)) {
      int64_t block = cast<RankedTensorType>(value.getType()).getShape()[getAxis()] * inner;
      out.append(values.begin() + o * block, values.begin() + (o + 1) * block);
    }
  return DenseElementsAttr::get(getType(), out);
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  if (tooLargeToFold(getType()) || tooLargeToFold(getData().getType()))
    return {};
  auto data = dyn_cast_or_null<DenseElementsAttr>(adaptor.getData());
  std::optional<HostTensor> indices = HostTensor::read(adaptor.getIndices());
  if (!data || !indices)
    return {};
  llvm::ArrayRef<int64_t> shape = getData().getType().getShape();
  int64_t axis = getAxis(), extent = shape[axis];
  int64_t outer = getNumElements(shape.take_front(axis));
  int64_t inner = getNumElements(shape.drop_front(axis + 1));
  auto values = llvm::to_vector(data.getValues<Attribute>());
  llvm::SmallVector<Attribute> out;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t index : indices->i) {
      if (index < 0)
        index += extent;
      if (index < 0 || index >= extent)
        return {}; // Out of range: leave it to the operator's run-time rule.
      auto begin = values.begin() + (o * extent + index) * inner;
      out.append(begin, begin + inner);
    }
  return DenseElementsAttr::get(getType(), out);
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  std::optional<HostTensor> in = HostTensor::read(adaptor.getInput());
  if (!in)
    return {};
  Type to = getType().getElementType();
  if (isa<FloatType>(to)) {
    llvm::SmallVector<double> out;
    for (int64_t k = 0; k < in->size(); ++k)
      out.push_back(in->asDouble(k));
    return writeFloats(getType(), out);
  }
  if (!isa<IntegerType>(to))
    return {};
  llvm::SmallVector<int64_t> out;
  if (!in->isFloat) {
    bool toBool = to.getIntOrFloatBitWidth() == 1;
    for (int64_t v : in->i)
      out.push_back(toBool ? v != 0 : wrapToType(v, to));
    return writeInts(getType(), out);
  }
  auto [lo, hi] = intRange(to);
  for (double v : in->f) {
    if (to.getIntOrFloatBitWidth() == 1)
      out.push_back(v != 0.0);
    else if (std::isnan(v))
      out.push_back(0);
    else if (v <= static_cast<double>(lo))
      out.push_back(lo);
    else if (v >= static_cast<double>(hi))
      out.push_back(hi);
    else
      out.push_back(static_cast<int64_t>(std::trunc(v)));
  }
  return writeInts(getType(), out);
}

OpFoldResult AddOp::fold(FoldAdaptor a) {
  return foldBinary(*this, BinaryKind::add, a.getLhs(), a.getRhs(), getAct(), getQuant());
}
OpFoldResult SubOp::fold(FoldAdaptor a) {
  return foldBinary(*this, BinaryKind::sub, a.getLhs(), a.getRhs(), getAct(), getQuant());
}
OpFoldResult MulOp::fold(FoldAdaptor a) {
  return foldBinary(*this, BinaryKind::mul, a.getLhs(), a.getRhs(), getAct(), getQuant());
}
OpFoldResult DivOp::fold(FoldAdaptor a) {
  return foldBinary(*this, BinaryKind::div, a.getLhs(), a.getRhs(), getAct(), getQuant());
}

/// Folds an elementwise operator with a boolean result over constant operands.
template <typename Fn>
OpFoldResult foldPredicate(Operation *op, llvm::ArrayRef<Attribute> attrs, Fn predicate) {
  llvm::SmallVector<HostTensor> in;
  for (Attribute attr : attrs) {
    std::optional<HostTensor> t = HostTensor::read(attr);
    if (!t)
      return {};
    in.push_back(std::move(*t));
  }
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  llvm::SmallVector<llvm::SmallVector<int64_t>> index;
  for (const HostTensor &t : in)
    index.push_back(broadcastIndices(t.type.getShape(), type.getShape()));
  llvm::SmallVector<int64_t> out;
  for (int64_t n = 0; n < type.getNumElements(); ++n)
    out.push_back(predicate(in, [&](unsigned k) { return index[k][n]; }) ? 1 : 0);
  return writeInts(type, out);
}

OpFoldResult CompareOp::fold(FoldAdaptor a) {
  bool isUnsigned = getLhs().getType().getElementType().isUnsignedInteger() ||
                    getLhs().getType().getElementType().isInteger(1);
  CompareKind kind = getKind();
  return foldPredicate(*this, {a.getLhs(), a.getRhs()}, [&](auto &in, auto at) {
    // -1 less, 0 equal, 1 greater, 2 unordered (a NaN).
    int order;
    if (in[0].isFloat) {
      double x = in[0].f[at(0)], y = in[1].f[at(1)];
      order = x < y ? -1 : x > y ? 1 : x == y ? 0 : 2;
    } else {
      int64_t x = in[0].i[at(0)], y = in[1].i[at(1)];
      bool less = isUnsigned ? static_cast<uint64_t>(x) < static_cast<uint64_t>(y) : x < y;
      order = x == y ? 0 : less ? -1 : 1;
    }
    switch (kind) {
    case CompareKind::eq: return order == 0;
    case CompareKind::lt: return order == -1;
    case CompareKind::le: return order == -1 || order == 0;
    case CompareKind::gt: return order == 1;
    case CompareKind::ge: return order == 1 || order == 0;
    }
    llvm_unreachable("unknown comparison");
  });
}

OpFoldResult LogicOp::fold(FoldAdaptor a) {
  LogicKind kind = getKind();
  return foldPredicate(*this, {a.getLhs(), a.getRhs()}, [&](auto &in, auto at) {
    bool x = in[0].i[at(0)] != 0, y = in[1].i[at(1)] != 0;
    switch (kind) {
    case LogicKind::and_: return x && y;
    case LogicKind::or_: return x || y;
    case LogicKind::xor_: return x != y;
    }
    llvm_unreachable("unknown logic operation");
  });
}

OpFoldResult NotOp::fold(FoldAdaptor a) {
  return foldPredicate(*this, {a.getInput()}, [](auto &in, auto at) { return in[0].i[at(0)] == 0; });
}

OpFoldResult ClassifyOp::fold(FoldAdaptor a) {
  FloatClass kind = getKind();
  return foldPredicate(*this, {a.getInput()}, [&](auto &in, auto at) {
    double x = in[0].f[at(0)];
    switch (kind) {
    case FloatClass::nan: return std::isnan(x);
    case FloatClass::inf: return std::isinf(x);
    case FloatClass::pos_inf: return std::isinf(x) && x > 0;
    case FloatClass::neg_inf: return std::isinf(x) && x < 0;
    }
    llvm_unreachable("unknown float class");
  });
}

OpFoldResult SelectOp::fold(FoldAdaptor a) {
  std::optional<HostTensor> c = HostTensor::read(a.getCondition()), x = HostTensor::read(a.getX()),
                            y = HostTensor::read(a.getY());
  if (!c || !x || !y)
    return {};
  auto type = getType();
  llvm::SmallVector<int64_t> ci = broadcastIndices(c->type.getShape(), type.getShape()),
                             xi = broadcastIndices(x->type.getShape(), type.getShape()),
                             yi = broadcastIndices(y->type.getShape(), type.getShape());
  if (x->isFloat) {
    llvm::SmallVector<double> out;
    for (size_t n = 0; n < ci.size(); ++n)
      out.push_back(c->i[ci[n]] ? x->f[xi[n]] : y->f[yi[n]]);
    return writeFloats(type, out);
  }
  llvm::SmallVector<int64_t> out;
  for (size_t n = 0; n < ci.size(); ++n)
    out.push_back(c->i[ci[n]] ? x->i[xi[n]] : y->i[yi[n]]);
  return writeInts(type, out);
}

OpFoldResult MaxOp::fold(FoldAdaptor a) {
  return foldBinary(*this, BinaryKind::max, a.getLhs(), a.getRhs(), getAct(), getQuant());
}

OpFoldResult ShiftLeftOp::fold(FoldAdaptor a) {
  return foldBinary(*this, BinaryKind::shl, a.getLhs(), a.getRhs(), getAct(), getQuant());
}

OpFoldResult ShiftRightOp::fold(FoldAdaptor a) {
  return foldBinary(*this, BinaryKind::shr, a.getLhs(), a.getRhs(), getAct(), getQuant());
}

OpFoldResult ModOp::fold(FoldAdaptor a) {
  return foldBinary(*this, BinaryKind::mod, a.getLhs(), a.getRhs(), getAct(), getQuant());
}

OpFoldResult FmodOp::fold(FoldAdaptor a) {
  return foldBinary(*this, BinaryKind::fmod, a.getLhs(), a.getRhs(), getAct(), getQuant());
}

OpFoldResult PowOp::fold(FoldAdaptor a) {
  return foldBinary(*this, BinaryKind::pow, a.getLhs(), a.getRhs(), getAct(), getQuant());
}

OpFoldResult MinOp::fold(FoldAdaptor a) {
  return foldBinary(*this, BinaryKind::min, a.getLhs(), a.getRhs(), getAct(), getQuant());
}

OpFoldResult ActivationOp::fold(FoldAdaptor adaptor) {
  std::optional<HostTensor> in = HostTensor::read(adaptor.getInput());
  if (!in || !getType().getElementType().isF32())
    return {};
  llvm::SmallVector<double> out;
  for (double v : in->f)
    out.push_back(getAct().apply(static_cast<float>(v)));
  return writeFloats(getType(), out);
}

OpFoldResult SignOp::fold(FoldAdaptor adaptor) {
  std::optional<HostTensor> in = HostTensor::read(adaptor.getInput());
  if (!in)
    return {};
  llvm::SmallVector<double> out;
  for (double v : in->f)
    out.push_back(std::isnan(v) ? v : (v > 0) - (v < 0));
  return writeFloats(getType(), out);
}

OpFoldResult FakeQuantOp::fold(FoldAdaptor adaptor) {
  std::optional<HostTensor> in = HostTensor::read(adaptor.getInput());
  if (!in)
    return {};
  llvm::SmallVector<double> out;
  for (double v : in->f)
    out.push_back(getQuant().apply(static_cast<float>(v)));
  return writeFloats(getType(), out);
}

OpFoldResult QuantizeOp::fold(FoldAdaptor adaptor) {
  std::optional<HostTensor> x = HostTensor::read(adaptor.getInput());
  std::optional<HostTensor> scale = HostTensor::read(adaptor.getScale());
  std::optional<HostTensor> zp = HostTensor::read(adaptor.getZeroPoint());
  // The integer range must be exact in float, as in the lowering, which
  // takes quantized types of up to 16 bits.
  if (!x || !scale || !zp || !getInput().getType().getElementType().isF32() ||
      getType().getElementType().getIntOrFloatBitWidth() > 16)
    return {};
  llvm::ArrayRef<int64_t> shape = getInput().getType().getShape();
  llvm::SmallVector<int64_t> strides = stridesOf(shape);
  auto [lo, hi] = intRange(getType().getElementType());
  scalar::HostArithmetic host;
  llvm::SmallVector<int64_t> out;
  for (int64_t n = 0; n < x->size(); ++n) {
    int64_t p = quantParamIndex(shape, strides, n, getAxis(), scale->size());
    float q = scalar::quantize(host, static_cast<float>(x->f[n]), static_cast<float>(scale->f[p]),
                               static_cast<float>(zp->i[p]), static_cast<float>(lo),
                               static_cast<float>(hi));
    out.push_back(static_cast<int64_t>(q));
  }
  return writeInts(getType(), out);
}

OpFoldResult DequantizeOp::fold(FoldAdaptor adaptor) {
  std::optional<HostTensor> x = HostTensor::read(adaptor.getInput());
  std::optional<HostTensor> scale = HostTensor::read(adaptor.getScale());
  std::optional<HostTensor> zp = HostTensor::read(adaptor.getZeroPoint());
  if (!x || !scale || !zp || !getType().getElementType().isF32())
    return {};
  llvm::ArrayRef<int64_t> shape = getInput().getType().getShape();
  llvm::SmallVector<int64_t> strides = stridesOf(shape);
  llvm::SmallVector<double> out;
  for (int64_t n = 0; n < x->size(); ++n) {
    int64_t p = quantParamIndex(shape, strides, n, getAxis(), scale->size());
    out.push_back(static_cast<float>(x->i[n] - zp->i[p]) * static_cast<float>(scale->f[p]));
  }
  return writeFloats(getType(), out);
}

namespace {
/// clip(x, c0, c1) with constant float bounds is an activation, which the
/// fusion pass can move into the producer's epilogue.
struct ClipWithConstantBounds : OpRewritePattern<ClipOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ClipOp op, PatternRewriter &rewriter) const override {
    if (!op.getType().getElementType().isF32())
      return failure();
    DenseElementsAttr lo, hi;
    if (!matchPattern(op.getMin(), m_Constant(&lo)) || !matchPattern(op.getMax(), m_Constant(&hi)))
      return failure();
    float min = (*lo.getValues<llvm::APFloat>().begin()).convertToFloat();
    float max = (*hi.getValues<llvm::APFloat>().begin()).convertToFloat();
    if (std::isnan(min) || std::isnan(max) || min > max)
      return failure();
    ActivationAttr act;
    if (min == 0.0f && std::isinf(max))
      act = ActivationAttr::get(getContext(), ActivationKind::relu);
    else if (std::isfinite(min) && std::isfinite(max))
      act = ActivationAttr::get(getContext(), ActivationKind::clip, min, max);
    else
      return failure();
    rewriter.replaceOpWithNewOp<ActivationOp>(op, op.getType(), op.getInput(), act);
    return success();
  }
};
} // namespace

void ClipOp::getCanonicalizationPatterns(RewritePatternSet &patterns, MLIRContext *context) {
  patterns.add<ClipWithConstantBounds>(context);
}
