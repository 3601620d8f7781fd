//===- Header.cpp - the generated C header --------------------------------===//

#include "tinyc/Target/Header.h"

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Dialect/TinycShapes.h"
#include "tinyc/Transforms/Passes.h"
#include "tinyc_abi.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cstdio>

using namespace mlir;
using namespace mlir::tinyc;

namespace {

/// ONNX TensorProto.DataType code and C type of a tinyc element type.
std::pair<int, const char *> describeElementType(Type t) {
  if (t.isF32()) return {1, "float"};
  if (t.isF64()) return {11, "double"};
  if (t.isInteger(1)) return {9, "uint8_t"};
  if (t.isUnsignedInteger(8)) return {2, "uint8_t"};
  if (t.isSignlessInteger(8)) return {3, "int8_t"};
  if (t.isUnsignedInteger(16)) return {4, "uint16_t"};
  if (t.isSignlessInteger(16)) return {5, "int16_t"};
  if (t.isSignlessInteger(32)) return {6, "int32_t"};
  if (t.isSignlessInteger(64)) return {7, "int64_t"};
  if (t.isUnsignedInteger(32)) return {12, "uint32_t"};
  if (t.isUnsignedInteger(64)) return {13, "uint64_t"};
  return {0, nullptr};
}

/// Words a parameter of the typed wrapper must not be spelled as: the keywords of C (up to C23)
/// and C++ (up to C++20, with the alternative tokens), and what <stddef.h> and <stdint.h>
/// define that is not caught by the patterns in isReserved.
bool isKeywordOrLibraryName(llvm::StringRef id) {
  static const llvm::StringSet<> words = {
      // C
      "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
      "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
      "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
      "union", "unsigned", "void", "volatile", "while", "alignas", "alignof", "bool",
      "constexpr", "false", "nullptr", "static_assert", "thread_local", "true", "typeof",
      "typeof_unqual",
      // C++
      "and", "and_eq", "asm", "bitand", "bitor", "catch", "char8_t", "char16_t", "char32_t",
      "class", "compl", "concept", "consteval", "constinit", "const_cast", "co_await",
      "co_return", "co_yield", "decltype", "delete", "dynamic_cast", "explicit", "export",
      "friend", "mutable", "namespace", "new", "noexcept", "not", "not_eq", "operator", "or",
      "or_eq", "private", "protected", "public", "reinterpret_cast", "requires", "static_cast",
      "template", "this", "throw", "try", "typeid", "typename", "using", "virtual", "wchar_t",
      "xor", "xor_eq",
      // <stddef.h>, <stdint.h>
      "NULL", "offsetof", "unreachable"};
  return words.contains(id);
}

/// A spelling the typed wrapper cannot use for a parameter: a keyword or library name, a
/// type name (`*_t`, which POSIX reserves too), a <stdint.h> limit or constant macro
/// (INT8_MAX, UINT64_C, SIZE_MAX, ...), the header's own identifiers (the wrapper's locals
/// `inputs`, `outputs`, `arena`, the functions `<name>_run`, `<name>_invoke` and the layer
/// markers). Appending "_" makes any of them free.
bool isReserved(llvm::StringRef id, llvm::StringRef lower) {
  if (isKeywordOrLibraryName(id) || id.ends_with("_t") || id.ends_with("_MAX") ||
      id.ends_with("_MIN") || id.ends_with("_C") || id.ends_with("_WIDTH"))
    return true;
  return id == "inputs" || id == "outputs" || id == "arena" ||
         id == TINYC_ABI_STR(TINYC_ABI_LAYER_BEGIN) || id == TINYC_ABI_STR(TINYC_ABI_LAYER_END) ||
         id == (lower + "_run").str() ||
         id == (lower + "_invoke").str();
}

/// A C identifier made from an ONNX name ("input_1:0" -> "input_1_0"); one that would start
/// with a digit or an underscore (reserved to the implementation) gets the prefix "t_".
std::string identifier(llvm::StringRef name) {
  std::string id;
  for (char c : name)
    id += llvm::isAlnum(c) ? c : '_';
  if (id.empty() || llvm::isDigit(id.front()) || id.front() == '_')
    id.insert(0, "t_");
  return id;
}

/// The parameter names of the typed wrapper, inputs then outputs (docs/INTERFACE.md, "Names"):
/// each tensor's identifier(), with "t_" in front if it starts like the header's macros
/// (`<NAME>_`), then "_in<i>" or "_out<i>" appended if an earlier tensor has it, then "_"
/// appended while it is reserved or an earlier tensor's.
std::vector<std::string> parameterNames(const ModelInterface &model, llvm::StringRef lower,
                                        llvm::StringRef upper) {
  std::vector<std::string> names;
  llvm::StringSet<> used;
  auto add = [&](const TensorInterface &t, std::string suffix) {
    std::string id = identifier(t.name);
    if (llvm::StringRef(id).starts_with((upper + "_").str()))
      id.insert(0, "t_");
    if (used.contains(id))
      id += suffix;
    while (used.contains(id) || isReserved(id, lower))
      id += "_";
    used.insert(id);
    names.push_back(id);
  };
  for (auto [i, t] : llvm::enumerate(model.inputs))
    add(t, "_in" + std::to_string(i));
  for (auto [i, t] : llvm::enumerate(model.outputs))
    add(t, "_out" + std::to_string(i));
  return names;
}

/// A C string literal.
std::string quoted(llvm::StringRef text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (llvm::isPrint(c))
      out += c;
    else {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\%03o", static_cast<unsigned char>(c));
      out += escaped;
    }
  }
  return out + "\"";
}

