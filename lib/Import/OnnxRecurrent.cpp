//===- OnnxRecurrent.cpp - RNN, GRU and LSTM unrolled over time -----------===//
//
// The sequence length is static, so a recurrent layer becomes its steps: one
// Gemm of the whole input sequence with W (and both biases), then per step a
// Gemm of the hidden state with R and the cell's gates, each an ONNX operator
// converted at the node (Compose.h). ONNX's equations, gate orders (LSTM
// i, o, f, c; GRU z, r, h) and defaults; directions forward, reverse and
// bidirectional; layouts 0 and 1; initial states; LSTM peepholes and
// input_forget; GRU linear_before_reset; clip; the activations ONNX lists.
// sequence_lens must be known at compile time: past a batch entry's length
// its state stays and its output is 0, as in ONNX Runtime.
//
//===----------------------------------------------------------------------===//

#include "Compose.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::onnx_import;

namespace {

enum class Cell { rnn, gru, lstm };

/// One activation of the `activations` attribute, with its alpha and beta
/// when the attribute lists give them.
struct Activation {
  std::string name;
  std::optional<float> alpha, beta;
};

class RecurrentImporter {
public:
  RecurrentImporter(NodeImporter &n, Cell cell) : n(n), s{n}, cell(cell) {}

  LogicalResult convert();

private:
  /// The cell's function `a` applied to `v`, clipped first when `clip` is set
  /// (gate inputs are; LSTM's cell state, squashed for the output, is not:
  /// ONNX Runtime clips the gates only).
  FailureOr<Value> activate(const Activation &a, Value v, bool clipFirst = true);
  FailureOr<Value> clipped(Value v);
  /// Row d of a [D, ...] input, as a tensor without the leading dimension.
  FailureOr<Value> direction(Value v, int64_t d);
  FailureOr<Value> gemm(Value a, Value b, Value c);
  FailureOr<Value> add(Value a, Value b) { return s.op(convertAdd, "Add", {a, b}); }
  FailureOr<Value> mul(Value a, Value b) { return s.op(convertMul, "Mul", {a, b}); }
  FailureOr<Value> sub(Value a, Value b) { return s.op(convertSub, "Sub", {a, b}); }
  /// Steps of one direction: Y [S, 1, B, H] and the final states [1, B, H].
  LogicalResult runDirection(int64_t d, bool reverse, Value xs, Value &y, Value &yh, Value &yc);

