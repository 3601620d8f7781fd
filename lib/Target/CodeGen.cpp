//===- CodeGen.cpp - LLVM code generation and the C entry point -----------===//

#include "tinyc/Target/CodeGen.h"
#include "tinyc_abi.h"

#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Linker/Linker.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Triple.h"
#include "llvm/Transforms/Instrumentation/AddressSanitizer.h"
#include "llvm/Transforms/Utils/Cloning.h"

#include <functional>

using namespace mlir;
using namespace mlir::tinyc;

namespace {

/// The target's triple in LLVM's normal form (arch-vendor-os-environment), as clang and llc
/// hand it to LLVM. llvm::Triple reads "thumbv6m-none-eabi" as it stands: "eabi" in the OS
/// place, no environment, so not an AEABI target, and soft-float operations became calls to
/// __addsf3 & co., which libgcc has for armv7-m but not for armv6-m (only __aeabi_fadd).
std::string normalizedTriple(const TargetInfo &target) {
  return llvm::Triple::normalize(target.triple);
}

std::unique_ptr<llvm::TargetMachine> createTargetMachine(const TargetInfo &target, char optLevel,
                                                         std::string &error) {
  static const bool initialized = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    // The runtime bitcode linked into each model carries inline asm (e.g. VRINTN on Cortex-M7).
    llvm::InitializeAllAsmParsers();
    return true;
  }();
  (void)initialized;
  const std::string tripleName = normalizedTriple(target);
  const llvm::Target *llvmTarget = llvm::TargetRegistry::lookupTarget(tripleName, error);
  if (!llvmTarget)
    return nullptr;
  llvm::TargetOptions options;
  if (target.floatABI == "hard")
    options.FloatABIType = llvm::FloatABI::Hard;
  else if (target.floatABI == "soft" || target.floatABI == "softfp")
    options.FloatABIType = llvm::FloatABI::Soft; // softfp: FPU instructions, soft-float calls
  options.MCOptions.ABIName = target.abi;
  // Hosted (Linux) objects end up in position-independent executables; bare
  // metal firmware is linked at fixed addresses.
  llvm::Triple triple(tripleName);
  llvm::Reloc::Model reloc = triple.isOSLinux() ? llvm::Reloc::PIC_ : llvm::Reloc::Static;
  llvm::CodeGenOptLevel level = optLevel == '0'   ? llvm::CodeGenOptLevel::None
                                : optLevel == '1' ? llvm::CodeGenOptLevel::Less
                                : optLevel == '3' ? llvm::CodeGenOptLevel::Aggressive
                                                  : llvm::CodeGenOptLevel::Default;
  return std::unique_ptr<llvm::TargetMachine>(llvmTarget->createTargetMachine(
      tripleName, target.cpu, target.features, options, reloc, std::nullopt, level));
}

/// Links the runtime's bitcode; what the model does not call is dropped, the
/// rest becomes internal to the object.
LogicalResult linkRuntime(llvm::Module &module, const TargetInfo &target, Location loc) {
  auto buffer = llvm::MemoryBuffer::getMemBuffer(target.runtimeBitcode, "tinyc-runtime",
                                                 /*RequiresNullTerminator=*/false);
  llvm::Expected<std::unique_ptr<llvm::Module>> runtime =
      llvm::parseBitcodeFile(buffer->getMemBufferRef(), module.getContext());
  if (!runtime)
    return emitError(loc) << "cannot read the embedded runtime: "
                          << llvm::toString(runtime.takeError());
  (*runtime)->setTargetTriple(module.getTargetTriple());
  (*runtime)->setDataLayout(module.getDataLayout());
  // The runtime was compiled for the same CPU, and with -fno-builtin only so
  // that clang would not turn it into libm calls; without these attributes
  // (which the generated code lacks) nothing stands in the way of inlining it.
  for (llvm::Function &f : **runtime) {
    f.removeFnAttr("target-cpu");
    f.removeFnAttr("target-features");
    f.removeFnAttr("tune-cpu");
    f.removeFnAttr("no-builtins");
  }
  if (llvm::Linker::linkModules(module, std::move(*runtime), llvm::Linker::LinkOnlyNeeded))
    return emitError(loc) << "cannot link the runtime into the model";
  return success();
}

