//===- tinyc.cpp - the compiler driver ------------------------------------===//
//
//   tinyc model.onnx -target=cortex-m7 -o model.o      # also writes model.h
//
// Imports the model, runs the tensor pipeline (through memory planning),
// writes the C header, lowers to LLVM and writes the object. Every output
// appears only when the whole compilation succeeded, so an error never leaves
// a half-written file (PendingFile).
//
//===----------------------------------------------------------------------===//

#include "Calibration.h"

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Import/OnnxImporter.h"
#include "tinyc/Pipeline/Pipeline.h"
#include "tinyc/Tools/SanitizerDefaults.h"
#include "tinyc/Target/CodeGen.h"
#include "tinyc/Target/Header.h"
#include "tinyc/Target/Report.h"
#include "tinyc/Target/Target.h"
#include "tinyc/Transforms/Passes.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

using namespace mlir;
using namespace mlir::tinyc;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("tinyc options");

cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.onnx>"), cl::cat(category));
cl::opt<std::string> outputFile("o", cl::desc("Output file (default: the model's name with .o, "
                                              ".s, .ll or .mlir); - writes to stdout"),
                                cl::value_desc("file"), cl::cat(category));
cl::opt<std::string> targetName("target", cl::desc("Target to compile for"),
                                cl::value_desc("name"), cl::init("x86-64"), cl::cat(category));
cl::opt<std::string> floatABI(
    "mfloat-abi",
    cl::desc("Float ABI on Arm targets with an FPU: hard (the targets' default: float arguments "
             "in FPU registers), softfp (FPU instructions, arguments in core registers) or soft "
             "(no FPU instructions; libgcc's __aeabi_* routines)"),
    cl::value_desc("hard|softfp|soft"), cl::cat(category));
cl::opt<std::string> emitKind(
    "emit", cl::desc("What to write: obj (default), asm, llvm (LLVM IR), mlir (tinyc IR after "
                     "the tensor passes), mlir-import (tinyc IR as imported)"),
    cl::value_desc("kind"), cl::init("obj"), cl::cat(category));
cl::opt<std::string> modelName("name",
                               cl::desc("C name of the model: <name>_run(), <NAME>_* macros "
                                        "(default: the output file's stem)"),
                               cl::value_desc("identifier"), cl::cat(category));
cl::opt<std::string> headerFile("header",
                                cl::desc("Where to write the C header (default: next to the "
                                         "output, <name>.h); 'none' writes none"),
                                cl::value_desc("file"), cl::cat(category));
cl::list<std::string> inputShapes("input-shape",
                                  cl::desc("Fix the shape of a graph input: NAME=1x49x10x1 "
                                           "(repeatable)"),
                                  cl::value_desc("name=dims"), cl::cat(category));
cl::list<std::string> bindings("bind",
                               cl::desc("Make a graph input a compile-time constant, its value "
                                        "read from an ONNX TensorProto file (repeatable)"),
                               cl::value_desc("name=file.pb"), cl::cat(category));
cl::opt<char> optLevel("O",
                       cl::desc("Optimization level: 0, 1, 2 (default), 3, s or z (s and z: "
                                "smaller, slower loop nests)"),
                       cl::Prefix, cl::init('2'), cl::cat(category));
cl::opt<std::string> sanitize("sanitize",
                              cl::desc("Instrument the generated code: address (x86-64 only; "
                                       "link with clang -fsanitize=address)"),
                              cl::value_desc("kind"), cl::cat(category));
cl::list<std::string> disabledPasses(
    "disable-pass",
    cl::desc("Turn off an optional pass of the tensor pipeline (repeatable; see --list-passes)"),
    cl::value_desc("name"), cl::cat(category));
cl::opt<double> factorizeTolerance(
    "factorize-tolerance",
    cl::desc("Let tinyc-factorize-conv and tinyc-factorize-matrices approximate KxK "
             "convolutions and Gemm, MatMul and 1x1 weights by lower rank, within this relative "
             "weight error (default 0: exact factorizations only)"),
    cl::value_desc("eps"), cl::init(0.0), cl::cat(category));
cl::opt<std::string> sparseKernel(
    "sparse-kernel",
    cl::desc("Code for layers with zero weights: auto (the cost model, default), dense, "
             "arrays or unrolled"),
    cl::value_desc("form"), cl::init("auto"), cl::cat(category));
