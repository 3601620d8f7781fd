//===- Calibration.cpp - calibration inputs for --quantize=int8 -----------===//
//
// Reads the calibration sets of `--calibration=DIR`: either ONNX backend-test
// folders `DIR/test_data_set_*/input_<i>.pb` (one set per folder, input_<i>
// the i-th graph input), or plain files `DIR/input_<k>.pb`, taken in order of
// k, one graph input after another (for a model with one input, each file is
// one set). Each file is an ONNX TensorProto (or a NumPy .npy file of
// little-endian float32 in C order) whose element type and shape must be its
// input's. Every problem is one line naming the file; nothing is guessed.
//
//===----------------------------------------------------------------------===//

#include "Calibration.h"

#include "tinyc/Transforms/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

using namespace mlir;

namespace {

std::string formatShape(llvm::ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? "x" : "") + std::to_string(shape[i]);
  return s;
}

/// The index k of a file named input_<k>.pb or input_<k>.npy, or -1.
int64_t inputIndex(llvm::StringRef name) {
  if (!name.consume_front("input_"))
    return -1;
  if (!name.consume_back(".pb") && !name.consume_back(".npy"))
    return -1;
  int64_t k;
  if (name.getAsInteger(10, k) || k < 0)
    return -1;
  return k;
}

/// Float values and shape of a TensorProto file.
FailureOr<std::pair<std::vector<float>, std::vector<int64_t>>>
readProto(llvm::StringRef path, llvm::StringRef bytes, std::string &error) {
  onnx::TensorProto tensor;
  if (!tensor.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    error = path.str() + ": not an ONNX TensorProto";
    return failure();
  }
  if (tensor.data_type() != onnx::TensorProto::FLOAT) {
    error = path.str() + ": element type " +
            onnx::TensorProto::DataType_Name(
                static_cast<onnx::TensorProto::DataType>(tensor.data_type())) +
            ", not FLOAT: --quantize=int8 calibrates float inputs";
    return failure();
  }
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    error = path.str() + ": external data is not read for calibration";
    return failure();
  }
  std::vector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  std::vector<float> values;
  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (raw.size() % 4) {
      error = path.str() + ": raw data of " + std::to_string(raw.size()) +
              " bytes is not a whole number of floats";
      return failure();
    }
    values.resize(raw.size() / 4);
    std::memcpy(values.data(), raw.data(), raw.size()); // ONNX raw data is little-endian
  } else {
    values.assign(tensor.float_data().begin(), tensor.float_data().end());
  }
  return std::make_pair(std::move(values), std::move(shape));
}

/// Float values and shape of a .npy file (version 1 or 2, '<f4', C order).
FailureOr<std::pair<std::vector<float>, std::vector<int64_t>>>
readNpy(llvm::StringRef path, llvm::StringRef bytes, std::string &error) {
  auto fail = [&](const std::string &why) {
    error = path.str() + ": " + why;
    return failure();
  };
  if (!bytes.starts_with("\x93NUMPY") || bytes.size() < 10)
    return fail("not a NumPy .npy file");
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLength, offset;
  if (major == 1) {
    headerLength = static_cast<unsigned char>(bytes[8]) |
                   (static_cast<unsigned>(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else if (bytes.size() >= 12) {
    headerLength = 0;
    for (int i = 0; i < 4; ++i)
      headerLength |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    return fail("not a NumPy .npy file");
  }
  if (offset + headerLength > bytes.size())
    return fail("truncated .npy header");
  llvm::StringRef header = bytes.substr(offset, headerLength);
  if (!header.contains("'descr': '<f4'"))
    return fail("a .npy calibration input must hold little-endian float32 ('<f4')");
  if (!header.contains("'fortran_order': False"))
    return fail("a .npy calibration input must be in C order");
  size_t open = header.find("'shape': (");
  size_t close = open == llvm::StringRef::npos ? open : header.find(')', open);
  if (close == llvm::StringRef::npos)
    return fail("no shape in the .npy header");
  llvm::StringRef dims = header.slice(open + 10, close);
  std::vector<int64_t> shape;
  llvm::SmallVector<llvm::StringRef> parts;
  dims.split(parts, ',');
  for (llvm::StringRef part : parts) {
    part = part.trim();
    if (part.empty())
      continue;
    int64_t d;
    if (part.getAsInteger(10, d) || d < 0)
      return fail("bad shape in the .npy header");
    shape.push_back(d);
  }
  llvm::StringRef data = bytes.drop_front(offset + headerLength);
  if (data.size() % 4)
    return fail("the .npy data is not a whole number of floats");
  std::vector<float> values(data.size() / 4);
  std::memcpy(values.data(), data.data(), data.size());
  return std::make_pair(std::move(values), std::move(shape));
}

FailureOr<DenseElementsAttr> readInput(llvm::StringRef path, RankedTensorType type,
                                       llvm::StringRef inputName, std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    error = path.str() + ": " + buffer.getError().message();
    return failure();
  }
  llvm::StringRef bytes = (*buffer)->getBuffer();
  auto read = path.ends_with(".npy") ? readNpy(path, bytes, error) : readProto(path, bytes, error);
  if (failed(read))
    return failure();
  auto &[values, shape] = *read;
  if (!type.getElementType().isF32()) {
    error = "input '" + inputName.str() + "' is not float32: --quantize=int8 calibrates float inputs";
    return failure();
  }
  if (llvm::ArrayRef<int64_t>(shape) != type.getShape()) {
    error = path.str() + ": shape " + formatShape(shape) + " is not input '" + inputName.str() +
            "''s " + formatShape(type.getShape());
    return failure();
  }
  if (static_cast<int64_t>(values.size()) != type.getNumElements()) {
    error = path.str() + ": " + std::to_string(values.size()) + " values for shape " +
            formatShape(shape);
    return failure();
  }
  for (float v : values)
    if (!std::isfinite(v)) {
      error = path.str() + ": a value is not finite";
      return failure();
    }
  return DenseElementsAttr::get(type, llvm::ArrayRef<float>(values));
}

/// The input_<k> files of a folder, by k.
FailureOr<std::map<int64_t, std::string>> inputFiles(llvm::StringRef dir, std::string &error) {
  std::map<int64_t, std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec)) {
    int64_t k = inputIndex(llvm::sys::path::filename(it->path()));
    if (k < 0)
      continue;
    if (files.count(k)) {
      error = dir.str() + ": both " + files[k] + " and " + it->path() + " are input " +
              std::to_string(k);
      return failure();
    }
    files[k] = it->path();
  }
  if (ec) {
    error = dir.str() + ": " + ec.message();
    return failure();
  }
  return files;
}

} // namespace

