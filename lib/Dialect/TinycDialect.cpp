//===- TinycDialect.cpp - dialect registration and attributes -------------===//

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Dialect/ScalarSemantics.h"
#include "tinyc_runtime.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace mlir::tinyc;

#include "tinyc/Dialect/TinycDialect.cpp.inc"
#include "tinyc/Dialect/TinycEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "tinyc/Dialect/TinycAttrs.cpp.inc"

void TinycDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tinyc/Dialect/TinycAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "tinyc/Dialect/TinycOps.cpp.inc"
      >();
}

Operation *TinycDialect::materializeConstant(OpBuilder &builder, Attribute value, Type type,
                                             Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}

//===----------------------------------------------------------------------===//
// ActivationAttr
//===----------------------------------------------------------------------===//

unsigned ActivationAttr::getNumParameters(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::relu:
  case ActivationKind::sigmoid:
  case ActivationKind::tanh:
  case ActivationKind::hard_swish:
  case ActivationKind::abs:
  case ActivationKind::neg:
  case ActivationKind::reciprocal:
  case ActivationKind::sqrt:
  case ActivationKind::exp:
  case ActivationKind::floor:
  case ActivationKind::ceil:
  case ActivationKind::round:
  case ActivationKind::softsign:
  case ActivationKind::log:
  case ActivationKind::softplus:
  case ActivationKind::sin:
  case ActivationKind::cos:
  case ActivationKind::tan:
  case ActivationKind::asin:
  case ActivationKind::acos:
  case ActivationKind::atan:
  case ActivationKind::sinh:
  case ActivationKind::cosh:
  case ActivationKind::asinh:
  case ActivationKind::acosh:
  case ActivationKind::atanh:
  case ActivationKind::erf:
    return 0;
  case ActivationKind::leaky_relu:
  case ActivationKind::elu:
  case ActivationKind::celu:
  case ActivationKind::thresholded_relu:
    return 1;
  case ActivationKind::clip:
  case ActivationKind::hard_sigmoid:
  case ActivationKind::selu:
  case ActivationKind::shrink:
    return 2;
  }
  llvm_unreachable("unknown activation kind");
}

bool ActivationAttr::callsRuntime(ActivationKind kind) {
  switch (kind) {
  case ActivationKind::sigmoid:
  case ActivationKind::tanh:
  case ActivationKind::sqrt:
  case ActivationKind::exp:
  case ActivationKind::floor:
  case ActivationKind::ceil:
  case ActivationKind::round:
  case ActivationKind::elu:
  case ActivationKind::selu:
  case ActivationKind::celu:
  case ActivationKind::log:
  case ActivationKind::softplus:
  case ActivationKind::sin:
  case ActivationKind::cos:
  case ActivationKind::tan:
  case ActivationKind::asin:
  case ActivationKind::acos:
  case ActivationKind::atan:
  case ActivationKind::sinh:
  case ActivationKind::cosh:
  case ActivationKind::asinh:
  case ActivationKind::acosh:
  case ActivationKind::atanh:
  case ActivationKind::erf:
    return true;
  default:
    return false;
  }
}

LogicalResult ActivationAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                     ActivationKind kind, llvm::APFloat alpha, llvm::APFloat beta) {
  if (&alpha.getSemantics() != &llvm::APFloat::IEEEsingle() ||
      &beta.getSemantics() != &llvm::APFloat::IEEEsingle())
    return emitError() << "activation parameters must be single-precision floats";
  if (kind == ActivationKind::celu && alpha.isZero())
    return emitError() << "celu's alpha must not be 0";
  if (kind == ActivationKind::clip && beta.compare(alpha) == llvm::APFloat::cmpLessThan)
    return emitError() << "clip bounds are inverted: min " << alpha.convertToFloat() << " > max "
                       << beta.convertToFloat();
  return success();
}

float ActivationAttr::apply(float x) const {
  scalar::HostArithmetic host;
  return scalar::activation(host, x, *this);
}

/// The shortest decimal that reads back as the same float, in a form MLIR's
/// parser takes as a float (with a decimal point).
static std::string printFloat(float f) {
  char text[32];
  for (int digits = 1; digits <= 9; ++digits) {
    std::snprintf(text, sizeof text, "%.*g", digits, static_cast<double>(f));
    if (std::strtof(text, nullptr) == f)
      break;
  }
  std::string printed(text);
  if (printed.find('.') == std::string::npos)
    printed.insert(std::min(printed.find('e'), printed.size()), ".0");
  return printed;
}