cl::opt<std::string> quantize(
    "quantize",
    cl::desc("Post-training quantization of a float model: int8 (per-channel symmetric int8 "
             "weights, per-tensor asymmetric int8 activations from --calibration ranges, int32 "
             "biases)"),
    cl::value_desc("int8"), cl::cat(category));
cl::opt<std::string> calibration(
    "calibration",
    cl::desc("Calibration inputs for --quantize: a folder of test_data_set_*/input_<i>.pb, or of "
             "input_<k>.pb (or .npy) files taken in graph-input order, any number of sets"),
    cl::value_desc("dir"), cl::cat(category));
cl::opt<double> calibrationPercentile(
    "calibration-percentile",
    cl::desc("Activation ranges from this percentile of the calibration values and its "
             "complement instead of min/max (in (50, 100]; default 100: min/max)"),
    cl::value_desc("p"), cl::init(100.0), cl::cat(category));
cl::opt<bool> listPasses("list-passes", cl::desc("List the optional passes and exit"),
                         cl::cat(category));
cl::opt<bool> layerMarkers("layer-markers",
                           cl::desc("Call tinyc_layer_begin(i)/tinyc_layer_end() around each "
                                    "layer, for per-layer profiling (the harness defines them)"),
                           cl::cat(category));
// Hidden: plants a bug, so that a test can check that -sanitize=address reports
// an overrun inside the arena (test/Driver/sanitize-redzones.test).
cl::opt<std::string> debugOverrun(
    "debug-overrun", cl::Hidden,
    cl::desc("Testing only: the loop of the named activation node also writes the element "
             "just past its result"),
    cl::value_desc("node"), cl::cat(category));
cl::opt<std::string> reportFormat(
    "report", cl::ValueOptional,
    cl::desc("Report per layer what the passes did: MACs and weight bytes before and after, "
             "and the flash and arena bytes (--report or --report=json; to stdout, or stderr "
             "with -o -)"),
    cl::value_desc("format"), cl::cat(category));
cl::opt<bool> listTargets("list-targets", cl::desc("List the targets and exit"),
                          cl::cat(category));
cl::opt<bool> listOps("list-ops", cl::desc("List the supported ONNX operators and exit"),
                      cl::cat(category));

/// Prints diagnostics as `file: error: node 'name' (Op): message`, one line each.
void printDiagnostic(Diagnostic &diag) {
  OnnxLocation where = describeOnnxLocation(diag.getLocation());
  llvm::raw_ostream &os = llvm::errs();
  os << (where.file.empty() ? "tinyc" : where.file) << ": ";
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    llvm::WithColor(os, llvm::HighlightColor::Error).get() << "error";
    break;
  case DiagnosticSeverity::Warning:
    llvm::WithColor(os, llvm::HighlightColor::Warning).get() << "warning";
    break;
  case DiagnosticSeverity::Remark:
    llvm::WithColor(os, llvm::HighlightColor::Remark).get() << "remark";
    break;
  default:
    llvm::WithColor(os, llvm::HighlightColor::Note).get() << "note";
  }
  os << ": ";
  if (!where.node.empty()) {
    os << "node '" << where.node << "'";
    if (!where.opType.empty())
      os << " (" << where.opType << ")";
    os << ": ";
  }
  std::string message = diag.str();
  std::replace(message.begin(), message.end(), '\n', ' ');
  os << message << "\n";
}

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "tinyc") << message << "\n";
  return 1;
}

/// A C identifier from a file stem ("kws-v2" -> "kws_v2").
std::string cName(llvm::StringRef stem) {
  std::string name;
  for (char c : stem)
    name += llvm::isAlnum(c) ? llvm::toLower(c) : '_';
  if (name.empty() || llvm::isDigit(name.front()))
    name.insert(0, "model_");
  return name;
}

/// Whether `path` is one of the kernel's names for an open descriptor
/// (/dev/stdout is a link to /proc/self/fd/1): what it names belongs to the
/// process that opened it, and replacing the file would not reach it.
bool isDescriptorAlias(llvm::StringRef path) {
  return path.starts_with("/proc/") || path.starts_with("/dev/fd/");
}

