//===- Target.cpp - the embedded target descriptions ----------------------===//

#include "tinyc/Target/Target.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/JSON.h"

using namespace mlir::tinyc;

namespace {

struct EmbeddedTarget {
  const char *json;
  const unsigned char *runtime;
  size_t runtimeSize;
  const unsigned char *softRuntime; // null where the target has no FPU to do without
  size_t softRuntimeSize;
};

#include "EmbeddedTargets.inc"

TargetInfo parseTarget(const EmbeddedTarget &embedded) {
  llvm::Expected<llvm::json::Value> parsed = llvm::json::parse(embedded.json);
  if (!parsed)
    llvm::report_fatal_error(llvm::Twine("embedded target description is not valid JSON: ") +
                             llvm::toString(parsed.takeError()));
  const llvm::json::Object &root = *parsed->getAsObject();
  const llvm::json::Object *llvmPart = root.getObject("llvm");
  const llvm::json::Object *codegen = root.getObject("codegen");
  if (!llvmPart || !codegen)
    llvm::report_fatal_error("embedded target description lacks \"llvm\" or \"codegen\"");
  auto str = [](const llvm::json::Object &o, llvm::StringRef key) {
    return o.getString(key).value_or("").str();
  };
  TargetInfo t;
  t.name = str(root, "name");
  t.description = str(root, "description");
  t.triple = str(*llvmPart, "triple");
  t.cpu = str(*llvmPart, "cpu");
  t.features = str(*llvmPart, "features");
  t.floatABI = str(*llvmPart, "float_abi");
  t.abi = str(*llvmPart, "abi");
  t.pointerBits = codegen->getInteger("pointer_bits").value_or(64);
  t.arenaAlign = codegen->getInteger("arena_align").value_or(16);
  t.flashBytes = codegen->getInteger("flash_bytes").value_or(0);
  t.ramBytes = codegen->getInteger("ram_bytes").value_or(0);
  t.dsp = codegen->getBoolean("dsp").value_or(false);
  std::optional<int64_t> external = codegen->getInteger("external_stack_bytes");
  if (!external)
    llvm::report_fatal_error(llvm::Twine("target '") + t.name +
                             "' does not say codegen.external_stack_bytes");
  t.externalStackBytes = *external;
  t.fpu = codegen->getBoolean("fpu").value_or(true);
  t.runtimeBitcode = llvm::StringRef(reinterpret_cast<const char *>(embedded.runtime),
                                     embedded.runtimeSize);
  if (embedded.softRuntime)
    t.softFloatRuntimeBitcode = llvm::StringRef(
        reinterpret_cast<const char *>(embedded.softRuntime), embedded.softRuntimeSize);
  return t;
}

const llvm::StringMap<TargetInfo> &targets() {
  static const llvm::StringMap<TargetInfo> table = [] {
    llvm::StringMap<TargetInfo> result;
    for (const EmbeddedTarget &embedded : kEmbeddedTargets) {
      TargetInfo t = parseTarget(embedded);
      result[t.name] = t;
    }
    return result;
  }();
  return table;
}

} // namespace

const TargetInfo *mlir::tinyc::lookupTarget(llvm::StringRef name) {
  auto it = targets().find(name);
  return it == targets().end() ? nullptr : &it->second;
}

std::vector<std::string> mlir::tinyc::getTargetNames() {
  std::vector<std::string> names;
  for (const auto &entry : targets())
    names.push_back(entry.getKey().str());
  llvm::sort(names);
  return names;
}

std::string mlir::tinyc::setFloatABI(TargetInfo &target, llvm::StringRef floatABI) {
  if (floatABI != "hard" && floatABI != "softfp" && floatABI != "soft")
    return ("unknown float ABI '" + floatABI + "'; use hard, softfp or soft").str();
  if (target.floatABI != "hard" || target.softFloatRuntimeBitcode.empty())
    return "-mfloat-abi applies to Arm targets with an FPU (their default is hard); '" +
           target.name + "' has " +
           (target.floatABI == "soft" ? "no FPU" : "its float ABI fixed by the target");
  if (floatABI == "hard")
    return "";
  // "eabihf" names the hard-float variant of the EABI; softfp and soft objects are plain
  // EABI (no Tag_ABI_VFP_args), which a -mfloat-abi=softfp or soft firmware links with.
  llvm::StringRef triple(target.triple);
  if (triple.consume_back("hf"))
    target.triple = triple.str();
  target.floatABI = floatABI.str();
  if (floatABI == "soft") {
    // As clang does for -mfloat-abi=soft: no FP registers, hence no FPU instruction at all.
    target.features = target.features.empty() ? "-fpregs" : target.features + ",-fpregs";
    target.runtimeBitcode = target.softFloatRuntimeBitcode;
    // No FPU instruction: int8 convolutions requantize in fixed point.
    target.fpu = false;
  }
  return "";
}
