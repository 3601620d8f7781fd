//===- OnnxTensor.cpp - ONNX element types and TensorProto data -----------===//

#include "NodeImporter.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace mlir::tinyc;
using namespace mlir::tinyc::onnx_import;
using onnx::TensorProto;

Type onnx_import::convertElementType(MLIRContext *context, int onnxType) {
  Builder b(context);
  switch (onnxType) {
  case TensorProto::FLOAT: return b.getF32Type();
  case TensorProto::DOUBLE: return b.getF64Type();
  case TensorProto::FLOAT16: return b.getF16Type();
  case TensorProto::BFLOAT16: return b.getBF16Type();
  case TensorProto::INT8: return b.getIntegerType(8);
  case TensorProto::INT16: return b.getIntegerType(16);
  case TensorProto::INT32: return b.getIntegerType(32);
  case TensorProto::INT64: return b.getIntegerType(64);
  case TensorProto::UINT8: return b.getIntegerType(8, /*isSigned=*/false);
  case TensorProto::UINT16: return b.getIntegerType(16, false);
  case TensorProto::UINT32: return b.getIntegerType(32, false);
  case TensorProto::UINT64: return b.getIntegerType(64, false);
  case TensorProto::BOOL: return b.getI1Type();
  default: return nullptr;
  }
}

llvm::StringRef onnx_import::onnxTypeName(int onnxType) {
  if (!TensorProto::DataType_IsValid(onnxType))
    return "UNKNOWN";
  static std::string names[32];
  std::string &name = names[onnxType & 31];
  if (name.empty())
    name = TensorProto::DataType_Name(static_cast<TensorProto::DataType>(onnxType));
  return name;
}

/// Bytes one element takes in raw_data (BOOL takes a byte).
static unsigned rawElementBytes(Type type) {
  return type.isInteger(1) ? 1 : (type.getIntOrFloatBitWidth() + 7) / 8;
}

/// Reads the external data of `tensor`, refusing a location outside `modelDir`.
static FailureOr<std::string> readExternalData(const TensorProto &tensor, llvm::StringRef modelDir,
                                               EmitErrorFn emitError) {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const auto &entry : tensor.external_data()) {
    auto parseNumber = [&](uint64_t &out) {
      if (llvm::StringRef(entry.value()).getAsInteger(10, out)) {
        emitError() << "external data of '" << tensor.name() << "' has a non-numeric "
                    << entry.key() << " '" << entry.value() << "'";
        return false;
      }
      return true;
    };
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" && !parseNumber(offset))
      return failure();
    else if (entry.key() == "length" && !parseNumber(length.emplace()))
      return failure();
  }
  if (location.empty()) {
    emitError() << "external data of '" << tensor.name() << "' has no location";
    return failure();
  }
  // The location must name a file inside the model's folder, also after
  // following symbolic links: compare the resolved paths.
  auto outside = [&] {
    emitError() << "external data location '" << location << "' of '" << tensor.name()
                << "' is outside the model's folder";
    return failure();
  };
  if (llvm::sys::path::is_absolute(location))
    return outside();
  llvm::SmallString<256> path(modelDir), realDir, realPath;
  llvm::sys::path::append(path, location);
  if (llvm::sys::fs::real_path(modelDir, realDir))
    return outside();
  if (llvm::sys::fs::real_path(path, realPath)) {
    // Missing: say which, unless the name itself climbs out of the folder.
    llvm::SmallString<256> lexical(location);
    llvm::sys::path::remove_dots(lexical, /*remove_dot_dot=*/true);
    if (llvm::StringRef(lexical).starts_with(".."))
      return outside();
    emitError() << "external data file '" << location << "' of '" << tensor.name()
                << "' does not exist";
    return failure();
  }
  if (!llvm::StringRef(realPath).starts_with((realDir + llvm::sys::path::get_separator()).str()))
    return outside();
  auto buffer = llvm::MemoryBuffer::getFile(realPath, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError() << "cannot read external data file '" << location << "' of '" << tensor.name()
                << "': " << buffer.getError().message();
    return failure();
  }
  uint64_t size = (*buffer)->getBufferSize();
  uint64_t count = length ? *length : (offset <= size ? size - offset : 0);
  if (offset > size || count > size - offset) {
    emitError() << "external data of '" << tensor.name() << "' (offset " << offset << ", length "
                << count << ") lies beyond the end of '" << location << "' (" << size
                << " bytes)";
    return failure();
  }
  return std::string((*buffer)->getBufferStart() + offset, count);
}

