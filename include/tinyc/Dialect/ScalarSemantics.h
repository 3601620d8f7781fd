//===- ScalarSemantics.h - one definition of each op's scalar arithmetic -*- C++ -*-===//
//
// What an activation or a fake quantization computes on one element is written
// here once, over an arithmetic "domain", and instantiated twice: with
// HostArithmetic by the constant folders (the value, computed now) and with the
// lowering's domain, which builds the arith operations of the generated code.
// A folded constant and the code the same op lowers to therefore agree bit for
// bit: the same float operations in the same order, each rounded once to
// single precision, and the same runtime routines (runtime/tinyc_math.c is
// compiled into the compiler for the folders and into every model for the
// generated code).
//
// A domain D provides
//   using Value;
//   Value constant(double v);                 // v rounded to the element type
//   Value add(Value, Value), sub, mul, div;
//   Value neg(Value), abs(Value);
//   Value selectLess(Value x, Value y, Value ifLess, Value otherwise);  // x < y, ordered
//   Value selectNaN(Value x, Value ifNaN, Value otherwise);
//   Value call(RuntimeFunction, Value x);
//
//===----------------------------------------------------------------------===//

#ifndef TINYC_DIALECT_SCALARSEMANTICS_H
#define TINYC_DIALECT_SCALARSEMANTICS_H

#include "tinyc/Dialect/TinycDialect.h"

#include "llvm/Support/ErrorHandling.h"

#include <cmath>