/// Follows a chain of symbolic links, also dangling ones, to the path they
/// name (relative targets are relative to the link's folder). Sets
/// `viaDescriptor` when the chain passes through a descriptor alias.
FailureOr<std::string> followLinks(llvm::StringRef path, bool *viaDescriptor = nullptr) {
  std::string current = path.str();
  for (int hops = 0; hops < 40; ++hops) {
    if (viaDescriptor && isDescriptorAlias(current))
      *viaDescriptor = true;
    llvm::sys::fs::file_status status;
    if (llvm::sys::fs::status(current, status, /*Follow=*/false) ||
        status.type() != llvm::sys::fs::file_type::symlink_file)
      return current;
    char target[4096];
    ssize_t length = ::readlink(current.c_str(), target, sizeof target);
    if (length < 0 || length == static_cast<ssize_t>(sizeof target))
      return failure();
    llvm::StringRef next(target, length);
    if (llvm::sys::path::is_absolute(next)) {
      current = next.str();
    } else {
      llvm::SmallString<256> joined(current);
      llvm::sys::path::remove_filename(joined);
      llvm::sys::path::append(joined, next);
      current = std::string(joined);
    }
  }
  return failure(); // A loop of links.
}

/// Whether `path` names something that exists and cannot be replaced by
/// renaming a file onto it: a device such as /dev/null, a FIFO, a terminal,
/// or whatever an open descriptor such as /dev/stdout refers to.
bool isSpecialFile(llvm::StringRef path) {
  llvm::sys::fs::file_status status;
  if (llvm::sys::fs::status(path, status, /*Follow=*/true))
    return false;
  if (status.type() == llvm::sys::fs::file_type::directory_file)
    return false;
  bool viaDescriptor = false;
  (void)followLinks(path, &viaDescriptor);
  return viaDescriptor || status.type() != llvm::sys::fs::file_type::regular_file;
}

/// An output that appears only when the whole compilation succeeded. A new or
/// regular file is produced in a temporary file in its folder and renamed into
/// place, so an error never leaves a half-written file; a symbolic link is
/// followed, so the file it names is replaced and the link stays. A device, a
/// FIFO or a terminal cannot be replaced (as root, renaming onto /dev/null
/// would make it a regular file): the output is kept in memory and written
/// into it on success.
struct PendingFile {
  std::string path;
  std::optional<llvm::sys::fs::TempFile> temp;
  std::optional<llvm::raw_fd_ostream> fileStream;
  llvm::SmallString<0> buffer;
  std::optional<llvm::raw_svector_ostream> bufferStream;
  bool special = false;

  LogicalResult open(llvm::StringRef given) {
    if (isSpecialFile(given)) {
      path = given.str();
      special = true;
      bufferStream.emplace(buffer);
      return success();
    }
    if (llvm::sys::fs::is_directory(given)) {
      fail("cannot write '" + given + "': it is a directory");
      return failure();
    }
    FailureOr<std::string> target = followLinks(given);
    if (failed(target)) {
      fail("cannot write '" + given + "': too many levels of symbolic links");
      return failure();
    }
    path = *target;
    llvm::SmallString<256> model(path);
    model += ".tmp-%%%%%%";
    llvm::Expected<llvm::sys::fs::TempFile> file = llvm::sys::fs::TempFile::create(model);
    if (!file) {
      fail("cannot write '" + given + "': " + llvm::toString(file.takeError()));
      return failure();
    }
    temp.emplace(std::move(*file));
    fileStream.emplace(temp->FD, /*shouldClose=*/false);
    return success();
  }
  llvm::raw_pwrite_stream &stream() {
    return special ? static_cast<llvm::raw_pwrite_stream &>(*bufferStream) : *fileStream;
  }
  LogicalResult commit() {
    if (special) {
      std::error_code ec;
      // A regular file behind a descriptor alias (-o /dev/stdout > file) is
      // truncated, as a shell's redirection would; a device is only opened.
      auto disposition = llvm::sys::fs::is_regular_file(path) ? llvm::sys::fs::CD_CreateAlways
                                                              : llvm::sys::fs::CD_OpenExisting;
      llvm::raw_fd_ostream out(path, ec, disposition, llvm::sys::fs::FA_Write,
                               llvm::sys::fs::OF_None);
      if (!ec) {
        out << buffer;
        out.flush();
        ec = out.error();
        out.clear_error();
      }
      if (ec) {
        fail("cannot write '" + path + "': " + ec.message());
        return failure();
      }
      return success();
    }
    fileStream->flush();
    if (fileStream->has_error()) {
      fail("cannot write '" + path + "': " + fileStream->error().message());
      fileStream->clear_error();
      return failure();
    }
    if (llvm::Error e = temp->keep(path)) {
      fail("cannot write '" + path + "': " + llvm::toString(std::move(e)));
      return failure();
    }
    temp.reset();
    return success();
  }
  ~PendingFile() {
    if (fileStream)
      fileStream->clear_error();
    if (temp)
      llvm::consumeError(temp->discard());
  }
};

