// `onnxcut plan MODEL --costs FILE -o DIR`: parses the flags into a
// PlanRequest, calls planModel (planner/plan_request.h) and prints the band
// tables. No planning happens here.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "errors.h"

#include "commands.h"
#include "flags.h"
#include "format_util.h"
#include "plan_request.h"

namespace onnxcut::cli {
namespace {

struct PlanArgs {
  PlanRequest req;
  std::vector<std::string> input_shapes, precisions{"fp32"}, objectives{"latency"};
  double down = 0;
  std::string loss_metric;
  std::vector<float> image_mean, image_std;
};

// Widths of a mixed plan's cut tensors, e.g. "4,4,8" (at most 6 shown).
std::string bitsText(const PlannedPlan& p) {
  if (p.precision != Precision::mixed) return toString(p.precision);
  std::string s;
  for (size_t i = 0; i < p.bits.size() && i < 6; ++i) s += (i ? "," : "") + std::to_string(p.bits[i]);
  if (p.bits.size() > 6) s += fmt::format(" +{}", p.bits.size() - 6);
  return s.empty() ? "-" : s + " bits";
}

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

void printTables(const PlanResult& r, const PlanOptions& opt) {
  const ModelView& mv = r.model;
  const PlanSet& set = r.plans;
  for (const auto& t : set.tables) {
    const bool thr = t.objective == Objective::throughput;
    fmt::print("\n{}{} · server load {} · {}{} · rtt {} ms · downlink {}\n", toString(t.objective),
               thr ? " (" + t.method + ")" : "", t.load,
               toString(t.precision), t.max_loss ? fmt::format(" (loss <= {})", *t.max_loss) : "", opt.rtt_ms,
               opt.down_mbps ? fmt::format("{} Mbit/s", *opt.down_mbps) : "= uplink");
    std::vector<std::string> head = {"Mbit/s", "plan", "cut", "dev/cloud nodes", "sent up"};
    const bool calibrated = std::any_of(set.plans.begin(), set.plans.end(), [](const PlannedPlan& p) { return p.loss.has_value(); });
    if (t.precision == Precision::mixed) head.push_back("widths");
    if (calibrated) head.push_back("loss fit/held");
    if (thr) {
      for (const char* h : {"fps (low..high bw)", "bound fps", "proven >="}) head.push_back(h);
    } else {
      for (const char* h : {"latency ms (low..high bw)", "keeps up to", "vs device", "vs cloud"}) head.push_back(h);
    }
    // The one-sided plans at this precision (baselines), when they are valid.
    auto baseline = [&](const std::map<std::string, int>& ids) -> const PlannedPlan* {
      auto it = ids.find(toString(t.precision));
      return it == ids.end() ? nullptr : &set.plans[it->second];
    };
    const PlannedPlan* device_only = baseline(set.baselines.device_only);
    const PlannedPlan* cloud_only = baseline(set.baselines.cloud_only);
    Table table(head);
    for (const auto& b : t.bands) {
      const auto& p = set.plans[b.plan];
      const int on_dev = static_cast<int>(std::count(p.device.begin(), p.device.end(), 1));
      std::vector<std::string> row = {mbps(b.min_mbps) + " - " + mbps(b.max_mbps), std::to_string(p.id),
                                      cutText(mv, p), fmt::format("{}/{}", on_dev, r.graph.num_nodes - on_dev),
                                      bytesText(p.figures.up_bytes)};
      if (t.precision == Precision::mixed) row.push_back(bitsText(p));
      if (calibrated) row.push_back(p.loss ? fmt::format("{:.3g}/{:.3g}", p.loss->fit, p.loss->held_out) : "-");
      if (thr) {
        row.push_back(fmt::format("{:.1f} .. {:.1f}", b.throughput_fps, b.throughput_fps_at_max));
        row.push_back(fmt::format("{:.1f}", b.bound_fps));
        row.push_back(fmt::format("{:.0f}%", b.proven_ratio * 100));
      } else {
        const Network net = tableNetwork(opt, t, std::sqrt(b.min_mbps * b.max_mbps));
        auto latencyOf = [&](const PlannedPlan* q) -> std::optional<double> {
          if (!q) return std::nullopt;
          return stageTimes(q->figures, net).latency();
        };
        const double plan_ms = *latencyOf(&p);
        row.push_back(fmt::format("{:.2f} .. {:.2f}", b.latency_ms_at_min, b.latency_ms_at_max));
        row.push_back(fmt::format("{:.1f} fps", b.throughput_fps));
        row.push_back(gain(plan_ms, latencyOf(device_only)));
        row.push_back(gain(plan_ms, latencyOf(cloud_only)));
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
  if (std::any_of(set.tables.begin(), set.tables.end(), [](const PlannedTable& t) { return t.objective == Objective::throughput; }))
    fmt::print("bound fps: no plan is faster anywhere in the band (proven); proven >=: the band's plan reaches\n"
               "  at least this share of the optimum everywhere in the band.\n");
}

int runPlan(PlanArgs& a) {
  PlanRequest& req = a.req;
  for (const auto& s : a.input_shapes) req.input_shapes.push_back(parseInputShape(s));
  req.options.precisions.clear();
  for (const auto& p : a.precisions) req.options.precisions.push_back(parsePrecision(p));
  req.options.objectives.clear();
  for (const auto& o : a.objectives) req.options.objectives.push_back(parseObjective(o));
  if (!a.loss_metric.empty()) req.fidelity.metric = parseLossMetric(a.loss_metric);
  auto three = [](const std::vector<float>& v, const char* flag, std::array<float, 3>& out) {
    if (v.empty()) return;
    if (v.size() == 1) out = {v[0], v[0], v[0]};
    else if (v.size() == 3) out = {v[0], v[1], v[2]};
    else throw InputError(std::string(flag) + " takes 1 or 3 numbers (R,G,B), got " + std::to_string(v.size()));
  };
  three(a.image_mean, "--image-mean", req.fidelity.image.mean);
  three(a.image_std, "--image-std", req.fidelity.image.std);

  if (progressWanted()) req.progress = progressLine;
  const PlanResult r = planModel(req);
  for (const auto& w : r.warnings) fmt::print(stderr, "warning: {}\n", forUser(w));
  printTables(r, req.options);
  fmt::print("\nwrote {}/plan-table.json: {} distinct plans, {} tables\n", req.output_dir, r.plans.plans.size(),
             r.plans.tables.size());
  return kExitOk;
}

}  // namespace

void registerPlan(CLI::App& app, Action& run) {
  auto a = std::make_shared<PlanArgs>();
  PlanRequest& req = a->req;
  auto* cmd = app.add_subcommand("plan", "Plan the split for every bandwidth in a range; write a plan table");
  cmd->add_option("model", req.model, "ONNX model file")->required();
  cmd->add_option("--costs", req.costs_csv, "Per-node costs CSV: node,device_ms,cloud_ms (overrides profiles)");
  cmd->add_option("--device", req.device.profile, "Device hardware profile (bundled name or file)");
  cmd->add_option("--cloud", req.cloud.profile, "Cloud hardware profile (bundled name or file)");
  cmd->add_option("--device-ort-profile", req.device.ort_profile, "Device costs from an ONNX Runtime profile JSON");
  cmd->add_option("--cloud-ort-profile", req.cloud.ort_profile, "Cloud costs from an ONNX Runtime profile JSON");
  cmd->add_option("-o,--output", req.output_dir, "Artifact directory to write")->required();
  cmd->add_option("--input-shape", a->input_shapes, "Fix an input's dims, NAME=1x3x224x224 (repeatable)");
  cmd->add_option("--rtt-ms", req.options.rtt_ms, "Round-trip time, paid when the cloud is used")->capture_default_str();
  auto* down = cmd->add_option("--down-mbps", a->down, "Fixed downlink bandwidth (default: equal to the uplink)");
  cmd->add_option("--min-mbps", req.options.min_mbps, "Lowest uplink bandwidth")->capture_default_str();
  cmd->add_option("--max-mbps", req.options.max_mbps, "Highest uplink bandwidth")->capture_default_str();
  cmd->add_option("--load", req.options.loads, "Server load factors >= 1, comma-separated")->delimiter(',')->capture_default_str();
  cmd->add_option("--precision", a->precisions, "Transfer precisions: fp32,fp16,int8")->delimiter(',')->capture_default_str();
  cmd->add_option("--objective", a->objectives, "Objectives: latency,throughput")->delimiter(',')->capture_default_str();
  cmd->add_option("--proof-effort", req.options.proof_effort,
                  "Throughput tables: multiply the proof's budget (0 to 1000; 0 only searches). More proves "
                  "larger graphs' tables, in proportionally more time")->capture_default_str();
  cmd->add_flag("--emit-onnx", req.emit_onnx, "Also write plans/<id>/head.onnx and tail.onnx");
  cmd->add_flag("--self-contained", req.self_contained,
                "With --emit-onnx: each split file keeps its own weights (loadable from memory) instead of one "
                "shared plans/<id>/weights.data");
  cmd->add_option("--calibration", req.fidelity.calibration_dir,
                  "Calibration inputs: a folder of .npy/.pb tensors or PNG/JPEG images (one per sample; a "
                  "sub-folder per sample for several inputs). Measures every plan's loss in ONNX Runtime");
  cmd->add_option("--max-loss", req.fidelity.max_loss,
                  "Fidelity budgets (loss metric units), comma-separated: adds per-tensor-width plans and one "
                  "table per budget (needs --calibration)")->delimiter(',');
  cmd->add_option("--loss-metric", a->loss_metric, "top1 or rel-l2 (default: top1 for a classifier, else rel-l2)");
  cmd->add_option("--calibration-samples", req.fidelity.max_samples,
                  "Calibration samples used, the first in name order (0: all); half fitted on, half held back")
      ->capture_default_str();
  cmd->add_option("--image-scale", req.fidelity.image.scale, "Images: pixel (0-255) x scale, then (x - mean) / std")
      ->capture_default_str();
  cmd->add_option("--image-mean", a->image_mean, "Images: per-channel mean R,G,B (after scaling)")->delimiter(',');
  cmd->add_option("--image-std", a->image_std, "Images: per-channel std R,G,B (after scaling)")->delimiter(',');
  cmd->add_flag("--image-bgr", req.fidelity.image.bgr, "Images: feed channels in BGR order");
  cmd->add_option("--pin-device", req.options.pin_device, "Run this node (key) on the device (repeatable)");
  cmd->add_option("--pin-cloud", req.options.pin_cloud, "Run this node (key) on the cloud (repeatable)");
  cmd->callback([a, down, &run] {
    run = [a, down] {
      if (down->count() > 0) a->req.options.down_mbps = a->down;
      return runPlan(*a);
    };
  });
}

}  // namespace onnxcut::cli