FailureOr<TensorInterface> describeTensor(Location loc, Type type, Attribute name) {
  auto tensor = cast<RankedTensorType>(type);
  auto [onnxType, cType] = describeElementType(tensor.getElementType());
  if (!cType)
    return emitError(loc) << "graph input or output of type " << type
                          << " has no C type in the generated interface";
  TensorInterface t;
  t.name = name ? cast<StringAttr>(name).str() : "";
  t.onnxType = onnxType;
  t.cType = cType;
  t.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  std::optional<int64_t> bytes = getCheckedByteSize(tensor.getShape(), tensor.getElementType());
  if (!bytes)
    return emitError(loc) << "graph input or output of type " << type
                          << " has more bytes than 64 bits can count";
  t.bytes = *bytes;
  return t;
}

} // namespace

FailureOr<ModelInterface>
tinyc::describeInterface(func::FuncOp main, llvm::StringRef name, const TargetInfo &target,
                         llvm::function_ref<std::string(Location)> describeLocation) {
  ModelInterface model;
  model.name = name.str();
  auto arena = main->getAttrOfType<IntegerAttr>(kArenaBytesAttr);
  if (!arena)
    return main.emitError() << "has no arena size (tinyc-plan-memory must run first)";
  model.arenaBytes = arena.getInt();
  model.arenaAlign = target.arenaAlign;
  if (auto redzones = main->getAttrOfType<DenseI64ArrayAttr>(kArenaRedzonesAttr)) {
    llvm::ArrayRef<int64_t> flat = redzones.asArrayRef();
    if (flat.size() % 2)
      return main.emitError() << "has an odd number of red zone bounds";
    model.hasArenaRedzones = true;
    for (size_t i = 0; i < flat.size(); i += 2)
      model.arenaRedzones.push_back({flat[i], flat[i + 1]});
  }
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    FailureOr<TensorInterface> t = describeTensor(main.getLoc(), main.getArgumentTypes()[i],
                                                  main.getArgAttr(i, kNameAttr));
    if (failed(t))
      return failure();
    model.inputs.push_back(*t);
  }
  for (unsigned i = 0; i < main.getNumResults(); ++i) {
    FailureOr<TensorInterface> t = describeTensor(main.getLoc(), main.getResultTypes()[i],
                                                  main.getResultAttr(i, kNameAttr));
    if (failed(t))
      return failure();
    model.outputs.push_back(*t);
  }
  main.walk([&](Operation *op) {
    if (!op->hasAttr(kLayerAttr))
      return;
    LayerInterface layer;
    layer.node = describeLocation(op->getLoc());
    llvm::raw_string_ostream os(layer.op);
    os << op->getName().stripDialect() << " "
       << formatShape(cast<RankedTensorType>(op->getResult(0).getType()).getShape());
    layer.macs = getMacCount(op);
    model.layers.push_back(layer);
  });
  return model;
}