int compile() {
  if (inputFile.empty())
    return fail("no input model; usage: tinyc model.onnx -target=NAME -o model.o (see --help)");
  const TargetInfo *known = lookupTarget(targetName);
  if (!known)
    return fail("unknown target '" + targetName + "'; known targets: " +
                llvm::join(getTargetNames(), ", "));
  TargetInfo adjusted = *known;
  if (floatABI.getNumOccurrences()) {
    std::string problem = setFloatABI(adjusted, floatABI);
    if (!problem.empty())
      return fail(problem);
  }
  const TargetInfo *target = &adjusted;
  std::optional<EmitKind> emit;
  bool emitImport = emitKind == "mlir-import";
  bool emitMLIR = emitKind == "mlir" || emitImport;
  if (emitKind == "obj")
    emit = EmitKind::Object;
  else if (emitKind == "asm")
    emit = EmitKind::Assembly;
  else if (emitKind == "llvm")
    emit = EmitKind::LLVMIR;
  else if (!emitMLIR)
    return fail("unknown -emit kind '" + emitKind + "'; use obj, asm, llvm, mlir or mlir-import");
  if (!llvm::StringRef("0123sz").contains(optLevel))
    return fail(llvm::Twine("unknown optimization level -O") + llvm::Twine(optLevel.getValue()));
  if (!sanitize.empty() && sanitize != "address")
    return fail("unknown sanitizer '" + sanitize + "'; only 'address' is supported");
  if (!sanitize.empty() && !llvm::StringRef(target->triple).contains("linux"))
    return fail("-sanitize=address needs a hosted target (x86-64, x86-64-v2), not '" + target->name + "'");

  OnnxImportOptions importOptions;
  for (const std::string &spec : inputShapes) {
    auto [name, dims] = llvm::StringRef(spec).rsplit('=');
    llvm::SmallVector<int64_t> shape;
    llvm::SmallVector<llvm::StringRef> parts;
    dims.split(parts, 'x');
    bool ok = !name.empty() && !dims.empty();
    for (llvm::StringRef part : parts) {
      int64_t d;
      ok = ok && !part.getAsInteger(10, d) && d > 0;
      shape.push_back(ok ? d : 0);
    }
    if (!ok)
      return fail("--input-shape '" + spec + "' is not NAME=DIMS with positive DIMS like 1x49x10x1");
    importOptions.inputShapes[name] = shape;
  }

  for (const std::string &spec : bindings) {
    auto [name, file] = llvm::StringRef(spec).split('=');
    if (name.empty() || file.empty())
      return fail("--bind '" + spec + "' is not NAME=FILE.pb");
    importOptions.bindings[name] = file.str();
  }

  // Output names: -o, or the model's stem with the kind's extension.
  std::string output = outputFile;
  if (output.empty()) {
    llvm::SmallString<256> path(llvm::sys::path::stem(inputFile));
    path += emitMLIR ? ".mlir"
            : *emit == EmitKind::Object   ? ".o"
            : *emit == EmitKind::Assembly ? ".s"
                                          : ".ll";
    output = std::string(path);
  }
  bool toStdout = output == "-";
  std::string name = modelName.empty()
                         ? cName(toStdout ? llvm::sys::path::stem(inputFile)
                                          : llvm::sys::path::stem(output))
                         : modelName.getValue();
  if (cName(name) != name)
    return fail("-name '" + name + "' is not a lower-case C identifier");
  std::string header = headerFile;
  // A device or FIFO has no folder to put a header in: /dev/null.h would be
  // a stray file. --header says where one goes then.
  if (header.empty() && !toStdout && !isSpecialFile(output)) {
    llvm::SmallString<256> path(output);
    llvm::sys::path::remove_filename(path);
    llvm::sys::path::append(path, name + ".h");
    header = std::string(path);
  }
  if (header == "none" || emitImport)
    header.clear();

  DialectRegistry registry;
  registerTinycDialects(registry);
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  ScopedDiagnosticHandler diagnostics(&context, [](Diagnostic &diag) {
    printDiagnostic(diag);
    return success();
  });

  if (!llvm::sys::fs::exists(inputFile))
    return fail("cannot read '" + inputFile + "': no such file");
  bool wantReport = reportFormat.getNumOccurrences() > 0;
  if (wantReport && reportFormat != "" && reportFormat != "text" && reportFormat != "json")
    return fail("--report=" + reportFormat + " is not text or json");
  if (wantReport && emitMLIR)
    return fail("--report needs code generation; it does not go with -emit=" + emitKind);

  bool wantQuantize = quantize.getNumOccurrences() > 0;
  if (wantQuantize && quantize != "int8")
    return fail("--quantize=" + quantize + " is not int8");
  if (wantQuantize && calibration.empty())
    return fail("--quantize=int8 needs --calibration=DIR (input tensors to measure the "
                "activation ranges on); tinyc does not guess them");
  if (!wantQuantize && !calibration.empty())
    return fail("--calibration is for --quantize=int8");
  if (!(calibrationPercentile > 50.0 && calibrationPercentile <= 100.0))
    return fail("--calibration-percentile=" + std::to_string(calibrationPercentile.getValue()) +
                " is not in (50, 100]");

  OwningOpRef<ModuleOp> module = importOnnxModel(context, inputFile, importOptions);
  if (!module)
    return 1;
  if (wantQuantize) {
    auto main = module->lookupSymbol<func::FuncOp>("main");
    bool quantized = false;
    main.walk([&](Operation *op) {
      quantized = quantized || isa<QuantizeOp, DequantizeOp>(op);
    });
    if (quantized)
      return fail("--quantize=int8: '" + inputFile +
                  "' is already quantized (it has QuantizeLinear or DequantizeLinear nodes)");
    std::string error;
    FailureOr<ArrayAttr> sets = loadCalibration(main, calibration, error);
    if (failed(sets))
      return fail(error);
    main->setAttr(kCalibrationAttr, *sets);
  }
  CompileReport report;
  if (wantReport) {
    report.model = llvm::sys::path::filename(inputFile).str();
    report.target = target->name;
    report.before = measureLayers(module->lookupSymbol<func::FuncOp>("main"));
  }
  if (emitImport) {
    PendingFile out;
    if (!toStdout && failed(out.open(output)))
      return 1;
    module->print(toStdout ? llvm::outs() : out.stream());
    if (toStdout)
      return 0;
    return succeeded(out.commit()) ? 0 : 1;
  }

  PipelineOptions pipeline;
  pipeline.indexBitwidth = target->pointerBits;
  pipeline.flashBytes = target->flashBytes;
  pipeline.ramBytes = target->ramBytes;
  pipeline.bufferAlignment = std::min<unsigned>(16, target->arenaAlign);
  // ASan's red zones around heap blocks are 16 bytes at least; 32 after each
  // tensor catch an overrun by up to 8 floats before it reaches the next one.
  if (sanitize == "address")
    pipeline.arenaRedzone = 32;
  pipeline.layerMarkers = layerMarkers;
  pipeline.quantizeInt8 = wantQuantize;
  pipeline.calibrationPercentile = calibrationPercentile;
  pipeline.optimizeForSize = optLevel == 's' || optLevel == 'z';
  pipeline.armDsp = target->dsp;
  pipeline.fixedPointRequant = !target->fpu;
  if (!(factorizeTolerance >= 0.0 && factorizeTolerance < 1.0))
    return fail("--factorize-tolerance=" + std::to_string(factorizeTolerance.getValue()) +
                " is not in [0, 1)");
  pipeline.factorizeTolerance = factorizeTolerance;
  if (!llvm::is_contained(kSparseKernelForms, sparseKernel.getValue()))
    return fail("--sparse-kernel=" + sparseKernel + " is not one of " +
                llvm::join(std::begin(kSparseKernelForms), std::end(kSparseKernelForms), ", "));
  pipeline.sparseKernel = sparseKernel;
  std::vector<std::string> optional = getOptionalPasses();
  for (const std::string &pass : disabledPasses) {
    if (!llvm::is_contained(optional, pass))
      return fail("--disable-pass '" + pass + "' names no optional pass; they are: " +
                  llvm::join(optional, ", "));
    pipeline.disabledPasses.push_back(pass);
  }
  PassManager tensorPasses(&context);
  buildTensorPipeline(tensorPasses, pipeline);
  if (failed(tensorPasses.run(*module)))
    return 1;

  auto main = module->lookupSymbol<func::FuncOp>("main");
  if (!debugOverrun.empty()) {
    bool planted = false;
    main.walk([&](ActivationOp op) {
      if (describeOnnxLocation(op.getLoc()).node == debugOverrun) {
        op->setAttr(kDebugOverrunAttr, UnitAttr::get(&context));
        planted = true;
      }
    });
    if (!planted)
      return fail("--debug-overrun: no activation comes from a node named '" + debugOverrun + "'");
  }
  FailureOr<ModelInterface> interface =
      describeInterface(main, name, *target, [](Location loc) {
        OnnxLocation where = describeOnnxLocation(loc);
        return where.node + (where.opType.empty() ? "" : " (" + where.opType + ")");
      });
  if (failed(interface))
    return 1;
  if (wantReport) {
    report.after = measureLayers(main);
    report.quantization = readQuantizationSqnr(main);
    report.arena = interface->arenaBytes;
  }

  PendingFile out, headerOut;
  if (!toStdout && failed(out.open(output)))
    return 1;
  if (!header.empty() && failed(headerOut.open(header)))
    return 1;
  llvm::raw_pwrite_stream &os = toStdout ? llvm::outs() : out.stream();

  if (emitMLIR) {
    module->print(os);
  } else {
    PassManager lowering(&context);
    buildLoweringPipeline(lowering, pipeline);
    if (failed(lowering.run(*module)))
      return 1;
    CodeGenOptions codegen;
    codegen.emit = *emit;
    codegen.optLevel = optLevel;
    codegen.name = name;
    codegen.numInputs = interface->inputs.size();
    codegen.numOutputs = interface->outputs.size();
    codegen.sanitizeAddress = sanitize == "address";
    if (wantReport) {
      // The report gives the object's sizes whatever was emitted; an object
      // that is also the output is generated once.
      llvm::SmallString<0> object;
      llvm::raw_svector_ostream objectStream(object);
      CodeGenOptions objectOptions = codegen;
      objectOptions.emit = EmitKind::Object;
      CodeGenResult objectResult;
      // Instrumented code calls ASan's run time, whose stack nothing bounds.
      if (failed(generateCode(*module, *target, objectOptions, objectStream,
                              codegen.sanitizeAddress ? nullptr : &objectResult)))
        return 1;
      measureObject(object, report);
      report.stackBytes = objectResult.stackBytes;
      interface->stackBytes = objectResult.stackBytes;
      if (*emit == EmitKind::Object)
        os << object;
    }
    CodeGenResult result;
    if (!wantReport || *emit != EmitKind::Object) {
      if (failed(generateCode(*module, *target, codegen, os,
                              codegen.sanitizeAddress ? nullptr : &result)))
        return 1;
      interface->stackBytes = result.stackBytes;
    }
  }
  if (!header.empty())
    writeHeader(*interface, llvm::sys::path::filename(inputFile), *target, headerOut.stream());
  if (!toStdout && failed(out.commit()))
    return 1;
  if (!header.empty() && failed(headerOut.commit()))
    return 1;
  if (wantReport)
    printReport(report, reportFormat == "json", toStdout ? llvm::errs() : llvm::outs());
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "tinyc 0.1.0 (LLVM/MLIR " << LLVM_VERSION_STRING << ")\n";
  });
  cl::ParseCommandLineOptions(
      argc, argv,
      "tinyc: compiles an ONNX model into an object file and a C header for a microcontroller\n\n"
      "  tinyc model.onnx -target=cortex-m7 -o model.o      # also writes model.h\n");
  if (listTargets) {
    for (const std::string &t : getTargetNames())
      llvm::outs() << t << "\t" << lookupTarget(t)->description << "\n";
    return 0;
  }
  if (listPasses) {
    for (const std::string &pass : getOptionalPasses())
      llvm::outs() << pass << "\n";
    return 0;
  }
  if (listOps) {
    for (const std::string &op : getSupportedOnnxOperators())
      llvm::outs() << op << "\n";
    return 0;
  }
  return compile();
}
