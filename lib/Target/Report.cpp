//===- Report.cpp - what the passes did, layer by layer -------------------===//

#include "tinyc/Target/Report.h"

#include "tinyc/Dialect/TinycDialect.h"
#include "tinyc/Import/OnnxImporter.h"
#include "tinyc/Transforms/Passes.h"
#include "tinyc/Transforms/Rewrites.h"

#include <cmath>

#include "llvm/ADT/StringExtras.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::tinyc;

namespace {

/// The ONNX nodes a location names, the primary one first.
std::vector<std::string> nodesOf(Location loc) {
  std::vector<std::string> nodes;
  auto visit = [&](Location l, auto &self) -> void {
    if (auto fused = dyn_cast<FusedLoc>(l)) {
      if (isa_and_nonnull<StringAttr>(fused.getMetadata())) {
        // An importer location: NameLoc(FusedLoc<op type>(file)) is a leaf.
        return;
      }
      for (Location part : fused.getLocations())
        self(part, self);
      return;
    }
    OnnxLocation where = describeOnnxLocation(l);
    if (!where.node.empty() && llvm::find(nodes, where.node) == nodes.end())
      nodes.push_back(where.node);
  };
  visit(loc, visit);
  return nodes;
}

int64_t bytesOf(Value constant) {
  auto type = cast<RankedTensorType>(constant.getType());
  Type elem = type.getElementType();
  int64_t elementBytes = elem.isInteger(1) ? 1 : (elem.getIntOrFloatBitWidth() + 7) / 8;
  return type.getNumElements() * elementBytes;
}

} // namespace

LayerCosts tinyc::measureLayers(func::FuncOp main) {
  LayerCosts costs;
  for (Operation &op : main.getBody().front()) {
    if (isa<ConstantOp, ReshapeOp, func::ReturnOp>(op) || !isa<TinycDialect>(op.getDialect()))
      continue;
    std::vector<std::string> nodes = nodesOf(op.getLoc());
    if (nodes.empty())
      nodes.push_back("(" + op.getName().getStringRef().str() + ")");
    const std::string &primary = nodes.front();
    if (!costs.byNode.count(primary))
      costs.order.push_back(primary);
    LayerCost &cost = costs.byNode[primary];
    if (cost.op.empty())
      cost.op = describeOnnxLocation(op.getLoc()).opType;
    if (cost.op.empty())
      cost.op = op.getName().stripDialect().str();
    cost.macs += getMacCount(&op);
    cost.kernels += 1;
    for (Value operand : op.getOperands())
      if (operand.getDefiningOp<ConstantOp>())
        cost.weightBytes += bytesOf(operand);
    for (size_t i = 1; i < nodes.size(); ++i)
      costs.fusedInto[nodes[i]] = primary;
    if (auto applied = op.getAttrOfType<ArrayAttr>(kAppliedAttr))
      for (Attribute a : applied) {
        std::string what = cast<StringAttr>(a).str();
        std::vector<std::string> &list = costs.applied[primary];
        if (llvm::find(list, what) == list.end())
          list.push_back(what);
      }
  }
  return costs;
}

std::vector<LayerSqnr> tinyc::readQuantizationSqnr(func::FuncOp main) {
  std::vector<LayerSqnr> layers;
  auto entries = main->getAttrOfType<ArrayAttr>(kQuantizationSqnrAttr);
  if (!entries)
    return layers;
  for (Attribute entry : entries) {
    auto fields = cast<ArrayAttr>(entry);
    Location loc = cast<LocationAttr>(fields[0]);
    LayerSqnr layer;
    std::vector<std::string> nodes = nodesOf(loc);
    layer.node = nodes.empty() ? "(unnamed)" : nodes.front();
    layer.op = describeOnnxLocation(loc).opType;
    layer.db = cast<FloatAttr>(fields[1]).getValueAsDouble();
    layer.output = cast<BoolAttr>(fields[2]).getValue();
    layers.push_back(layer);
  }
  return layers;
}

void tinyc::measureObject(llvm::StringRef object, CompileReport &report) {
  auto file = llvm::object::ObjectFile::createObjectFile(llvm::MemoryBufferRef(object, "model.o"));
  if (!file) {
    llvm::consumeError(file.takeError());
    return;
  }
  for (const llvm::object::SectionRef &section : (*file)->sections()) {
    llvm::Expected<llvm::StringRef> name = section.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    int64_t size = section.getSize();
    if (name->starts_with(".text"))
      report.text += size;
    else if (name->starts_with(".rodata"))
      report.rodata += size;
    else if (name->starts_with(".data"))
      report.data += size;
    else if (name->starts_with(".bss"))
      report.bss += size;
  }
}

