// `onnxcut inspect MODEL`: what the planner sees of a model.
#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <nlohmann/json.hpp>

#include "analytic.h"
#include "bottlenecks.h"
#include "hw_profile.h"
#include "commands.h"
#include "flags.h"
#include "format_util.h"
#include "model_view.h"

namespace onnxcut::cli {
namespace {

struct InspectArgs {
  std::string model, device;
  std::vector<std::string> input_shapes;
  bool json = false;
};

nlohmann::json tensorJson(const TensorInfo& t) {
  nlohmann::json j{{"name", t.name}, {"dtype", dtypeName(t.elem_type)}};
  j["shape"] = t.shape ? nlohmann::json(*t.shape) : nlohmann::json(nullptr);
  j["bytes"] = t.bytes ? nlohmann::json(*t.bytes) : nlohmann::json(nullptr);
  return j;
}

std::string shapeText(const TensorInfo& t) {
  return dtypeName(t.elem_type) + (t.shape ? "[" + fmt::format("{}", fmt::join(*t.shape, ",")) + "]" : "[?]");
}

// Per-node work, and estimated times when a profile is given.
struct PerNode {
  std::vector<NodeWork> work;
  std::vector<double> device_ms;  // empty without --device
};

nlohmann::json inspectJson(const ModelView& mv, const std::vector<Bottleneck>& bns, const PerNode& pn) {
  const auto& m = mv.model();
  nlohmann::json j;
  j["model"] = mv.label();
  j["ir_version"] = m.ir_version();
  j["producer"] = m.producer_name() + (m.producer_version().empty() ? "" : " " + m.producer_version());
  j["opsets"] = nlohmann::json::object();
  for (const auto& o : m.opset_import()) j["opsets"][o.domain().empty() ? "ai.onnx" : o.domain()] = o.version();
  j["nodes"] = mv.nodes().size();
  j["constant_nodes"] = mv.constantNodes().size();
  j["total_nodes"] = mv.totalNodes();
  j["inputs"] = nlohmann::json::array();
  for (int t : mv.graphInputs()) j["inputs"].push_back(tensorJson(mv.tensors()[t]));
  j["outputs"] = nlohmann::json::array();
  for (int t : mv.graphOutputs()) j["outputs"].push_back(tensorJson(mv.tensors()[t]));
  j["ops"] = mv.opHistogram();
  j["unknown_size_tensors"] = nlohmann::json::array();
  for (int t : mv.unknownSizeTensors()) j["unknown_size_tensors"].push_back(mv.tensors()[t].name);
  j["bottlenecks"] = nlohmann::json::array();
  for (const auto& b : bns) {
    const auto& t = mv.tensors()[b.tensor];
    j["bottlenecks"].push_back({{"tensor", t.name},
                                {"bytes", t.bytes ? nlohmann::json(*t.bytes) : nlohmann::json(nullptr)},
                                {"ratio_to_input", b.ratio_to_input},
                                {"natural", b.natural}});
  }
  j["per_node"] = nlohmann::json::array();
  for (const auto& n : mv.nodes()) {
    int64_t out = 0;
    bool known = true;
    for (int t : n.outputs) {
      known = known && mv.tensors()[t].bytes.has_value();
      out += mv.tensors()[t].bytes.value_or(0);
    }
    const size_t v = &n - mv.nodes().data();
    nlohmann::json e{{"node", n.key}, {"op", n.op_type},
                     {"output_bytes", known ? nlohmann::json(out) : nlohmann::json(nullptr)},
                     {"flops", pn.work[v].flops}, {"bytes", pn.work[v].bytes},
                     {"op_class", toString(pn.work[v].cls)}, {"modelled", pn.work[v].modelled},
                     {"windows", pn.work[v].windows}, {"transcendentals", pn.work[v].transcendentals}};
    if (!pn.device_ms.empty()) e["device_ms"] = pn.device_ms[v];
    j["per_node"].push_back(e);
  }
  nlohmann::json warnings = nlohmann::json::array();
  for (const auto& w : mv.warnings()) warnings.push_back(forUser(w));
  j["warnings"] = warnings;
  return j;
}

void printText(const ModelView& mv, const std::vector<Bottleneck>& bns, const PerNode& pn) {
  const auto& m = mv.model();
  fmt::print("model     {}\n", mv.label());
  std::string opsets;
  for (const auto& o : m.opset_import())
    opsets += fmt::format("{}{} {}", opsets.empty() ? "" : ", ", o.domain().empty() ? "ai.onnx" : o.domain(), o.version());
  fmt::print("format    IR {}, opset {}, producer \"{}\"\n", m.ir_version(), opsets, m.producer_name());
  for (int t : mv.graphInputs())
    fmt::print("input     {:<28} {:<24} {:>14}\n", mv.tensors()[t].name, shapeText(mv.tensors()[t]), bytesText(mv.tensors()[t].bytes));
  for (int t : mv.graphOutputs())
    fmt::print("output    {:<28} {:<24} {:>14}\n", mv.tensors()[t].name, shapeText(mv.tensors()[t]), bytesText(mv.tensors()[t].bytes));
  fmt::print("nodes     {} in the file: {} planning, {} constant\n\n", mv.totalNodes(), mv.nodes().size(),
             mv.constantNodes().size());

  std::map<std::string, int> planning;
  for (const auto& n : mv.nodes()) ++planning[n.op_type];
  Table ops({"op", "nodes", "planning"});
  for (const auto& [op, count] : mv.opHistogram()) ops.row({op, std::to_string(count), std::to_string(planning[op])});
  ops.print();

  const auto unknown = mv.unknownSizeTensors();
  fmt::print("\nunknown-size tensors: {}\n", unknown.empty() ? "none" : std::to_string(unknown.size()));
  for (int t : unknown) fmt::print("  {}\n", mv.tensors()[t].name);

  fmt::print("\nbottlenecks (tensors every input-to-output path passes through; * = natural):\n");
  Table bt({"#", "tensor", "shape", "bytes", "x input", ""});
  int i = 0;
  for (const auto& b : bns) {
    const auto& t = mv.tensors()[b.tensor];
    bt.row({std::to_string(i++), t.name, shapeText(t), bytesText(t.bytes),
            t.bytes ? fmt::format("{:.4f}", b.ratio_to_input) : "?", b.natural ? "*" : ""});
  }
  bt.print();
  double flops = 0, ms = 0;
  for (size_t v = 0; v < pn.work.size(); ++v) {
    flops += pn.work[v].flops;
    if (!pn.device_ms.empty()) ms += pn.device_ms[v];
  }
  fmt::print("\nwork: {:.3f} GFLOP{}\n", flops / 1e9,
             pn.device_ms.empty() ? "" : fmt::format(", estimated {:.2f} ms on the device profile (--json for per node)", ms));
  for (const auto& w : mv.warnings()) fmt::print(stderr, "warning: {}\n", forUser(w));
}

}  // namespace

void registerInspect(CLI::App& app, Action& run) {
  auto args = std::make_shared<InspectArgs>();
  auto* cmd = app.add_subcommand("inspect", "Summarise a model as the planner sees it");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  cmd->add_option("--input-shape", args->input_shapes, "Fix an input's dims, NAME=1x3x224x224 (repeatable)");
  cmd->add_option("--device", args->device, "Hardware profile (bundled name or file): estimate per-node ms");
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->callback([args, &run] {
    run = [args] {
      LoadOptions opt;
      for (const auto& s : args->input_shapes) opt.input_shapes.push_back(parseInputShape(s));
      const ModelView mv = ModelView::load(args->model, opt);
      const auto bns = findBottlenecks(mv.planGraph());
      PerNode pn{analyzeNodes(mv), {}};
      if (!args->device.empty()) pn.device_ms = estimateAll(readProfile(resolveProfilePath(args->device)), pn.work);
      for (const auto& [op, count] : unmodelledOps(mv, pn.work))
        fmt::print(stderr, "warning: {} x {}: no FLOP model, estimated from bytes moved\n", count, op);
      if (args->json) {
        fmt::print("{}\n", inspectJson(mv, bns, pn).dump(2));
      } else {
        printText(mv, bns, pn);
      }
      return kExitOk;
    };
  });
}

}  // namespace onnxcut::cli