void tinyc::writeHeader(const ModelInterface &model, llvm::StringRef source,
                        const TargetInfo &target, llvm::raw_ostream &os) {
  std::string lower = model.name, upper = llvm::StringRef(model.name).upper();
  os << "/* " << lower << ".h: the interface of the model compiled from " << source << "\n"
     << " * by tinyc for " << target.name
     // an FPU target compiled for another float ABI: the firmware must use the same
     << (!target.softFloatRuntimeBitcode.empty() && target.floatABI != "hard"
             ? " with -mfloat-abi=" + target.floatABI
             : std::string())
     << ". Generated; do not edit. */\n"
     << "#ifndef " << upper << "_H\n#define " << upper << "_H\n\n"
     << "#include <stddef.h>\n#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n"
     << "/* Scratch memory one call needs, and the alignment it must have. */\n"
     << "#define " << upper << "_ARENA_BYTES " << model.arenaBytes << "\n"
     << "#define " << upper << "_ARENA_ALIGN " << model.arenaAlign << "\n"
     << "#define " << upper << "_NUM_INPUTS " << model.inputs.size() << "\n"
     << "#define " << upper << "_NUM_OUTPUTS " << model.outputs.size() << "\n";
  if (model.stackBytes)
    os << "\n/* An upper bound of the stack bytes one call of " << lower << "_run uses\n"
       << " * (interrupts aside), from the stack pointer at the call down. */\n"
       << "#define " << upper << "_STACK_BYTES " << *model.stackBytes << "\n";
  if (model.hasArenaRedzones) {
    os << "\n/* Compiled with -sanitize=address: gaps between the arena's tensors, as\n"
       << " * {offset, bytes}, that no tensor ever uses; a harness poisons them\n"
       << " * (__asan_poison_memory_region) so that an overrun into them is reported. */\n"
       << "#define " << upper << "_NUM_ARENA_REDZONES " << model.arenaRedzones.size() << "\n";
    if (!model.arenaRedzones.empty())
      os << "#define " << upper << "_ARENA_REDZONES {"
         << llvm::join(llvm::map_range(model.arenaRedzones,
                                       [](const std::pair<int64_t, int64_t> &r) {
                                         return "{" + std::to_string(r.first) + ", " +
                                                std::to_string(r.second) + "}";
                                       }),
                       ", ")
         << "}\n";
  }

  auto describe = [&](llvm::StringRef kind, const std::vector<TensorInterface> &tensors) {
    for (auto [i, t] : llvm::enumerate(tensors)) {
      std::string prefix = (upper + "_" + kind + std::to_string(i) + "_").str();
      os << "\n/* " << llvm::StringRef(kind).lower() << " " << i << ": " << t.name << " */\n"
         << "#define " << prefix << "NAME " << quoted(t.name) << "\n"
         << "#define " << prefix << "ONNX_TYPE " << t.onnxType << "\n"
         << "#define " << prefix << "CTYPE " << t.cType << "\n"
         << "#define " << prefix << "RANK " << t.shape.size() << "\n";
      if (!t.shape.empty())
        os << "#define " << prefix << "DIMS {" << llvm::join(llvm::map_range(t.shape, [](int64_t d) {
             return std::to_string(d);
           }), ", ") << "}\n";
      // describeTensor checked the byte size, so the count cannot overflow.
      int64_t count = getCheckedNumElements(t.shape).value_or(-1);
      os << "#define " << prefix << "COUNT " << count << "\n"
         << "#define " << prefix << "BYTES " << t.bytes << "\n";
    }
  };
  describe("INPUT", model.inputs);
  describe("OUTPUT", model.outputs);

  auto list = [&](llvm::StringRef kind, const std::vector<TensorInterface> &tensors,
                  bool types) {
    os << "#define " << upper << "_" << kind << (types ? "_ONNX_TYPES {" : "_BYTES {");
    for (auto [i, t] : llvm::enumerate(tensors))
      os << (i ? ", " : "") << (types ? std::to_string(t.onnxType) : std::to_string(t.bytes));
    os << "}\n";
  };
  os << "\n/* The same facts as lists in graph order, for generic harnesses. */\n";
  list("INPUT", model.inputs, false);
  list("OUTPUT", model.outputs, false);
  list("INPUT", model.inputs, true);
  list("OUTPUT", model.outputs, true);

  if (!model.layers.empty()) {
    llvm::StringRef begin = TINYC_ABI_STR(TINYC_ABI_LAYER_BEGIN),
                    end = TINYC_ABI_STR(TINYC_ABI_LAYER_END);
    os << "\n/* Layers: the code calls " << begin << "(i) before layer i and\n"
       << " * " << end << "() after it (compiled with --layer-markers). */\n"
       << "#define " << upper << "_NUM_LAYERS " << model.layers.size() << "\n";
    for (auto [i, layer] : llvm::enumerate(model.layers))
      os << "#define " << upper << "_LAYER" << i << "_NODE " << quoted(layer.node) << "\n"
         << "#define " << upper << "_LAYER" << i << "_OP " << quoted(layer.op) << "\n"
         << "#define " << upper << "_LAYER" << i << "_MACS " << layer.macs << "\n";
    os << "void " << begin << "(int32_t layer);\nvoid " << end << "(void);\n";
  }

  os << "\n/* Runs the model: reads inputs[i], writes outputs[i], uses `arena` as\n"
     << " * scratch. Buffers must not overlap; each is row-major in the tensor's own\n"
     << " * element type and aligned for it. Reentrant: no allocation, no state kept\n"
     << " * between calls. Returns " << TINYC_ABI_RUN_OK << ", or " << TINYC_ABI_RUN_MISALIGNED_ARENA
     << " if the arena is misaligned. */\n"
     << "int " << lower << "_run(const void *const inputs[], void *const outputs[], void *arena);\n";

  // Typed wrapper: one pointer per tensor, named after it.
  std::vector<std::string> names = parameterNames(model, lower, upper), params;
  std::vector<std::string> inputNames(names.begin(), names.begin() + model.inputs.size());
  std::vector<std::string> outputNames(names.begin() + model.inputs.size(), names.end());
  for (auto [i, t] : llvm::enumerate(model.inputs))
    params.push_back("const " + t.cType + " *" + inputNames[i]);
  for (auto [i, t] : llvm::enumerate(model.outputs))
    params.push_back(t.cType + " *" + outputNames[i]);
  params.push_back("void *arena");
  os << "\n/* The same with typed arguments. */\n"
     << "static inline int " << lower << "_invoke(" << llvm::join(params, ", ") << ") {\n"
     << "  const void *const inputs[] = {"
     << (inputNames.empty() ? "0" : llvm::join(inputNames, ", ")) << "};\n"
     << "  void *const outputs[] = {" << (outputNames.empty() ? "0" : llvm::join(outputNames, ", "))
     << "};\n"
     << "  return " << lower << "_run(inputs, outputs, arena);\n}\n"
     << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif /* " << upper << "_H */\n";
}