  NodeImporter &n;
  Steps s;
  Cell cell;
  int64_t gates = 1, hidden = 0, batch = 0, steps = 0, inputSize = 0, layout = 0;
  std::optional<float> clip;
  bool inputForget = false, linearBeforeReset = false;
  llvm::SmallVector<Activation> activations; // per direction, the cell's count each
  llvm::SmallVector<int64_t> lengths;        // sequence_lens, empty when all are `steps`
  Value w, r, b, initialH, initialC, peepholes;
};

FailureOr<Value> RecurrentImporter::clipped(Value v) {
  if (!clip)
    return v;
  FailureOr<Value> low = s.op(convertMax, "Max", {v, s.scalar(-*clip)});
  if (failed(low))
    return failure();
  return s.op(convertMin, "Min", {*low, s.scalar(*clip)});
}

FailureOr<Value> RecurrentImporter::activate(const Activation &a, Value v, bool clipFirst) {
  FailureOr<Value> x = clipFirst ? clipped(v) : FailureOr<Value>(v);
  if (failed(x))
    return failure();
  std::string name = llvm::StringRef(a.name).lower();
  auto withParams = [&](ConvertFn convert, llvm::StringRef type) -> FailureOr<Value> {
    llvm::SmallVector<onnx::AttributeProto> attrs;
    if (a.alpha)
      attrs.push_back(floatAttribute("alpha", *a.alpha));
    if (a.beta)
      attrs.push_back(floatAttribute("beta", *a.beta));
    llvm::SmallVector<const onnx::AttributeProto *> pointers;
    for (const onnx::AttributeProto &attr : attrs)
      pointers.push_back(&attr);
    return s.op(convert, type, {*x}, pointers);
  };
  if (name == "sigmoid")
    return s.op(convertSigmoid, "Sigmoid", {*x});
  if (name == "tanh")
    return s.op(convertTanh, "Tanh", {*x});
  if (name == "relu")
    return s.op(convertRelu, "Relu", {*x});
  if (name == "softsign")
    return s.op(convertSoftsign, "Softsign", {*x});
  if (name == "softplus")
    return s.op(convertSoftplus, "Softplus", {*x});
  if (name == "leakyrelu") {
    if (a.beta)
      return n.error() << "activation " << a.name << " takes no beta", failure();
    return withParams(convertLeakyRelu, "LeakyRelu");
  }
  if (name == "thresholdedrelu")
    return withParams(convertThresholdedRelu, "ThresholdedRelu");
  if (name == "elu")
    return withParams(convertElu, "Elu");
  if (name == "hardsigmoid")
    return withParams(convertHardSigmoid, "HardSigmoid");
  if (name == "affine") {
    // alpha * x + beta
    FailureOr<Value> scaled = mul(*x, s.scalar(a.alpha.value_or(1.0f)));
    if (failed(scaled))
      return failure();
    return add(*scaled, s.scalar(a.beta.value_or(0.0f)));
  }
  if (name == "scaledtanh") {
    // alpha * tanh(beta * x)
    FailureOr<Value> inner = mul(*x, s.scalar(a.beta.value_or(1.0f)));
    if (failed(inner))
      return failure();
    FailureOr<Value> t = s.op(convertTanh, "Tanh", {*inner});
    if (failed(t))
      return failure();
    return mul(*t, s.scalar(a.alpha.value_or(1.0f)));
  }
  return n.error() << "activation '" << a.name << "' is not one of ONNX's", failure();
}

FailureOr<Value> RecurrentImporter::direction(Value v, int64_t d) {
  Value index = n.constant(
      DenseElementsAttr::get(n.tensorType({}, n.builder.getI64Type()), llvm::ArrayRef<int64_t>{d}));
  return s.op(convertGather, "Gather", {v, index});
}

FailureOr<Value> RecurrentImporter::gemm(Value a, Value bMatrix, Value c) {
  onnx::AttributeProto transB = intAttribute("transB", 1);
  llvm::SmallVector<Value> inputs{a, bMatrix};
  if (c)
    inputs.push_back(c);
  return s.op(convertGemm, "Gemm", inputs, {&transB});
}

LogicalResult RecurrentImporter::runDirection(int64_t d, bool reverse, Value xs, Value &y,
                                              Value &yh, Value &yc) {
  int64_t gh = gates * hidden;
  FailureOr<Value> wd = direction(w, d), rd = direction(r, d);
  if (failed(wd) || failed(rd))
    return failure();
  Value wb, rb;
  if (b) {
    FailureOr<Value> bd = direction(b, d);
    if (failed(bd))
      return failure();
    FailureOr<Value> wPart = s.slice(*bd, 0, 0, gh), rPart = s.slice(*bd, 0, gh, 2 * gh);
    if (failed(wPart) || failed(rPart))
      return failure();
    wb = *wPart, rb = *rPart;
  }
  // Every step's input times W at once.
  FailureOr<Value> xw = gemm(n.reshape(xs, {steps * batch, inputSize}), *wd, wb);
  if (failed(xw))
    return failure();

  std::vector<float> zeros(batch * hidden, 0.0f);
  Value h = s.floats({batch, hidden}, zeros), c;
  if (initialH) {
    FailureOr<Value> h0 = direction(initialH, d);
    if (failed(h0))
      return failure();
    h = *h0;
  }
  if (cell == Cell::lstm) {
    c = s.floats({batch, hidden}, zeros);
    if (initialC) {
      FailureOr<Value> c0 = direction(initialC, d);
      if (failed(c0))
        return failure();
      c = *c0;
    }
  }
  Value pi, po, pf;
  if (peepholes) {
    FailureOr<Value> pd = direction(peepholes, d);
    if (failed(pd))
      return failure();
    FailureOr<Value> i = s.slice(*pd, 0, 0, hidden), o = s.slice(*pd, 0, hidden, 2 * hidden),
                     f = s.slice(*pd, 0, 2 * hidden, 3 * hidden);
    if (failed(i) || failed(o) || failed(f))
      return failure();
    pi = *i, po = *o, pf = *f;
  }
  // GRU: the h gate's recurrence is apart from z and r's.
  Value rzr, rh, rbzr, rbh;
  if (cell == Cell::gru) {
    FailureOr<Value> a = s.slice(*rd, 0, 0, 2 * hidden), bRows = s.slice(*rd, 0, 2 * hidden, gh);
    if (failed(a) || failed(bRows))
      return failure();
    rzr = *a, rh = *bRows;
    if (rb) {
      FailureOr<Value> p = s.slice(rb, 0, 0, 2 * hidden), q = s.slice(rb, 0, 2 * hidden, gh);
      if (failed(p) || failed(q))
        return failure();
      rbzr = *p, rbh = *q;
    }
  }
  const Activation *act = &activations[d * (cell == Cell::rnn ? 1 : cell == Cell::gru ? 2 : 3)];

  llvm::SmallVector<Value> outputs(steps);
  for (int64_t k = 0; k < steps; ++k) {
    int64_t t = reverse ? steps - 1 - k : k;
    FailureOr<Value> x = s.slice(*xw, 0, t * batch, (t + 1) * batch);
    if (failed(x))
      return failure();
    auto gate = [&](Value v, int64_t g) { return s.slice(v, 1, g * hidden, (g + 1) * hidden); };
    Value nextH, nextC;
    if (cell == Cell::rnn) {
      FailureOr<Value> hr = gemm(h, *rd, rb);
      if (failed(hr))
        return failure();
      FailureOr<Value> pre = add(*x, *hr);
      if (failed(pre))
        return failure();
      FailureOr<Value> hNew = activate(act[0], *pre);
      if (failed(hNew))
        return failure();
      nextH = *hNew;
    } else if (cell == Cell::gru) {
      FailureOr<Value> hr = gemm(h, rzr, rbzr);
      if (failed(hr))
        return failure();
      FailureOr<Value> xzr = s.slice(*x, 1, 0, 2 * hidden);
      if (failed(xzr))
        return failure();
      FailureOr<Value> zr = add(*xzr, *hr);
      if (failed(zr))
        return failure();
      FailureOr<Value> zPre = gate(*zr, 0), rPre = gate(*zr, 1);
      if (failed(zPre) || failed(rPre))
        return failure();
      FailureOr<Value> z = activate(act[0], *zPre);
      if (failed(z))
        return failure();
      FailureOr<Value> rGate = activate(act[0], *rPre);
      if (failed(rGate))
        return failure();
      FailureOr<Value> xh = gate(*x, 2);
      if (failed(xh))
        return failure();
      FailureOr<Value> recurrent;
      if (linearBeforeReset) {
        FailureOr<Value> hRh = gemm(h, rh, rbh);
        if (failed(hRh))
          return failure();
        recurrent = mul(*rGate, *hRh);
      } else {
        FailureOr<Value> reset = mul(*rGate, h);
        if (failed(reset))
          return failure();
        recurrent = gemm(*reset, rh, rbh);
      }
      if (failed(recurrent))
        return failure();
      FailureOr<Value> hPre = add(*xh, *recurrent);
      if (failed(hPre))
        return failure();
      FailureOr<Value> candidate = activate(act[1], *hPre);
      if (failed(candidate))
        return failure();
      // (1 - z) * candidate + z * h
      FailureOr<Value> keep = sub(s.scalar(1.0f), *z);
      if (failed(keep))
        return failure();
      FailureOr<Value> fresh = mul(*keep, *candidate);
      if (failed(fresh))
        return failure();
      FailureOr<Value> old = mul(*z, h);
      if (failed(old))
        return failure();
      FailureOr<Value> hNew = add(*fresh, *old);
      if (failed(hNew))
        return failure();
      nextH = *hNew;
    } else {
      FailureOr<Value> hr = gemm(h, *rd, rb);
      if (failed(hr))
        return failure();
      FailureOr<Value> pre = add(*x, *hr);
      if (failed(pre))
        return failure();
      FailureOr<Value> iPre = gate(*pre, 0), oPre = gate(*pre, 1), fPre = gate(*pre, 2),
                       cPre = gate(*pre, 3);
      if (failed(iPre) || failed(oPre) || failed(fPre) || failed(cPre))
        return failure();
      if (pi) {
        FailureOr<Value> pic = mul(pi, c), pfc = mul(pf, c);
        if (failed(pic) || failed(pfc))
          return failure();
        iPre = add(*iPre, *pic);
        fPre = add(*fPre, *pfc);
        if (failed(iPre) || failed(fPre))
          return failure();
      }
      FailureOr<Value> i = activate(act[0], *iPre);
      if (failed(i))
        return failure();
      FailureOr<Value> f = inputForget ? sub(s.scalar(1.0f), *i) : activate(act[0], *fPre);
      if (failed(f))
        return failure();
      FailureOr<Value> candidate = activate(act[1], *cPre);
      if (failed(candidate))
        return failure();
      FailureOr<Value> kept = mul(*f, c);
      if (failed(kept))
        return failure();
      FailureOr<Value> written = mul(*i, *candidate);
      if (failed(written))
        return failure();
      FailureOr<Value> cNew = add(*kept, *written);
      if (failed(cNew))
        return failure();
      if (po) {
        FailureOr<Value> poc = mul(po, *cNew);
        if (failed(poc))
          return failure();
        oPre = add(*oPre, *poc);
        if (failed(oPre))
          return failure();
      }
      FailureOr<Value> o = activate(act[0], *oPre);
      if (failed(o))
        return failure();
      FailureOr<Value> squashed = activate(act[2], *cNew, /*clipFirst=*/false);
      if (failed(squashed))
        return failure();
      FailureOr<Value> hNew = mul(*o, *squashed);
      if (failed(hNew))
        return failure();
      nextH = *hNew, nextC = *cNew;
    }
    Value out = nextH;
    if (!lengths.empty()) {
      // Past its length a batch entry keeps its state and outputs 0.
      llvm::SmallVector<bool> active;
      for (int64_t length : lengths)
        active.push_back(t < length);
      Value mask = n.constant(
          DenseElementsAttr::get(n.tensorType({batch, 1}, n.builder.getI1Type()), active));
      FailureOr<Value> maskedH = s.op(convertWhere, "Where", {mask, nextH, h});
      FailureOr<Value> maskedOut = s.op(convertWhere, "Where", {mask, nextH, s.scalar(0.0f)});
      if (failed(maskedH) || failed(maskedOut))
        return failure();
      nextH = *maskedH, out = *maskedOut;
      if (nextC) {
        FailureOr<Value> maskedC = s.op(convertWhere, "Where", {mask, nextC, c});
        if (failed(maskedC))
          return failure();
        nextC = *maskedC;
      }
    }
    h = nextH, c = nextC;
    outputs[t] = n.reshape(out, {1, 1, batch, hidden});
  }
  onnx::AttributeProto axis0 = intAttribute("axis", 0);
  FailureOr<Value> all = steps == 1 ? FailureOr<Value>(outputs[0])
                                    : s.op(convertConcat, "Concat", outputs, {&axis0});
  if (failed(all))
    return failure();
  y = *all;
  yh = n.reshape(h, {1, batch, hidden});
  if (c)
    yc = n.reshape(c, {1, batch, hidden});
  return success();
}

LogicalResult RecurrentImporter::convert() {
  llvm::SmallVector<llvm::StringRef> known{"activation_alpha", "activation_beta", "activations",
                                           "clip", "direction", "hidden_size", "layout"};
  if (cell == Cell::lstm)
    known.push_back("input_forget");
  if (cell == Cell::gru)
    known.push_back("linear_before_reset");
  if (failed(n.rejectUnknownAttributes(known)))
    return failure();
  gates = cell == Cell::rnn ? 1 : cell == Cell::gru ? 3 : 4;
  FailureOr<Value> x = n.requiredInput(0), wIn = n.requiredInput(1), rIn = n.requiredInput(2);
  if (failed(x) || failed(wIn) || failed(rIn))
    return failure();
  w = *wIn, r = *rIn, b = n.input(3), initialH = n.input(5);
  if (cell == Cell::lstm)
    initialC = n.input(6), peepholes = n.input(7);
  for (unsigned i = 0; i < n.numInputs(); ++i)
    if (n.input(i) && i != 4 && !n.inputType(i).getElementType().isF32())
      return n.error() << "input " << i << " has element type " << n.inputType(i).getElementType()
                       << "; only float32 is supported";

  std::string dir = n.getString("direction", "forward");
  if (dir != "forward" && dir != "reverse" && dir != "bidirectional")
    return n.error() << "direction '" << dir << "' is not forward, reverse or bidirectional";
  int64_t directions = dir == "bidirectional" ? 2 : 1;
  layout = n.getInt("layout", 0);
  if (layout != 0 && layout != 1)
    return n.error() << "layout " << layout << " is not 0 or 1";
  RankedTensorType xType = n.inputType(0);
  if (xType.getRank() != 3)
    return n.error() << "X has rank " << xType.getRank() << ", not 3";
  steps = xType.getDimSize(layout == 0 ? 0 : 1);
  batch = xType.getDimSize(layout == 0 ? 1 : 0);
  inputSize = xType.getDimSize(2);
  llvm::ArrayRef<int64_t> rShape = n.inputType(2).getShape();
  if (rShape.size() != 3)
    return n.error() << "R has rank " << rShape.size() << ", not 3";
  hidden = n.attribute("hidden_size") ? n.getInt("hidden_size", 0) : rShape[2];
  if (hidden <= 0 || steps <= 0 || batch <= 0)
    return n.error() << "hidden size " << hidden << ", sequence length " << steps << " and batch "
                     << batch << " must be positive";
  auto expect = [&](unsigned i, llvm::StringRef what,
                    llvm::ArrayRef<int64_t> shape) -> LogicalResult {
    if (!n.input(i) || n.inputType(i).getShape() == shape)
      return success();
    return n.error() << what << " has shape " << formatShape(n.inputType(i).getShape()) << ", not "
                     << formatShape(shape);
  };
  int64_t gh = gates * hidden;
  Shape stateShape = layout == 0 ? Shape{directions, batch, hidden} : Shape{batch, directions, hidden};
  if (failed(expect(1, "W", {directions, gh, inputSize})) ||
      failed(expect(2, "R", {directions, gh, hidden})) ||
      failed(expect(3, "B", {directions, 2 * gh})) ||
      failed(expect(5, "initial_h", stateShape)) ||
      (cell == Cell::lstm && (failed(expect(6, "initial_c", stateShape)) ||
                              failed(expect(7, "P", {directions, 3 * hidden})))))
    return failure();

  if (n.attribute("clip"))
    clip = n.getFloat("clip", 0.0f);
  if (cell == Cell::lstm)
    inputForget = n.getInt("input_forget", 0) != 0;
  if (cell == Cell::gru)
    linearBeforeReset = n.getInt("linear_before_reset", 0) != 0;

  // Activations: the cell's defaults, or the attribute's list for every
  // direction; alpha and beta go, in order, to those that take them.
  llvm::SmallVector<llvm::StringRef> defaults =
      cell == Cell::rnn   ? llvm::SmallVector<llvm::StringRef>{"Tanh"}
      : cell == Cell::gru ? llvm::SmallVector<llvm::StringRef>{"Sigmoid", "Tanh"}
                          : llvm::SmallVector<llvm::StringRef>{"Sigmoid", "Tanh", "Tanh"};
  const onnx::AttributeProto *names = n.attribute("activations");
  if (names) {
    if (names->strings_size() != static_cast<int>(defaults.size() * directions))
      return n.error() << "'activations' lists " << names->strings_size() << " functions, not "
                       << defaults.size() * directions;
    const onnx::AttributeProto *alphas = n.attribute("activation_alpha"),
                               *betas = n.attribute("activation_beta");
    int nextAlpha = 0, nextBeta = 0;
    for (const std::string &name : names->strings()) {
      Activation a{name, std::nullopt, std::nullopt};
      std::string lower = llvm::StringRef(name).lower();
      bool takesAlpha = lower == "leakyrelu" || lower == "thresholdedrelu" || lower == "elu" ||
                        lower == "hardsigmoid" || lower == "affine" || lower == "scaledtanh";
      bool takesBeta = lower == "hardsigmoid" || lower == "affine" || lower == "scaledtanh";
      if (takesAlpha && alphas && nextAlpha < alphas->floats_size())
        a.alpha = alphas->floats(nextAlpha++);
      if (takesBeta && betas && nextBeta < betas->floats_size())
        a.beta = betas->floats(nextBeta++);
      activations.push_back(a);
    }
  } else {
    for (int64_t d = 0; d < directions; ++d)
      for (llvm::StringRef name : defaults)
        activations.push_back({name.str(), std::nullopt, std::nullopt});
  }

  if (n.input(4)) {
    if (!n.constantInput(4))
      return n.requireConstant(4, "sequence_lens");
    FailureOr<llvm::SmallVector<int64_t>> lens = n.constantInts(4, "sequence_lens");
    if (failed(lens))
      return failure();
    if (static_cast<int64_t>(lens->size()) != batch)
      return n.error() << "sequence_lens has " << lens->size() << " entries for a batch of "
                       << batch;
    for (int64_t length : *lens)
      if (length < 0 || length > steps)
        return n.error() << "sequence length " << length << " is outside [0, " << steps << "]";
    if (llvm::any_of(*lens, [&](int64_t length) { return length != steps; }))
      lengths = *lens;
  }

  // Time-major from here on; states [D, B, H].
  Value xs = *x;
  if (layout == 1) {
    onnx::AttributeProto perm = intsAttribute("perm", {1, 0, 2});
    FailureOr<Value> t = s.op(convertTranspose, "Transpose", {xs}, {&perm});
    if (failed(t))
      return failure();
    xs = *t;
    for (Value *state : {&initialH, &initialC}) {
      if (!*state)
        continue;
      FailureOr<Value> ts = s.op(convertTranspose, "Transpose", {*state}, {&perm});
      if (failed(ts))
        return failure();
      *state = *ts;
    }
  }
  llvm::SmallVector<Value> ys, yhs, ycs;
  for (int64_t d = 0; d < directions; ++d) {
    Value y, yh, yc;
    bool reverse = dir == "reverse" || d == 1;
    if (failed(runDirection(d, reverse, xs, y, yh, yc)))
      return failure();
    ys.push_back(y), yhs.push_back(yh), ycs.push_back(yc);
  }
  auto concat = [&](llvm::ArrayRef<Value> parts, int64_t axis) -> FailureOr<Value> {
    if (parts.size() == 1)
      return parts[0];
    onnx::AttributeProto a = intAttribute("axis", axis);
    return s.op(convertConcat, "Concat", parts, {&a});
  };
  FailureOr<Value> y = concat(ys, 1), yh = concat(yhs, 0);
  if (failed(y) || failed(yh))
    return failure();
  FailureOr<Value> yc = cell == Cell::lstm ? concat(ycs, 0) : FailureOr<Value>(Value());
  if (failed(yc))
    return failure();
  if (layout == 1) {
    onnx::AttributeProto yPerm = intsAttribute("perm", {2, 0, 1, 3}),
                         statePerm = intsAttribute("perm", {1, 0, 2});
    y = s.op(convertTranspose, "Transpose", {*y}, {&yPerm});
    yh = s.op(convertTranspose, "Transpose", {*yh}, {&statePerm});
    if (failed(y) || failed(yh))
      return failure();
    if (*yc) {
      yc = s.op(convertTranspose, "Transpose", {*yc}, {&statePerm});
      if (failed(yc))
        return failure();
    }
  }
  n.setOutput(0, *y);
  n.setOutput(1, *yh);
  if (cell == Cell::lstm)
    n.setOutput(2, *yc);
  return success();
}

} // namespace

LogicalResult onnx_import::convertRNN(NodeImporter &n) {
  return RecurrentImporter(n, Cell::rnn).convert();
}
LogicalResult onnx_import::convertGRU(NodeImporter &n) {
  return RecurrentImporter(n, Cell::gru).convert();
}
LogicalResult onnx_import::convertLSTM(NodeImporter &n) {
  return RecurrentImporter(n, Cell::lstm).convert();
}
