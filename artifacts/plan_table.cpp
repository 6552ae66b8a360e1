#include "plan_table.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "split.h"
#include "version.h"

namespace onnxcut {
namespace {

using nlohmann::json;

// `shape` is what the plan was made at (a symbolic batch at 1); when the
// split files keep a symbolic batch, `dim_params` gives per axis its name
// ("?" for a dim that changes with the batch otherwise, null when fixed).
json tensorEntry(const ModelView& mv, const TensorInfo& t) {
  json j = {{"name", t.name},
            {"shape", t.shape ? json(*t.shape) : json(nullptr)},
            {"dtype", dtypeName(t.elem_type)}};
  const auto params = mv.dimParams(t.name);
  if (!params.empty()) {
    json p = json::array();
    for (const auto& s : params) p.push_back(s.empty() ? json(nullptr) : json(s));
    j["dim_params"] = p;
  }
  return j;
}

// Every number in a plan table is finite (plan-table.md): a plan with no
// work at all would have infinite throughput; it is capped.
constexpr double kMaxFps = 1e9;
double finite(double fps) { return std::isfinite(fps) ? std::min(fps, kMaxFps) : kMaxFps; }

// plan-table.md: every number is finite. Options and costs are validated
// into ranges where that holds; a table that breaks it anyway is a bug, and
// is never written (JSON would show it as null).
void requireFinite(const json& j, const std::string& where) {
  if (j.is_number_float() && !std::isfinite(j.get<double>()))
    throw std::logic_error("non-finite number at " + where);
  if (j.is_object())
    for (const auto& [k, v] : j.items()) requireFinite(v, where + "." + k);
  if (j.is_array())
    for (size_t i = 0; i < j.size(); ++i) requireFinite(j[i], where + "[" + std::to_string(i) + "]");
}

// A split file's input or output (docs/plan-table.md, "Deployment
// manifest"): the shape is the carried tensor's (a scale or zero point: []).
json portEntry(const ModelView& mv, const PortTensor& p, bool with_bytes) {
  const TensorInfo& of = mv.tensors()[p.tensor];
  json j = {{"name", p.name}, {"tensor", of.name}, {"encoding", p.encoding}, {"dtype", dtypeName(p.elem_type)}};
  if (p.scalar) {
    j["shape"] = json::array();
  } else if (p.length >= 0) {  // packed: 1-D bytes
    j["shape"] = json::array({p.length});
    j["bits"] = p.bits;
  } else {
    const json e = tensorEntry(mv, of);
    j["shape"] = e["shape"];
    if (e.contains("dim_params")) j["dim_params"] = e["dim_params"];
  }
  if (with_bytes) {
    int64_t n = 1;
    if (p.length >= 0) n = p.length;
    else if (!p.scalar && of.shape)
      for (int64_t d : *of.shape) n *= d;
    j["bytes"] = p.scalar || of.shape ? json(n * elementSize(p.elem_type)) : json(nullptr);
  }
  return j;
}

json portList(const ModelView& mv, const std::vector<PortTensor>& ports, bool with_bytes = false) {
  json a = json::array();
  for (const auto& p : ports) a.push_back(portEntry(mv, p, with_bytes));
  return a;
}

json names(const ModelView& mv, const std::vector<int>& tensors) {
  json a = json::array();
  for (int t : tensors) a.push_back(mv.tensors()[t].name);
  return a;
}

}  // namespace

json planTableJson(const ModelView& mv, const PlanSet& set, const PlanOptions& opt,
                   const TableContext& ctx) {
  json j;
  j["format"] = "onnxcut.plan-table";
  const bool mixed = std::any_of(set.plans.begin(), set.plans.end(),
                                 [](const PlannedPlan& p) { return p.precision == Precision::mixed; });
  j["version"] = mixed ? kPlanTableVersionMixed : kPlanTableVersion;
  j["tool"] = {{"name", "onnxcut"}, {"version", toolVersion()}};
  json model{{"file", std::filesystem::path(ctx.model_path).filename().string()},
             {"sha256", ctx.model_sha256},
             {"nodes", mv.nodes().size()},
             {"inputs", json::array()},
             {"outputs", json::array()}};
  for (int t : mv.graphInputs()) model["inputs"].push_back(tensorEntry(mv, mv.tensors()[t]));
  for (int t : mv.graphOutputs()) model["outputs"].push_back(tensorEntry(mv, mv.tensors()[t]));
  // Every file the model is made of (the .onnx, then external data files):
  // `sha256` above is of this list when there is more than one.
  if (!mv.files().empty()) {
    json files = json::array();
    for (const auto& f : mv.files()) files.push_back({{"path", f.path}, {"sha256", f.sha256}, {"bytes", f.bytes}});
    model["files"] = files;
  }
  j["model"] = model;
  j["costs"] = {{"device", ctx.device_costs}, {"cloud", ctx.cloud_costs}};
  j["network"] = {{"rtt_ms", opt.rtt_ms},
                  {"down_mbps", opt.down_mbps ? json(*opt.down_mbps) : json(nullptr)},
                  {"min_mbps", opt.min_mbps},
                  {"max_mbps", opt.max_mbps}};
  j["plans"] = json::array();
  for (const auto& p : set.plans) {
    json plan{{"id", p.id}, {"precision", toString(p.precision)}};
    json nodes = json::array();
    for (size_t v = 0; v < p.device.size(); ++v)
      if (p.device[v]) nodes.push_back(mv.nodes()[v].key);
    plan["device_nodes"] = nodes;
    json cut = json::array();
    for (size_t i = 0; i < p.cut.size(); ++i) {
      json e = tensorEntry(mv, mv.tensors()[p.cut[i]]);
      json c = {{"tensor", e["name"]}, {"shape", e["shape"]}, {"dtype", e["dtype"]}};
      if (p.precision == Precision::mixed) c["bits"] = p.bits.at(i);
      cut.push_back(c);
    }
    plan["cut"] = cut;
    if (p.loss)
      plan["loss"] = {{"fit", p.loss->fit}, {"held_out", p.loss->held_out}, {"by_construction", p.loss->by_construction}};
    // The deployment manifest: what each side reads and writes, what goes
    // on the wire (in the head's output order), who computes which output.
    const SplitInterface io = splitInterface(mv, {p.id, p.device, p.precision, p.cut, ctx.model_sha256, p.bits});
    plan["head_io"] = io.has_head ? json{{"inputs", portList(mv, io.head_inputs)}, {"outputs", portList(mv, io.head_outputs)}}
                                  : json(nullptr);
    plan["tail_io"] = io.has_tail ? json{{"inputs", portList(mv, io.tail_inputs)}, {"outputs", portList(mv, io.tail_outputs)}}
                                  : json(nullptr);
    plan["wire"] = portList(mv, io.wire(), /*with_bytes=*/true);
    plan["outputs"] = {{"device", names(mv, io.device_outputs)}, {"cloud", names(mv, io.cloud_outputs)}};
    plan["device_ms"] = p.figures.device_ms;
    plan["cloud_ms"] = p.figures.cloud_ms;
    plan["up_bytes_fp32"] = p.figures.up_bytes_fp32;
    plan["up_bytes"] = p.figures.up_bytes;
    plan["down_bytes"] = p.figures.down_bytes;
    const auto files = ctx.files.find(p.id);
    auto path = [](const std::string& f) { return f.empty() ? json(nullptr) : json(f); };
    plan["head"] = files == ctx.files.end() ? json(nullptr) : path(files->second.head);
    plan["tail"] = files == ctx.files.end() ? json(nullptr) : path(files->second.tail);
    // Weights kept outside the split files (models with external data).
    if (files != ctx.files.end() && !files->second.head_data.empty()) plan["head_data"] = files->second.head_data;
    if (files != ctx.files.end() && !files->second.tail_data.empty()) plan["tail_data"] = files->second.tail_data;
    j["plans"].push_back(plan);
  }
  auto tableJson = [&](const PlannedTable& t) {
    json bands = json::array();
    for (const auto& b : t.bands) {
      json band{{"min_mbps", b.min_mbps},
                {"max_mbps", b.max_mbps},
                {"plan", b.plan},
                {"latency_ms_at_min", b.latency_ms_at_min},
                {"latency_ms_at_max", b.latency_ms_at_max},
                {"throughput_fps", finite(b.throughput_fps)},
                {"throughput_fps_at_max", finite(b.throughput_fps_at_max)}};
      if (t.objective == Objective::throughput) {
        band["bound_fps"] = finite(b.bound_fps);
        band["proven_ratio"] = b.proven_ratio;
      }
      bands.push_back(band);
    }
    json tj{{"objective", toString(t.objective)},
            {"method", t.method},
            {"server_load", t.load},
            {"precision", toString(t.precision)},
            {"bands", bands}};
    if (t.max_loss) tj["max_loss"] = *t.max_loss;
    return tj;
  };
  json files = json::array();
  for (const auto& f : ctx.written) files.push_back({{"path", f.path}, {"sha256", f.sha256}, {"bytes", f.bytes}});
  j["files"] = files;
  j["options"] = ctx.options;
  if (!ctx.calibration.is_null()) j["calibration"] = ctx.calibration;
  j["tables"] = json::array();
  for (const auto& t : set.tables) j["tables"].push_back(tableJson(t));
  json chain = json::array();
  for (const auto& t : set.baselines.chain_only) chain.push_back(tableJson(t));
  j["baselines"] = {{"device_only", set.baselines.device_only},
                    {"cloud_only", set.baselines.cloud_only},
                    {"chain_only", chain}};
  requireFinite(j, "plan-table.json");
  return j;
}

}  // namespace onnxcut