/// int <name>_run(const void *const inputs[], void *const outputs[], void *arena)
void createEntryPoint(llvm::Module &module, llvm::Function &impl, llvm::StringRef name,
                      unsigned numInputs, unsigned numOutputs, unsigned arenaAlign) {
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  llvm::Type *i32 = llvm::Type::getInt32Ty(ctx);
  auto *type = llvm::FunctionType::get(i32, {ptr, ptr, ptr}, false);
  auto *entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                       (name + "_run").str(), module);
  llvm::Argument *inputs = entry->getArg(0), *outputs = entry->getArg(1), *arena = entry->getArg(2);
  inputs->setName("inputs");
  outputs->setName("outputs");
  arena->setName("arena");
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  llvm::BasicBlock *run = llvm::BasicBlock::Create(ctx, "run", entry);
  llvm::BasicBlock *misaligned = llvm::BasicBlock::Create(ctx, "misaligned", entry);
  llvm::Type *intPtr = module.getDataLayout().getIntPtrType(ctx);
  llvm::Value *low = b.CreateAnd(b.CreatePtrToInt(arena, intPtr), arenaAlign - 1);
  b.CreateCondBr(b.CreateICmpEQ(low, llvm::ConstantInt::get(intPtr, 0)), run, misaligned);
  b.SetInsertPoint(misaligned);
  b.CreateRet(llvm::ConstantInt::get(i32, TINYC_ABI_RUN_MISALIGNED_ARENA));
  b.SetInsertPoint(run);
  llvm::SmallVector<llvm::Value *> args;
  for (unsigned i = 0; i < numInputs; ++i)
    args.push_back(b.CreateLoad(ptr, b.CreateConstGEP1_32(ptr, inputs, i)));
  for (unsigned i = 0; i < numOutputs; ++i)
    args.push_back(b.CreateLoad(ptr, b.CreateConstGEP1_32(ptr, outputs, i)));
  args.push_back(arena);
  b.CreateCall(&impl, args);
  b.CreateRet(llvm::ConstantInt::get(i32, TINYC_ABI_RUN_OK));
}

llvm::OptimizationLevel optimizationLevel(char level) {
  switch (level) {
  case '0': return llvm::OptimizationLevel::O0;
  case '1': return llvm::OptimizationLevel::O1;
  case '3': return llvm::OptimizationLevel::O3;
  case 's': return llvm::OptimizationLevel::Os;
  case 'z': return llvm::OptimizationLevel::Oz;
  default: return llvm::OptimizationLevel::O2;
  }
}

void optimize(llvm::Module &module, llvm::TargetMachine &tm, char level, bool sanitizeAddress) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::OptimizationLevel opt = optimizationLevel(level);
  // PassBuilder's defaults leave the SLP vectorizer off; clang turns it on itself for -O2,
  // -O3, -Os and -Oz, which are the levels whose speedup level is 2 or more. tinyc's loop nests keep several independent accumulators per iteration
  // (register blocking over output channels), which only SLP packs into vectors: without it
  // a Cortex-M55 runs the float convolutions with scalar VFMA, not MVE's vector VFMA.
  llvm::PipelineTuningOptions tuning;
  tuning.SLPVectorization = opt.getSpeedupLevel() >= 2;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  if (sanitizeAddress)
    pb.registerOptimizerLastEPCallback([](llvm::ModulePassManager &mpm, llvm::OptimizationLevel) {
      mpm.addPass(llvm::AddressSanitizerPass(llvm::AddressSanitizerOptions()));
    });
  llvm::ModulePassManager mpm = opt == llvm::OptimizationLevel::O0
                                    ? pb.buildO0DefaultPipeline(opt)
                                    : pb.buildPerModuleDefaultPipeline(opt);
  mpm.run(module, mam);
}

/// The defined functions each defined function of `module` calls directly. Sets
/// `unbounded` to why no stack bound exists if a call has no known callee.
llvm::StringMap<std::vector<std::string>> callGraph(llvm::Module &module, std::string &unbounded) {
  llvm::StringMap<std::vector<std::string>> callees;
  for (llvm::Function &f : module) {
    if (f.isDeclaration())
      continue;
    std::vector<std::string> &list = callees[f.getName()];
    for (llvm::Instruction &i : llvm::instructions(f)) {
      auto *call = llvm::dyn_cast<llvm::CallBase>(&i);
      if (!call || call->isInlineAsm())
        continue;
      llvm::Function *callee = call->getCalledFunction();
      if (!callee)
        unbounded = ("function " + f.getName() + " makes an indirect call").str();
      else if (!callee->isDeclaration())
        list.push_back(callee->getName().str());
    }
  }
  return callees;
}