FailureOr<ArrayAttr> mlir::tinyc::loadCalibration(func::FuncOp main, llvm::StringRef dir,
                                                  std::string &error) {
  MLIRContext *ctx = main.getContext();
  if (!llvm::sys::fs::is_directory(dir)) {
    error = "--calibration=" + dir.str() + ": " +
            (llvm::sys::fs::exists(dir) ? "not a directory" : "no such directory");
    return failure();
  }
  unsigned numInputs = main.getNumArguments();
  if (numInputs == 0) {
    error = "the model has no input to calibrate";
    return failure();
  }
  llvm::SmallVector<RankedTensorType> types;
  llvm::SmallVector<std::string> names;
  for (unsigned i = 0; i < numInputs; ++i) {
    types.push_back(cast<RankedTensorType>(main.getArgument(i).getType()));
    auto name = main.getArgAttrOfType<StringAttr>(i, mlir::tinyc::kNameAttr);
    names.push_back(name ? name.str() : "#" + std::to_string(i));
  }

  // Each set as the files of its inputs, in graph order.
  std::vector<std::vector<std::string>> sets;
  std::vector<std::string> setDirs;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec; it.increment(ec))
    if (llvm::sys::path::filename(it->path()).starts_with("test_data_set_") &&
        llvm::sys::fs::is_directory(it->path()))
      setDirs.push_back(it->path());
  if (ec) {
    error = "--calibration=" + dir.str() + ": " + ec.message();
    return failure();
  }
  // Directory order is the file system's: sort, so that the compilation
  // does not depend on it (test_data_set_2 before test_data_set_10).
  std::sort(setDirs.begin(), setDirs.end(), [](const std::string &a, const std::string &b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  if (!setDirs.empty()) {
    for (const std::string &setDir : setDirs) {
      FailureOr<std::map<int64_t, std::string>> files = inputFiles(setDir, error);
      if (failed(files))
        return failure();
      std::vector<std::string> set;
      for (unsigned i = 0; i < numInputs; ++i) {
        auto f = files->find(i);
        if (f == files->end()) {
          error = setDir + ": no input_" + std::to_string(i) + ".pb for input '" + names[i] + "'";
          return failure();
        }
        set.push_back(f->second);
      }
      if (files->size() != numInputs) {
        error = setDir + ": " + std::to_string(files->size()) + " input files for a model of " +
                std::to_string(numInputs) + " input(s)";
        return failure();
      }
      sets.push_back(std::move(set));
    }
  } else {
    FailureOr<std::map<int64_t, std::string>> files = inputFiles(dir, error);
    if (failed(files))
      return failure();
    if (files->empty()) {
      error = "--calibration=" + dir.str() +
              ": no test_data_set_*/input_<i>.pb and no input_<k>.pb files";
      return failure();
    }
    int64_t expected = 0;
    for (const auto &[k, path] : *files) {
      if (k != expected) {
        error = "--calibration=" + dir.str() + ": input_" + std::to_string(expected) +
                " is missing (the files are numbered from 0 without gaps)";
        return failure();
      }
      if (k % numInputs == 0)
        sets.emplace_back();
      sets.back().push_back(path);
      ++expected;
    }
    if (sets.back().size() != numInputs) {
      error = "--calibration=" + dir.str() + ": " + std::to_string(files->size()) +
              " input files are not a whole number of sets of " + std::to_string(numInputs) +
              " input(s)";
      return failure();
    }
  }

  llvm::SmallVector<Attribute> setAttrs;
  for (const std::vector<std::string> &set : sets) {
    llvm::SmallVector<Attribute> tensors;
    for (unsigned i = 0; i < numInputs; ++i) {
      FailureOr<DenseElementsAttr> t = readInput(set[i], types[i], names[i], error);
      if (failed(t))
        return failure();
      tensors.push_back(*t);
    }
    setAttrs.push_back(ArrayAttr::get(ctx, tensors));
  }
  return ArrayAttr::get(ctx, setAttrs);
}