namespace mlir::tinyc::scalar {

/// The float routines of runtime/tinyc_runtime.h that scalar semantics use.
enum class RuntimeFunction {
  exp, sigmoid, tanh, roundEven, sqrt, log,
  sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, erf
};

/// Compile-time arithmetic in IEEE single precision, as the generated code
/// computes on float tensors.
struct HostArithmetic {
  using Value = float;
  Value constant(double v) const { return static_cast<float>(v); }
  Value add(Value a, Value b) const { return a + b; }
  Value sub(Value a, Value b) const { return a - b; }
  Value mul(Value a, Value b) const { return a * b; }
  Value div(Value a, Value b) const { return a / b; }
  Value neg(Value a) const { return -a; }
  Value abs(Value a) const { return std::fabs(a); }
  Value selectLess(Value x, Value y, Value ifLess, Value otherwise) const {
    return x < y ? ifLess : otherwise;
  }
  Value selectNaN(Value x, Value ifNaN, Value otherwise) const {
    return x != x ? ifNaN : otherwise;
  }
  Value call(RuntimeFunction fn, Value x) const;
};

/// min(max(x, lo), hi) where NaN stays NaN (ONNX's NumPy reference).
template <typename D>
typename D::Value clamp(D &d, typename D::Value x, typename D::Value lo, typename D::Value hi) {
  typename D::Value low = d.selectLess(x, lo, lo, x);
  return d.selectLess(hi, low, hi, low);
}

/// floor(x) from rounding half to even: the integer nearest x, less one where
/// that lies above x. Exact for every float (|x| >= 2^23 is integral, and
/// NaN and the infinities pass through).
template <typename D>
typename D::Value floor(D &d, typename D::Value x) {
  typename D::Value r = d.call(RuntimeFunction::roundEven, x);
  return d.selectLess(x, r, d.sub(r, d.constant(1.0)), r);
}

/// An activation function (ActivationAttr) applied to one float.
template <typename D>
typename D::Value activation(D &d, typename D::Value x, ActivationAttr act) {
  using V = typename D::Value;
  V zero = d.constant(0.0);
  switch (act.getKind()) {
  case ActivationKind::relu:
    return d.selectLess(x, zero, zero, x);
  case ActivationKind::clip:
    return clamp(d, x, d.constant(act.getAlphaValue()), d.constant(act.getBetaValue()));
  case ActivationKind::leaky_relu:
    return d.selectLess(x, zero, d.mul(d.constant(act.getAlphaValue()), x), x);
  case ActivationKind::sigmoid:
    return d.call(RuntimeFunction::sigmoid, x);
  case ActivationKind::tanh:
    return d.call(RuntimeFunction::tanh, x);
  case ActivationKind::hard_sigmoid:
    return clamp(d, d.add(d.mul(d.constant(act.getAlphaValue()), x), d.constant(act.getBetaValue())),
                 zero, d.constant(1.0));
  case ActivationKind::hard_swish: {
    // ONNX defines HardSwish as x * HardSigmoid(x) with alpha = 1/6 and
    // beta = 1/2: a multiplication by the float alpha, not a division by 6.
    V gate = clamp(d, d.add(d.mul(d.constant(static_cast<float>(1.0 / 6.0)), x), d.constant(0.5)),
                   zero, d.constant(1.0));
    return d.mul(x, gate);
  }
  case ActivationKind::abs:
    return d.abs(x);
  case ActivationKind::neg:
    return d.neg(x);
  case ActivationKind::reciprocal:
    return d.div(d.constant(1.0), x);
  case ActivationKind::sqrt:
    return d.call(RuntimeFunction::sqrt, x);
  case ActivationKind::exp:
    return d.call(RuntimeFunction::exp, x);
  case ActivationKind::round:
    return d.call(RuntimeFunction::roundEven, x);
  case ActivationKind::floor:
    return floor(d, x);
  case ActivationKind::ceil:
    // -floor(-x) keeps IEEE's signs of zero: ceil(-0.5) is -0.
    return d.neg(floor(d, d.neg(x)));
  case ActivationKind::elu: {
    V alpha = d.constant(act.getAlphaValue());
    return d.selectLess(x, zero, d.mul(alpha, d.sub(d.call(RuntimeFunction::exp, x), d.constant(1.0))),
                        x);
  }
  case ActivationKind::selu: {
    V alpha = d.constant(act.getAlphaValue()), gamma = d.constant(act.getBetaValue());
    V negative = d.mul(gamma, d.sub(d.mul(alpha, d.call(RuntimeFunction::exp, x)), alpha));
    return d.selectLess(zero, x, d.mul(gamma, x), negative);
  }
  case ActivationKind::celu: {
    V alpha = d.constant(act.getAlphaValue());
    V e = d.mul(alpha, d.sub(d.call(RuntimeFunction::exp, d.div(x, alpha)), d.constant(1.0)));
    // max(0, x) keeps NaN, min(0, e) takes 0 for it: NaN either way.
    return d.add(d.selectLess(x, zero, zero, x), d.selectLess(e, zero, e, zero));
  }
  case ActivationKind::softsign:
    return d.div(x, d.add(d.constant(1.0), d.abs(x)));
  case ActivationKind::thresholded_relu:
    // ONNX: x for x > alpha, 0 otherwise (NaN too).
    return d.selectLess(d.constant(act.getAlphaValue()), x, x, zero);
  case ActivationKind::shrink: {
    V lambd = d.constant(act.getAlphaValue()), bias = d.constant(act.getBetaValue());
    return d.selectLess(x, d.neg(lambd), d.add(x, bias),
                        d.selectLess(lambd, x, d.sub(x, bias), zero));
  }
  case ActivationKind::log:
    return d.call(RuntimeFunction::log, x);
  case ActivationKind::softplus:
    // ONNX's definition as written, log(exp(x) + 1): its reference computes
    // it so, overflowing to inf above x = 88.7.
    return d.call(RuntimeFunction::log, d.add(d.call(RuntimeFunction::exp, x), d.constant(1.0)));
  case ActivationKind::sin:
    return d.call(RuntimeFunction::sin, x);
  case ActivationKind::cos:
    return d.call(RuntimeFunction::cos, x);
  case ActivationKind::tan:
    return d.call(RuntimeFunction::tan, x);
  case ActivationKind::asin:
    return d.call(RuntimeFunction::asin, x);
  case ActivationKind::acos:
    return d.call(RuntimeFunction::acos, x);
  case ActivationKind::atan:
    return d.call(RuntimeFunction::atan, x);
  case ActivationKind::sinh:
    return d.call(RuntimeFunction::sinh, x);
  case ActivationKind::cosh:
    return d.call(RuntimeFunction::cosh, x);
  case ActivationKind::asinh:
    return d.call(RuntimeFunction::asinh, x);
  case ActivationKind::acosh:
    return d.call(RuntimeFunction::acosh, x);
  case ActivationKind::atanh:
    return d.call(RuntimeFunction::atanh, x);
  case ActivationKind::erf:
    return d.call(RuntimeFunction::erf, x);
  }
  llvm_unreachable("unknown activation kind");
}

/// ONNX QuantizeLinear of one float: divide (not multiply by a reciprocal),
/// round half to even, add the zero point, saturate to [qmin, qmax]; NaN
/// becomes the zero point. The result is a float holding that integer.
template <typename D>
typename D::Value quantize(D &d, typename D::Value x, typename D::Value scale,
                           typename D::Value zeroPoint, typename D::Value qmin,
                           typename D::Value qmax) {
  typename D::Value q = d.add(d.call(RuntimeFunction::roundEven, d.div(x, scale)), zeroPoint);
  q = d.selectNaN(q, zeroPoint, q);
  return clamp(d, q, qmin, qmax);
}

/// A fake quantization (FakeQuantAttr: QuantizeLinear, then DequantizeLinear
/// in float) applied to one float.
template <typename D>
typename D::Value fakeQuant(D &d, typename D::Value x, FakeQuantAttr quant) {
  typename D::Value scale = d.constant(quant.getScaleValue());
  typename D::Value zeroPoint = d.constant(static_cast<double>(quant.getZeroPoint()));
  typename D::Value q = quantize(d, x, scale, zeroPoint,
                                 d.constant(static_cast<double>(quant.getQmin())),
                                 d.constant(static_cast<double>(quant.getQmax())));
  return d.mul(d.sub(q, zeroPoint), scale);
}

} // namespace mlir::tinyc::scalar

#endif // TINYC_DIALECT_SCALARSEMANTICS_H
