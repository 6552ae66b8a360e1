// `onnxcut select TABLE --mbps X`: the plan a runtime would pick.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "errors.h"
#include "onnxcut_runtime.h"

namespace onnxcut::cli {
namespace {

struct SelectArgs {
  std::string table, precision = "fp32", objective = "latency";
  double mbps = 0, load = 1, fps = 0, max_loss = 0;
  bool json = false;
};

int runSelect(const SelectArgs& a, bool fps_given, bool max_loss_given) {
  const auto table = runtime::loadPlanTable(a.table);
  if (!table.ok()) throw InputError(table.error);
  runtime::Query q;
  q.mbps = a.mbps;
  q.load = a.load;
  q.precision = a.precision;
  q.objective = a.objective;
  if (fps_given) {
    if (!(a.fps > 0)) throw InputError("--fps must be positive");
    q.fps = a.fps;
  }
  if (max_loss_given) {
    if (!(a.max_loss >= 0)) throw InputError("--max-loss must be a number >= 0");
    q.max_loss = a.max_loss;
  }
  const auto sel = runtime::select(*table.value, q);
  if (!sel.ok()) throw InputError(a.table + ": " + sel.error);
  const auto& s = *sel.value;
  const auto& p = table.value->plan(s.plan);
  if (a.json) {
    nlohmann::json j{{"plan", p.id},
                     {"precision", p.precision},
                     {"loss", p.loss ? nlohmann::json{{"fit", p.loss->fit}, {"held_out", p.loss->held_out}}
                                     : nlohmann::json(nullptr)},
                     {"table_max_loss", s.max_loss ? nlohmann::json(*s.max_loss) : nlohmann::json(nullptr)},
                     {"mode", s.mode},
                     {"table_load", s.table_load},
                     {"head", p.head.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.head)},
                     {"tail", p.tail.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.tail)},
                     {"device_nodes", p.device_nodes.size()},
                     {"predicted_latency_ms", s.predicted.latency_ms},
                     {"predicted_throughput_fps", s.predicted.throughput_fps},
                     {"keeps_up", s.keeps_up},
                     {"load_extrapolated", s.load_extrapolated},
                     {"bandwidth_clamped", s.bandwidth_clamped}};
    fmt::print("{}\n", j.dump(2));
    return kExitOk;
  }
  fmt::print("plan {} ({}, {} table at load {}{})\n", p.id, p.precision, s.mode, s.table_load,
             s.load_extrapolated ? ", load above every tabulated level" : "");
  fmt::print("  head: {}\n  tail: {}\n", p.head.empty() ? "(none)" : p.head, p.tail.empty() ? "(none)" : p.tail);
  fmt::print("  device nodes: {}\n", p.device_nodes.size());
  if (p.loss)
    fmt::print("  measured loss ({}): {:.4g} fitted, {:.4g} held back\n",
               table.value->loss_metric.empty() ? "?" : table.value->loss_metric, p.loss->fit, p.loss->held_out);
  fmt::print("  predicted latency {:.2f} ms, throughput {:.1f} fps at {} Mbit/s, load {}\n", s.predicted.latency_ms,
             s.predicted.throughput_fps, a.mbps, a.load);
  if (s.bandwidth_clamped) fmt::print("  note: {} Mbit/s is outside the table's range; its nearest band was used\n", a.mbps);
  if (fps_given && !s.keeps_up) fmt::print("  warning: no plan sustains {} fps at this bandwidth\n", a.fps);
  return kExitOk;
}

}  // namespace

void registerSelect(CLI::App& app, Action& run) {
  auto a = std::make_shared<SelectArgs>();
  auto* cmd = app.add_subcommand("select", "Pick the plan a runtime would use at a bandwidth and load");
  cmd->add_option("table", a->table, "plan-table.json")->required();
  cmd->add_option("--mbps", a->mbps, "Uplink bandwidth, Mbit/s")->required();
  cmd->add_option("--load", a->load, "Server load factor >= 1")->capture_default_str();
  cmd->add_option("--precision", a->precision, "fp32, fp16, int8, mixed, or auto (the best plan of any)")
      ->capture_default_str();
  auto* max_loss = cmd->add_option("--max-loss", a->max_loss,
                                   "Fidelity budget: only plans whose measured loss is at most this");
  cmd->add_option("--objective", a->objective, "latency or throughput (without --fps)")->capture_default_str();
  auto* fps = cmd->add_option("--fps", a->fps, "Frame rate: latency plan while it keeps up, else throughput plan");
  cmd->add_flag("--json", a->json, "Print JSON");
  cmd->callback([a, fps, max_loss, &run] {
    run = [a, fps, max_loss] { return runSelect(*a, fps->count() > 0, max_loss->count() > 0); };
  });
}

}  // namespace onnxcut::cli