Attribute ActivationAttr::parse(AsmParser &parser, Type) {
  llvm::StringRef keyword;
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  std::optional<ActivationKind> kind = symbolizeActivationKind(keyword);
  if (!kind) {
    parser.emitError(parser.getCurrentLocation()) << "unknown activation '" << keyword << "'";
    return {};
  }
  double params[2] = {0.0, 0.0};
  unsigned expected = getNumParameters(*kind);
  for (unsigned i = 0; i < expected; ++i)
    if (parser.parseComma() || parser.parseFloat(params[i]))
      return {};
  if (parser.parseGreater())
    return {};
  return parser.getChecked<ActivationAttr>(
      parser.getContext(), *kind, llvm::APFloat(static_cast<float>(params[0])),
      llvm::APFloat(static_cast<float>(params[1])));
}

void ActivationAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyActivationKind(getKind());
  unsigned count = getNumParameters(getKind());
  for (llvm::APFloat value : {getAlpha(), getBeta()}) {
    if (count-- == 0)
      break;
    printer << ", " << printFloat(value.convertToFloat());
  }
  printer << ">";
}

//===----------------------------------------------------------------------===//
// FakeQuantAttr
//===----------------------------------------------------------------------===//

LogicalResult FakeQuantAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                    llvm::APFloat scale, int64_t zeroPoint, int64_t qmin,
                                    int64_t qmax) {
  if (&scale.getSemantics() != &llvm::APFloat::IEEEsingle())
    return emitError() << "fake_quant scale must be a single-precision float";
  if (!(scale.convertToFloat() > 0.0f) || !std::isfinite(scale.convertToFloat()))
    return emitError() << "fake_quant scale " << scale.convertToFloat()
                       << " must be positive and finite";
  if (qmin > qmax || zeroPoint < qmin || zeroPoint > qmax)
    return emitError() << "fake_quant zero point " << zeroPoint << " must lie in [" << qmin
                       << ", " << qmax << "]";
  return success();
}

float FakeQuantAttr::apply(float x) const {
  scalar::HostArithmetic host;
  return scalar::fakeQuant(host, x, *this);
}

float scalar::HostArithmetic::call(RuntimeFunction fn, float x) const {
  switch (fn) {
  case RuntimeFunction::exp:
    return TINYC_ABI_EXPF(x);
  case RuntimeFunction::sigmoid:
    return TINYC_ABI_SIGMOIDF(x);
  case RuntimeFunction::tanh:
    return TINYC_ABI_TANHF(x);
  case RuntimeFunction::roundEven:
    return TINYC_ABI_ROUNDEVENF(x);
  case RuntimeFunction::sqrt:
    return TINYC_ABI_SQRTF(x);
  case RuntimeFunction::log:
    return TINYC_ABI_LOGF(x);
  case RuntimeFunction::sin:
    return TINYC_ABI_SINF(x);
  case RuntimeFunction::cos:
    return TINYC_ABI_COSF(x);
  case RuntimeFunction::tan:
    return TINYC_ABI_TANF(x);
  case RuntimeFunction::asin:
    return TINYC_ABI_ASINF(x);
  case RuntimeFunction::acos:
    return TINYC_ABI_ACOSF(x);
  case RuntimeFunction::atan:
    return TINYC_ABI_ATANF(x);
  case RuntimeFunction::sinh:
    return TINYC_ABI_SINHF(x);
  case RuntimeFunction::cosh:
    return TINYC_ABI_COSHF(x);
  case RuntimeFunction::asinh:
    return TINYC_ABI_ASINHF(x);
  case RuntimeFunction::acosh:
    return TINYC_ABI_ACOSHF(x);
  case RuntimeFunction::atanh:
    return TINYC_ABI_ATANHF(x);
  case RuntimeFunction::erf:
    return TINYC_ABI_ERFF(x);
  }
  llvm_unreachable("unknown runtime function");
}

Attribute FakeQuantAttr::parse(AsmParser &parser, Type) {
  double scale;
  int64_t zeroPoint, qmin, qmax;
  if (parser.parseLess() || parser.parseFloat(scale) || parser.parseComma() ||
      parser.parseInteger(zeroPoint) || parser.parseComma() || parser.parseLSquare() ||
      parser.parseInteger(qmin) || parser.parseComma() || parser.parseInteger(qmax) ||
      parser.parseRSquare() || parser.parseGreater())
    return {};
  return parser.getChecked<FakeQuantAttr>(parser.getContext(),
                                          llvm::APFloat(static_cast<float>(scale)), zeroPoint,
                                          qmin, qmax);
}

void FakeQuantAttr::print(AsmPrinter &printer) const {
  printer << "<" << printFloat(getScaleValue()) << ", " << getZeroPoint() << ", [" << getQmin()
          << ", " << getQmax() << "]>";
}