/// Frame bytes by function, read from the file that the AsmPrinter writes for
/// TargetOptions::StackUsageOutput, one line per machine function:
/// "<module>:<function>\t<bytes>\t<static|dynamic>". The module name (the
/// model's C name) has no colon.
llvm::StringMap<int64_t> readFrameSizes(llvm::StringRef path, std::string &unbounded) {
  llvm::StringMap<int64_t> frames;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> text = llvm::MemoryBuffer::getFile(path);
  if (!text) {
    unbounded = "the code generator wrote no frame sizes";
    return frames;
  }
  llvm::SmallVector<llvm::StringRef> lines;
  (*text)->getBuffer().split(lines, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef line : lines) {
    auto [where, rest] = line.split('\t');
    auto [bytes, kind] = rest.split('\t');
    llvm::StringRef function = where.split(':').second;
    int64_t size = 0;
    if (bytes.getAsInteger(10, size) || kind.trim() != "static") {
      unbounded = ("function " + function + " has a frame of run-time size").str();
      continue;
    }
    frames[function] = size;
  }
  return frames;
}

/// The deepest path from `entry` through the call graph, each function with
/// its frame (and `returnAddress` bytes for the call that entered it), and
/// `external` bytes below every function for what it may call outside the
/// object or what the code generator added (libcalls, outlined code).
std::optional<int64_t> deepestPath(llvm::StringRef entry,
                                   const llvm::StringMap<std::vector<std::string>> &callees,
                                   const llvm::StringMap<int64_t> &frames, int64_t returnAddress,
                                   int64_t external, std::string &unbounded) {
  llvm::StringMap<int64_t> depth;
  llvm::StringSet<> active;
  std::function<std::optional<int64_t>(llvm::StringRef)> visit =
      [&](llvm::StringRef f) -> std::optional<int64_t> {
    if (auto known = depth.find(f); known != depth.end())
      return known->second;
    if (!active.insert(f).second) {
      unbounded = ("function " + f + " is recursive").str();
      return std::nullopt;
    }
    auto frame = frames.find(f);
    if (frame == frames.end()) {
      unbounded = ("function " + f + " has no frame size").str();
      return std::nullopt;
    }
    int64_t below = external;
    if (auto list = callees.find(f); list != callees.end())
      for (const std::string &callee : list->second) {
        std::optional<int64_t> d = visit(callee);
        if (!d)
          return std::nullopt;
        below = std::max(below, *d);
      }
    active.erase(f);
    return depth[f] = frame->second + returnAddress + below;
  };
  return visit(entry);
}

/// Whether an object file refers to a symbol it does not define: a routine outside it that
/// its code may call. Unreadable counts as yes.
bool callsOutside(llvm::StringRef object) {
  llvm::Expected<std::unique_ptr<llvm::object::ObjectFile>> file =
      llvm::object::ObjectFile::createObjectFile(llvm::MemoryBufferRef(object, "object"));
  if (!file) {
    llvm::consumeError(file.takeError());
    return true;
  }
  for (const llvm::object::SymbolRef &symbol : (*file)->symbols()) {
    llvm::Expected<uint32_t> flags = symbol.getFlags();
    if (!flags) {
      llvm::consumeError(flags.takeError());
      return true;
    }
    if (*flags & llvm::object::SymbolRef::SF_Undefined)
      return true;
  }
  return false;
}

} // namespace