void tinyc::printReport(const CompileReport &report, bool json, llvm::raw_ostream &os) {
  auto totals = [](const LayerCosts &costs) {
    LayerCost t;
    for (const auto &[node, cost] : costs.byNode) {
      t.macs += cost.macs;
      t.weightBytes += cost.weightBytes;
      t.kernels += cost.kernels;
    }
    return t;
  };
  LayerCost before = totals(report.before), after = totals(report.after);
  if (json) {
    llvm::json::Array layers;
    for (const std::string &node : report.before.order) {
      const LayerCost &b = report.before.byNode.at(node);
      llvm::json::Object layer{{"node", node}, {"op", b.op}, {"macs_before", b.macs},
                               {"weight_bytes_before", b.weightBytes}};
      auto after = report.after.byNode.find(node);
      layer["macs_after"] = after == report.after.byNode.end() ? 0 : after->second.macs;
      layer["weight_bytes_after"] =
          after == report.after.byNode.end() ? 0 : after->second.weightBytes;
      layer["kernels_after"] = after == report.after.byNode.end() ? 0 : after->second.kernels;
      auto fused = report.after.fusedInto.find(node);
      if (fused != report.after.fusedInto.end())
        layer["fused_into"] = fused->second;
      llvm::json::Array applied;
      auto passes = report.after.applied.find(node);
      if (passes != report.after.applied.end())
        for (const std::string &p : passes->second)
          applied.push_back(p);
      layer["applied"] = std::move(applied);
      layers.push_back(std::move(layer));
    }
    llvm::json::Array quantization;
    for (const LayerSqnr &q : report.quantization)
      quantization.push_back(llvm::json::Object{
          {"node", q.node}, {"op", q.op}, {"graph_output", q.output},
          {"sqnr_db", std::isfinite(q.db) ? llvm::json::Value(q.db) : llvm::json::Value(nullptr)}});
    llvm::json::Object root{
        {"model", report.model}, {"target", report.target}, {"layers", std::move(layers)},
        {"quantization_sqnr", std::move(quantization)},
        {"totals",
         llvm::json::Object{{"kernels_before", before.kernels}, {"kernels_after", after.kernels},
                            {"macs_before", before.macs}, {"macs_after", after.macs},
                            {"weight_bytes_before", before.weightBytes},
                            {"weight_bytes_after", after.weightBytes},
                            {"text_bytes", report.text}, {"rodata_bytes", report.rodata},
                            {"data_bytes", report.data}, {"bss_bytes", report.bss},
                            {"flash_bytes", report.text + report.rodata + report.data},
                            {"arena_bytes", report.arena},
                            {"stack_bytes", report.stackBytes ? llvm::json::Value(*report.stackBytes)
                                                              : llvm::json::Value(nullptr)}}}};
    os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
    return;
  }
  os << "tinyc report: " << report.model << " for " << report.target << "\n";
  os << llvm::formatv("{0,-40} {1,-18} {2,12} {3,12} {4,11} {5,11}  {6}\n", "layer (ONNX node)",
                      "operator", "MACs before", "MACs after", "weights B", "weights A",
                      "passes");
  for (const std::string &node : report.before.order) {
    const LayerCost &b = report.before.byNode.at(node);
    auto after = report.after.byNode.find(node);
    std::string shown = node.size() > 40 ? node.substr(0, 18) + "..." + node.substr(node.size() - 19) : node;
    std::string passes;
    auto fused = report.after.fusedInto.find(node);
    if (after == report.after.byNode.end()) {
      passes = fused != report.after.fusedInto.end() ? "fused into " + fused->second : "removed";
    } else if (auto applied = report.after.applied.find(node);
               applied != report.after.applied.end()) {
      passes = llvm::join(applied->second, "; ");
    }
    int64_t macsAfter = after == report.after.byNode.end() ? 0 : after->second.macs;
    int64_t bytesAfter = after == report.after.byNode.end() ? 0 : after->second.weightBytes;
    os << llvm::formatv("{0,-40} {1,-18} {2,12} {3,12} {4,11} {5,11}  {6}\n", shown, b.op,
                        b.macs, macsAfter, b.weightBytes, bytesAfter, passes);
  }
  os << llvm::formatv("totals: kernels {0} -> {1}, MACs {2} -> {3}, weight bytes {4} -> {5}\n",
                      before.kernels, after.kernels, before.macs, after.macs, before.weightBytes,
                      after.weightBytes);
  os << llvm::formatv("object: .text {0}, .rodata {1}, .data {2}, .bss {3}: flash {4} bytes; "
                      "arena {5} bytes\n",
                      report.text, report.rodata, report.data, report.bss,
                      report.text + report.rodata + report.data, report.arena);
  if (!report.quantization.empty()) {
    os << "int8 quantization: SQNR per layer on the calibration set (fake-quantized simulation "
          "against the float model)\n";
    for (const LayerSqnr &q : report.quantization) {
      std::string shown = q.node.size() > 40
                              ? q.node.substr(0, 18) + "..." + q.node.substr(q.node.size() - 19)
                              : q.node;
      std::string db = std::isfinite(q.db) ? llvm::formatv("{0:F1} dB", q.db).str() : "exact";
      os << llvm::formatv("  {0,-40} {1,-18} {2,10}{3}\n", shown, q.op, db,
                          q.output ? "  (float graph output)" : "");
    }
  }
  if (report.stackBytes)
    os << llvm::formatv("stack: at most {0} bytes per call\n", *report.stackBytes);
  else
    os << "stack: no bound\n";
}
