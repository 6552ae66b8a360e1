// `onnxcut plan MODEL --costs FILE -o DIR`: exact minimum-latency plans for
// every bandwidth in a range, written as a plan table, with a readable band
// table on stdout.
#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "analytic.h"
#include "artifact_writer.h"
#include "hw_profile.h"
#include "ort_profile.h"
#include "commands.h"
#include "costs_csv.h"
#include "errors.h"
#include "format_util.h"
#include "model_view.h"
#include "plan_table.h"
#include "planning.h"
#include "sha256.h"
#include "split.h"

namespace onnxcut::cli {
namespace {

struct PlanArgs {
  std::string model, costs, out, device, cloud, device_ort, cloud_ort;
  std::vector<std::string> input_shapes, precisions{"fp32"}, objectives{"latency"};
  std::vector<double> loads{1.0};
  PlanOptions opt;
  double down = 0;
  bool emit_onnx = false;
};

// Where the cut is, in words: after which layers (the producers of the
// tensors sent up), or the raw input, or nothing.
std::string cutText(const ModelView& mv, const PlannedPlan& p) {
  if (p.cut.empty()) return "nothing: all on device";
  if (std::none_of(p.device.begin(), p.device.end(), [](char c) { return c != 0; })) return "raw input: all on cloud";
  std::vector<std::string> after;
  bool raw = false;
  for (int t : p.cut) {
    const int producer = mv.tensors()[t].producer;
    if (producer < 0) { raw = true; continue; }
    after.push_back(mv.nodes()[producer].key + " (" + mv.nodes()[producer].op_type + ")");
  }
  std::string s = "after ";
  for (size_t i = 0; i < after.size() && i < 2; ++i) s += (i ? ", " : "") + after[i];
  if (after.size() > 2) s += fmt::format(" +{} more", after.size() - 2);
  return raw ? s + ", with the raw input" : s;
}

std::string mbps(double x) { return x < 10 ? fmt::format("{:.3g}", x) : fmt::format("{:.1f}", x); }

// Percent saved by the plan against a fixed reference plan (at `bw`).
std::string gain(double plan_ms, std::optional<double> ref_ms) {
  if (!ref_ms) return "-";
  return fmt::format("{:+.0f}%", (plan_ms / *ref_ms - 1.0) * 100.0);
}

void printTables(const ModelView& mv, const PlanGraph& g, const NodeCosts& costs, const PlanSet& set,
                 const PlanOptions& opt) {
  const DeviceSet all_device(g.num_nodes, 1), all_cloud(g.num_nodes, 0);
  for (const auto& t : set.tables) {
    const bool thr = t.objective == "throughput";
    fmt::print("\n{}{} · server load {} · {} · rtt {} ms · downlink {}\n", t.objective,
               thr ? " (" + t.method + ")" : "", t.load,
               toString(t.precision), opt.rtt_ms,
               opt.down_mbps ? fmt::format("{} Mbit/s", *opt.down_mbps) : "= uplink");
    std::vector<std::string> head = {"Mbit/s", "plan", "cut", "dev/cloud nodes", "sent up"};
    if (thr) {
      for (const char* h : {"fps (low..high bw)", "bound fps", "proven >="}) head.push_back(h);
    } else {
      for (const char* h : {"latency ms (low..high bw)", "keeps up to", "vs device", "vs cloud"}) head.push_back(h);
    }
    Table table(head);
    for (const auto& b : t.bands) {
      const auto& p = set.plans[b.plan];
      const int on_dev = static_cast<int>(std::count(p.device.begin(), p.device.end(), 1));
      std::vector<std::string> row = {mbps(b.min_mbps) + " - " + mbps(b.max_mbps), std::to_string(p.id),
                                      cutText(mv, p), fmt::format("{}/{}", on_dev, g.num_nodes - on_dev),
                                      bytesText(p.figures.up_bytes)};
      if (thr) {
        row.push_back(fmt::format("{:.1f} .. {:.1f}", b.throughput_fps, b.throughput_fps_at_max));
        row.push_back(fmt::format("{:.1f}", b.bound_fps));
        row.push_back(fmt::format("{:.0f}%", b.proven_ratio * 100));
      } else {
        const double mid = std::sqrt(b.min_mbps * b.max_mbps);
        const Network net = tableNetwork(opt, t, mid);
        auto latencyOf = [&](const DeviceSet& d) -> std::optional<double> {
          if (!isValidPlan(g, d)) return std::nullopt;
          return stageTimes(planFigures(g, costs, d, t.precision), net).latency();
        };
        const double plan_ms = *latencyOf(p.device);
        row.push_back(fmt::format("{:.2f} .. {:.2f}", b.latency_ms_at_min, b.latency_ms_at_max));
        row.push_back(fmt::format("{:.1f} fps", b.throughput_fps));
        row.push_back(gain(plan_ms, latencyOf(all_device)));
        row.push_back(gain(plan_ms, latencyOf(all_cloud)));
      }
      table.row(row);
    }
    table.print();
  }
  fmt::print("\nvs device / vs cloud: latency change against running everything on one side, at the band's\n"
             "  geometric middle bandwidth (negative is faster).\n"
             "keeps up to: the frame rate the latency plan sustains as a pipeline at the band's low end.\n"
             "  Runtimes use the latency plan while the frame rate stays below it, else the throughput\n"
             "  plan (DADS light/heavy rule; plan with --objective latency,throughput).\n");
  if (std::any_of(set.tables.begin(), set.tables.end(), [](const PlannedTable& t) { return t.objective == "throughput"; }))
    fmt::print("bound fps: no plan is faster anywhere in the band (proven); proven >=: the band's plan reaches\n"
               "  at least this share of the optimum everywhere in the band.\n");
}

// plans/<id>/head.onnx and tail.onnx for every plan, one at a time.
void emitSplits(const ModelView& mv, const PlanSet& set, const std::string& sha, ArtifactWriter& writer) {
  for (const auto& p : set.plans) {
    const SplitResult split = splitModel(mv, {p.id, p.device, p.precision, p.cut, sha});
    const std::string dir = "plans/" + std::to_string(p.id) + "/";
    auto stream = [](const onnx::ModelProto& m) { return [&m](std::ostream& o) { serializeModel(m, o); }; };
    if (split.head) writer.write(dir + "head.onnx", stream(*split.head));
    if (split.tail) writer.write(dir + "tail.onnx", stream(*split.tail));
  }
}

int runPlan(PlanArgs& a) {
  PlanOptions& opt = a.opt;
  opt.loads = a.loads;
  opt.objectives = a.objectives;
  opt.precisions.clear();
  for (const auto& p : a.precisions) opt.precisions.push_back(parsePrecision(p));
  validateOptions(opt);
  checkArtifactDirWritable(a.out);

  LoadOptions lo;
  for (const auto& s : a.input_shapes) lo.input_shapes.push_back(parseInputShape(s));
  const ModelView mv = ModelView::load(a.model, lo);
  for (const auto& w : mv.warnings()) fmt::print(stderr, "warning: {}\n", w);
  const auto keys = mv.nodeKeys();
  NodeCosts costs;
  std::string device_name, cloud_name;
  if (!a.costs.empty()) {  // measured costs override any profile (cost-model.md)
    if (!a.device.empty() || !a.cloud.empty() || !a.device_ort.empty() || !a.cloud_ort.empty())
      fmt::print(stderr, "note: --costs {} overrides the profiles given with it\n", a.costs);
    costs = readCostsCsv(a.costs, keys);
    device_name = cloud_name = std::filesystem::path(a.costs).filename().string();
  } else {
    // Per side: a recorded ONNX Runtime profile, else a hardware profile.
    const auto work = analyzeNodes(mv);
    if (a.device_ort.empty() || a.cloud_ort.empty())
      for (const auto& [op, count] : unmodelledOps(mv, work))
        fmt::print(stderr, "warning: {} x {}: no FLOP model, estimated from bytes moved\n", count, op);
    auto side = [&](const std::string& ort, const std::string& hw, std::string& name) {
      if (!ort.empty()) {
        name = "ort-profile:" + std::filesystem::path(ort).filename().string();
        return readOrtProfile(ort, mv);
      }
      const HwProfile p = readProfile(resolveProfilePath(hw));
      name = p.name;
      return estimateAll(p, work);
    };
    costs.device_ms = side(a.device_ort, a.device, device_name);
    costs.cloud_ms = side(a.cloud_ort, a.cloud, cloud_name);
  }
  const PlanGraph g = mv.planGraph();
  const PlanSet set = planTables(g, costs, keys, opt);

  TableContext ctx;
  ctx.model_path = a.model;
  ctx.model_sha256 = sha256File(a.model);
  ctx.device_costs = device_name;
  ctx.cloud_costs = cloud_name;
  ctx.emit_onnx = a.emit_onnx;
  ArtifactWriter writer(a.out);
  if (a.emit_onnx) emitSplits(mv, set, ctx.model_sha256, writer);
  writer.write("plan-table.json", planTableJson(mv, set, opt, ctx).dump(2) + "\n");
  writer.commit();

  printTables(mv, g, costs, set, opt);
  fmt::print("\nwrote {}/plan-table.json: {} distinct plans, {} tables\n", a.out, set.plans.size(),
             set.tables.size());
  return kExitOk;
}

}  // namespace

void registerPlan(CLI::App& app, Action& run) {
  auto a = std::make_shared<PlanArgs>();
  auto* cmd = app.add_subcommand("plan", "Plan the split for every bandwidth in a range; write a plan table");
  cmd->add_option("model", a->model, "ONNX model file")->required();
  auto* costs = cmd->add_option("--costs", a->costs, "Per-node costs CSV: node,device_ms,cloud_ms (overrides profiles)");
  auto* device = cmd->add_option("--device", a->device, "Device hardware profile (bundled name or file)");
  auto* cloud = cmd->add_option("--cloud", a->cloud, "Cloud hardware profile (bundled name or file)");
  auto* device_ort = cmd->add_option("--device-ort-profile", a->device_ort, "Device costs from an ONNX Runtime profile JSON");
  auto* cloud_ort = cmd->add_option("--cloud-ort-profile", a->cloud_ort, "Cloud costs from an ONNX Runtime profile JSON");
  device->excludes(device_ort);
  cloud->excludes(cloud_ort);
  (void)costs;  // --costs overrides any profile given with it (cost-model.md)
  cmd->add_option("-o,--output", a->out, "Artifact directory to write")->required();
  cmd->add_option("--input-shape", a->input_shapes, "Fix an input's dims, NAME=1x3x224x224 (repeatable)");
  cmd->add_option("--rtt-ms", a->opt.rtt_ms, "Round-trip time, paid when the cloud is used")->capture_default_str();
  auto* down = cmd->add_option("--down-mbps", a->down, "Fixed downlink bandwidth (default: equal to the uplink)");
  cmd->add_option("--min-mbps", a->opt.min_mbps, "Lowest uplink bandwidth")->capture_default_str();
  cmd->add_option("--max-mbps", a->opt.max_mbps, "Highest uplink bandwidth")->capture_default_str();
  cmd->add_option("--load", a->loads, "Server load factors >= 1, comma-separated")->delimiter(',')->capture_default_str();
  cmd->add_option("--precision", a->precisions, "Transfer precisions: fp32,fp16,int8")->delimiter(',')->capture_default_str();
  cmd->add_option("--objective", a->objectives, "Objectives: latency,throughput")->delimiter(',')->capture_default_str();
  cmd->add_flag("--emit-onnx", a->emit_onnx, "Also write plans/<id>/head.onnx and tail.onnx");
  cmd->add_option("--pin-device", a->opt.pin_device, "Run this node (key) on the device (repeatable)");
  cmd->add_option("--pin-cloud", a->opt.pin_cloud, "Run this node (key) on the cloud (repeatable)");
  cmd->callback([a, down, costs, device, cloud, device_ort, cloud_ort, &run] {
    const bool dev = device->count() + device_ort->count() > 0, cl = cloud->count() + cloud_ort->count() > 0;
    if (costs->count() == 0 && !(dev && cl))
      throw CLI::ValidationError("plan", "give --costs FILE, or a device side (--device PROFILE or --device-ort-profile FILE) "
                                         "and a cloud side (--cloud PROFILE or --cloud-ort-profile FILE)");
    run = [a, down] {
      if (down->count() > 0) a->opt.down_mbps = a->down;
      return runPlan(*a);
    };
  });
}

}  // namespace onnxcut::cli