LogicalResult tinyc::generateCode(ModuleOp module, const TargetInfo &target,
                                  const CodeGenOptions &options, llvm::raw_pwrite_stream &os,
                                  CodeGenResult *result) {
  Location loc = module.getLoc();
  std::string error;
  std::unique_ptr<llvm::TargetMachine> tm = createTargetMachine(target, options.optLevel, error);
  if (!tm)
    return emitError(loc) << "cannot generate code for " << normalizedTriple(target) << ": " << error;

  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, context, options.name);
  if (!llvmModule)
    return emitError(loc) << "cannot translate the model to LLVM IR";
  llvmModule->setTargetTriple(normalizedTriple(target));
  llvmModule->setDataLayout(tm->createDataLayout());
  llvmModule->setSourceFileName(options.name);

  llvm::Function *impl = llvmModule->getFunction("main");
  if (!impl)
    return emitError(loc) << "the lowered model has no @main";
  // Parameters: inputs, outputs, arena.
  if (impl->arg_size() != options.numInputs + options.numOutputs + 1)
    return emitError(loc) << "the lowered model takes " << impl->arg_size()
                          << " buffers, not the inputs, outputs and arena of its interface";
  impl->setName(options.name + "_impl");
  impl->setLinkage(llvm::GlobalValue::InternalLinkage);
  // The interface promises buffers that do not overlap.
  for (llvm::Argument &arg : impl->args())
    arg.addAttr(llvm::Attribute::NoAlias);

  if (failed(linkRuntime(*llvmModule, target, loc)))
    return failure();
  createEntryPoint(*llvmModule, *impl, options.name, options.numInputs, options.numOutputs,
                   target.arenaAlign);
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    if (&f != llvmModule->getFunction(options.name + "_run"))
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
    // No exceptions cross generated code; without this, Arm objects would
    // need the C++ unwinder's personality routine.
    f.addFnAttr(llvm::Attribute::NoUnwind);
    if (options.sanitizeAddress)
      f.addFnAttr(llvm::Attribute::SanitizeAddress);
  }
  optimize(*llvmModule, *tm, options.optLevel, options.sanitizeAddress);

  auto emitFile = [&](llvm::Module &m, llvm::raw_pwrite_stream &out,
                      llvm::CodeGenFileType type) -> LogicalResult {
    llvm::legacy::PassManager codegen;
    if (tm->addPassesToEmitFile(codegen, out, nullptr, type))
      return emitError(loc) << "the target cannot emit this kind of file";
    codegen.run(m);
    return success(); // the AsmPrinter, which closes a frame size file, is gone
  };
  auto fileType = options.emit == EmitKind::Assembly ? llvm::CodeGenFileType::AssemblyFile
                                                      : llvm::CodeGenFileType::ObjectFile;
  if (options.emit == EmitKind::LLVMIR)
    llvmModule->print(os, nullptr);
  if (!result)
    return options.emit == EmitKind::LLVMIR ? success() : emitFile(*llvmModule, os, fileType);

  std::string unbounded;
  llvm::StringMap<std::vector<std::string>> callees = callGraph(*llvmModule, unbounded);
  // The bound is read off the object, which also says whether anything outside it can be
  // called; assembly is generated from a copy of the module, as code generation changes it.
  std::unique_ptr<llvm::Module> forAssembly;
  if (options.emit == EmitKind::Assembly)
    forAssembly = llvm::CloneModule(*llvmModule);
  // The AsmPrinter writes each machine function's frame size to a file (as clang's
  // -fstack-usage); no other interface gives them out of the legacy code generation pipeline.
  llvm::SmallString<128> framesPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("tinyc-frames", "su", framesPath))
    return emitError(loc) << "cannot create a temporary file: " << ec.message();
  llvm::FileRemover removeFrames(framesPath);
  llvm::SmallString<0> object;
  llvm::raw_svector_ostream objectStream(object);
  tm->Options.StackUsageOutput = std::string(framesPath);
  LogicalResult emitted = emitFile(*llvmModule, objectStream, llvm::CodeGenFileType::ObjectFile);
  tm->Options.StackUsageOutput.clear();
  if (failed(emitted))
    return failure();
  if (options.emit == EmitKind::Object)
    os << object;
  else if (forAssembly && failed(emitFile(*forAssembly, os, fileType)))
    return failure();

  llvm::StringMap<int64_t> frames = readFrameSizes(framesPath, unbounded);
  // x86-64's call pushes the return address, which no frame size counts; Arm
  // and RISC-V keep it in a register, which a frame that saves it counts.
  llvm::Triple triple(normalizedTriple(target));
  int64_t returnAddress = triple.isX86() ? target.pointerBits / 8 : 0;
  // Functions of the object that are not in the IR's call graph are the code
  // generator's own (the machine outliner's): any function may call them.
  int64_t outside = callsOutside(object) ? target.externalStackBytes : 0, external = outside;
  for (const auto &frame : frames)
    if (!callees.count(frame.getKey()))
      external = std::max(external, frame.getValue() + returnAddress + outside);
  // The System V x86-64 ABI lets a leaf function use the 128 bytes below its stack pointer
  // (the red zone), which its frame size leaves out.
  if (triple.getArch() == llvm::Triple::x86_64 && !triple.isOSWindows())
    external = std::max<int64_t>(external, 128);
  std::optional<int64_t> bound = deepestPath(options.name + "_run", callees, frames, returnAddress,
                                             external, unbounded);
  if (unbounded.empty())
    result->stackBytes = bound;
  else
    emitWarning(loc) << "no stack bound: " << unbounded;
  return success();
}