FailureOr<DenseElementsAttr> onnx_import::convertTensor(MLIRContext *context,
                                                        const TensorProto &tensor,
                                                        llvm::StringRef modelDir,
                                                        EmitErrorFn emitError) {
  Type elem = convertElementType(context, tensor.data_type());
  if (!elem) {
    emitError() << "tensor '" << tensor.name() << "' has unsupported element type "
                << onnxTypeName(tensor.data_type());
    return failure();
  }
  if (tensor.has_segment()) {
    emitError() << "tensor '" << tensor.name() << "' is segmented, which is not supported";
    return failure();
  }
  llvm::SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0 || (d > 0 && count > (int64_t{1} << 40) / d)) {
      emitError() << "tensor '" << tensor.name() << "' has an invalid dimension " << d;
      return failure();
    }
    shape.push_back(d);
    count *= d;
  }
  auto type = RankedTensorType::get(shape, elem);
  unsigned bytes = rawElementBytes(elem);

  // Raw little-endian bytes, in the file or beside it.
  std::optional<std::string> raw;
  if (tensor.data_location() == TensorProto::EXTERNAL) {
    FailureOr<std::string> data = readExternalData(tensor, modelDir, emitError);
    if (failed(data))
      return failure();
    raw = std::move(*data);
  } else if (tensor.has_raw_data()) {
    raw = tensor.raw_data();
  }
  if (raw) {
    if (raw->size() != static_cast<uint64_t>(count) * bytes) {
      emitError() << "tensor '" << tensor.name() << "' of shape " << formatShape(shape) << " and type "
                  << onnxTypeName(tensor.data_type()) << " needs " << count * bytes
                  << " bytes of data, but has " << raw->size();
      return failure();
    }
    if (elem.isInteger(1)) {
      // MLIR packs i1 as bits; ONNX stores a byte per element.
      llvm::SmallVector<bool> bits;
      for (char c : *raw)
        bits.push_back(c != 0);
      return DenseElementsAttr::get(type, llvm::ArrayRef<bool>(bits));
    }
    bool splat = false;
    if (!DenseElementsAttr::isValidRawBuffer(type, llvm::ArrayRef<char>(raw->data(), raw->size()),
                                             splat)) {
      emitError() << "tensor '" << tensor.name() << "' has malformed data";
      return failure();
    }
    return DenseElementsAttr::getFromRawBuffer(type,
                                               llvm::ArrayRef<char>(raw->data(), raw->size()));
  }

  // Typed fields: which one depends on the element type.
  auto checkCount = [&](int64_t have) -> LogicalResult {
    if (have == count)
      return success();
    emitError() << "tensor '" << tensor.name() << "' of shape " << formatShape(shape) << " needs "
                << count << " values, but has " << have;
    return failure();
  };
  auto bitsOf = [&](uint64_t v) {
    return llvm::APInt(64, v).trunc(elem.getIntOrFloatBitWidth());
  };
  llvm::SmallVector<llvm::APInt> ints;
  switch (tensor.data_type()) {
  case TensorProto::FLOAT:
    if (failed(checkCount(tensor.float_data_size())))
      return failure();
    return DenseElementsAttr::get(
        type, llvm::ArrayRef<float>(tensor.float_data().data(), tensor.float_data_size()));
  case TensorProto::DOUBLE:
    if (failed(checkCount(tensor.double_data_size())))
      return failure();
    return DenseElementsAttr::get(
        type, llvm::ArrayRef<double>(tensor.double_data().data(), tensor.double_data_size()));
  case TensorProto::INT64:
    if (failed(checkCount(tensor.int64_data_size())))
      return failure();
    for (int64_t v : tensor.int64_data())
      ints.push_back(bitsOf(static_cast<uint64_t>(v)));
    break;
  case TensorProto::UINT32:
  case TensorProto::UINT64:
    if (failed(checkCount(tensor.uint64_data_size())))
      return failure();
    for (uint64_t v : tensor.uint64_data())
      ints.push_back(bitsOf(v));
    break;
  default:
    // INT8, UINT8, INT16, UINT16, INT32, BOOL, FLOAT16 and BFLOAT16 (as bits)
    // are all stored in int32_data.
    if (failed(checkCount(tensor.int32_data_size())))
      return failure();
    for (int32_t v : tensor.int32_data()) {
      if (elem.isInteger(1))
        v = v != 0;
      ints.push_back(bitsOf(static_cast<uint64_t>(static_cast<int64_t>(v))));
    }
    if (isa<FloatType>(elem)) {
      llvm::SmallVector<llvm::APFloat> floats;
      for (const llvm::APInt &v : ints)
        floats.emplace_back(cast<FloatType>(elem).getFloatSemantics(), v);
      return DenseElementsAttr::get(type, floats);
    }
    break;
  }
  return DenseElementsAttr::get(type, ints);
}
