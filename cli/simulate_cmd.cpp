// `onnxcut simulate TABLE --trace FILE`: replays a bandwidth trace and
// compares the adaptive policy with fixed and restricted ones.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "artifact_writer.h"
#include "errors.h"
#include "format_util.h"
#include "simulator.h"

namespace onnxcut::cli {
namespace {

struct SimulateArgs {
  std::string table, trace, format = "pensieve", precision = "fp32", timeline, svg, estimator = "harmonic";
  double fps = 0, load = 1, margin = 0.1;
  int frames = 0, patience = 3, window = 5, max_in_flight = 8;
  std::vector<std::string> fail_if;
  bool json = false;
  CsvColumns columns;  // --time-col, --rate-col, --time-unit, --rate-unit
  std::string down_trace, down_rate_col;
};

std::string timelineCsv(const std::vector<PolicyResult>& rs) {
  // A dropped frame leaves its policy's cells empty.
  std::string s = "frame,arrival_s,true_mbps,adaptive_estimate_mbps,adaptive_plan";
  const PolicyResult* ad = nullptr;
  for (const auto& r : rs) { s += "," + r.name + "_ms"; if (r.name == "adaptive") ad = &r; }
  s += "\n";
  for (size_t i = 0; i < rs.front().frames.size(); ++i) {
    const auto& f = ad->frames[i];
    s += f.dropped ? fmt::format("{},{:.6f},{:.6f},,", i, f.arrival_s, f.true_mbps)
                   : fmt::format("{},{:.6f},{:.6f},{:.6f},{}", i, f.arrival_s, f.true_mbps, f.estimate_mbps, f.plan);
    for (const auto& r : rs) s += r.frames[i].dropped ? std::string(",") : fmt::format(",{:.6f}", r.frames[i].latency_ms);
    s += "\n";
  }
  return s;
}

// Two panels over time: the trace's bandwidth, and each policy's latency.
std::string svgPlot(const std::vector<PolicyResult>& rs, const Trace& tr) {
  const double W = 1000, H = 560, L = 80, R = 270, top1 = 30, h1 = 150, top2 = 230, h2 = 280;
  const auto& ad = *std::find_if(rs.begin(), rs.end(), [](const PolicyResult& r) { return r.name == "adaptive"; });
  const double t_end = std::max(ad.frames.back().arrival_s, 1e-9);
  double max_bw = 0, max_ms = 0;
  for (const auto& f : ad.frames) max_bw = std::max(max_bw, f.true_mbps);
  for (const auto& r : rs) max_ms = std::max(max_ms, r.p99_ms);
  max_bw = std::max(max_bw, 1e-6);
  max_ms = std::max(max_ms, 1e-6);
  auto x = [&](double t) { return L + (W - L - R) * t / t_end; };
  static const char* colors[] = {"#7f7f7f", "#1f77b4", "#bcbd22", "#9467bd", "#d62728", "#2ca02c"};
  std::string s = fmt::format(R"svg(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="12">)svg"
                              "\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n", W, H);
  s += fmt::format(R"svg(<text x="{}" y="18" font-size="14">{}: bandwidth (top) and per-frame latency (bottom)</text>)svg" "\n", L,
                   std::filesystem::path(tr.label()).filename().string());
  for (auto [top, h, label, maxv] : {std::tuple{top1, h1, std::string("Mbit/s"), max_bw}, std::tuple{top2, h2, std::string("latency ms"), max_ms}}) {
    s += fmt::format(R"svg(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#999"/>)svg" "\n", L, top, W - L - R, h);
    for (int k = 0; k <= 4; ++k) {
      const double v = maxv * k / 4, y = top + h - h * k / 4;
      s += fmt::format(R"svg(<text x="{}" y="{}" text-anchor="end">{}</text><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#eee"/>)svg" "\n",
                       L - 6, y + 4, v >= 100 ? fmt::format("{:.0f}", v) : fmt::format("{:.3g}", v), L, y, W - R, y);
    }
    s += fmt::format(R"svg(<text x="14" y="{}" transform="rotate(-90 14 {})" text-anchor="middle">{}</text>)svg" "\n", top + h / 2, top + h / 2, label);
  }
  s += fmt::format(R"svg(<text x="{}" y="{}" text-anchor="middle">time (s)</text>)svg" "\n", L + (W - L - R) / 2, top2 + h2 + 34);
  for (int k = 0; k <= 5; ++k)
    s += fmt::format(R"svg(<text x="{}" y="{}" text-anchor="middle">{:.0f}</text>)svg" "\n", x(t_end * k / 5), top2 + h2 + 16, t_end * k / 5);
  std::string bw = "";
  for (const auto& f : ad.frames) bw += fmt::format("{:.1f},{:.1f} ", x(f.arrival_s), top1 + h1 - h1 * f.true_mbps / max_bw);
  s += fmt::format(R"svg(<polyline fill="none" stroke="#444" stroke-width="1" points="{}"/>)svg" "\n", bw);
  for (size_t i = 0; i < rs.size(); ++i) {
    std::string pts;
    for (const auto& f : rs[i].frames)
      if (f.arrival_s <= t_end && !f.dropped) pts += fmt::format("{:.1f},{:.1f} ", x(f.arrival_s), top2 + h2 - h2 * std::min(f.latency_ms, max_ms) / max_ms);
    const bool ours = rs[i].name == "adaptive";
    s += fmt::format(R"svg(<polyline fill="none" stroke="{}" stroke-width="{}" opacity="0.85" points="{}"/>)svg" "\n",
                     colors[i % 6], ours ? 2 : 1, pts);
    s += fmt::format(R"svg(<rect x="{}" y="{}" width="12" height="3" fill="{}"/><text x="{}" y="{}">{} (mean {:.1f} ms)</text>)svg" "\n",
                     W - R + 10, top2 + 10 + 18 * i, colors[i % 6], W - R + 26, top2 + 15 + 18 * i, rs[i].name, rs[i].mean_ms);
  }
  return s + "</svg>\n";
}

int runSimulate(const SimulateArgs& a, bool fps_given) {
  if (!a.down_rate_col.empty() && a.down_trace.empty())
    throw InputError("--down-rate-col names a column of --down-trace; give --down-trace FILE too");
  const auto table = runtime::loadPlanTable(a.table);
  if (!table.ok()) throw InputError(table.error);
  SimConfig cfg;
  cfg.load = a.load;
  cfg.precision = a.precision;
  if (fps_given) cfg.fps = a.fps;
  if (a.estimator != "harmonic" && a.estimator != "ewma") throw InputError("unknown --estimator '" + a.estimator + "' (allowed: harmonic, ewma)");
  cfg.frames = a.frames;
  cfg.estimator.window = static_cast<size_t>(std::max(a.window, 0));
  cfg.estimator.kind = a.estimator == "ewma" ? runtime::BandwidthEstimator::Kind::ewma : runtime::BandwidthEstimator::Kind::harmonic;
  cfg.switcher.margin = a.margin;
  cfg.switcher.patience = a.patience;
  cfg.max_in_flight = a.max_in_flight;
  const Trace tr = readTrace(a.trace, parseTraceFormat(a.format), a.columns);
  std::optional<Trace> down;
  if (!a.down_trace.empty()) {
    CsvColumns dc = a.columns;
    if (!a.down_rate_col.empty()) dc.rate_col = a.down_rate_col;
    down.emplace(readTrace(a.down_trace, parseTraceFormat(a.format), dc));
    cfg.down_trace = &*down;
  }
  const auto results = simulate(*table.value, tr, cfg);
  const auto gates = evaluateGates(results, a.fail_if);  // a malformed gate is bad input before anything is written
  const bool gate_failed = std::any_of(gates.begin(), gates.end(), [](const GateOutcome& g) { return g.failed; });
  if (!a.timeline.empty()) writeFileAtomically(a.timeline, timelineCsv(results));
  if (!a.svg.empty()) writeFileAtomically(a.svg, svgPlot(results, tr));
  if (a.json) {
    nlohmann::json j;
    j["trace"] = a.trace;
    if (down) j["down_trace"] = a.down_trace;
    j["frames"] = results.front().frames.size();
    j["trace_mean_mbps"] = tr.meanMbps();
    j["settings"] = {{"fps", cfg.fps ? nlohmann::json(*cfg.fps) : nlohmann::json(nullptr)},
                     {"precision", cfg.precision},
                     {"server_load", cfg.load},
                     {"max_in_flight", cfg.max_in_flight},
                     {"estimator", {{"kind", a.estimator}, {"window", cfg.estimator.window}}},
                     {"switcher", {{"margin", cfg.switcher.margin}, {"patience", cfg.switcher.patience}}},
                     {"probe_bytes", cfg.probe_bytes}};
    for (const auto& r : results)
      j["policies"][r.name] = {{"mean_ms", r.mean_ms}, {"p50_ms", r.p50_ms}, {"p95_ms", r.p95_ms}, {"p99_ms", r.p99_ms},
                               {"throughput_fps", r.throughput_fps}, {"bytes_sent", r.bytes_sent},
                               {"plan_switches", r.switches}, {"dropped", r.dropped}, {"drop_rate", r.dropRate()}};
    j["gates"] = nlohmann::json::array();
    for (const auto& g : gates) j["gates"].push_back({{"gate", g.gate}, {"failed", g.failed}, {"lhs", g.lhs}, {"rhs", g.rhs}});
    fmt::print("{}\n", j.dump(2));
    return gate_failed ? kExitGateFailed : kExitOk;
  }
  fmt::print("trace {}: {:.0f} s, mean {:.3f} Mbit/s; {} frames{}; load {}, {}\n", a.trace, tr.duration(), tr.meanMbps(),
             results.front().frames.size(),
             cfg.fps ? fmt::format(" at {} fps (at most {} in flight)", *cfg.fps, cfg.max_in_flight) : " back to back",
             cfg.load, cfg.precision);
  Table t({"policy", "mean ms", "p50 ms", "p95 ms", "fps", "sent", "switches", "dropped"});
  for (const auto& r : results)
    t.row({r.name, fmt::format("{:.2f}", r.mean_ms), fmt::format("{:.2f}", r.p50_ms), fmt::format("{:.2f}", r.p95_ms),
           fmt::format("{:.2f}", r.throughput_fps), bytesText(r.bytes_sent), std::to_string(r.switches),
           std::to_string(r.dropped)});
  t.print();
  if (!a.timeline.empty()) fmt::print("wrote {}\n", a.timeline);
  if (!a.svg.empty()) fmt::print("wrote {}\n", a.svg);
  for (const auto& g : gates)
    fmt::print(g.failed ? stderr : stdout, "gate {}: {} ({:.6g} vs {:.6g})\n", g.gate, g.failed ? "FAILED" : "ok", g.lhs, g.rhs);
  return gate_failed ? kExitGateFailed : kExitOk;
}

}  // namespace

void registerSimulate(CLI::App& app, Action& run) {
  auto a = std::make_shared<SimulateArgs>();
  auto* cmd = app.add_subcommand("simulate", "Replay a bandwidth trace against a plan table and baselines");
  cmd->add_option("table", a->table, "plan-table.json")->required();
  cmd->add_option("--trace", a->trace, "Bandwidth trace file")->required();
  cmd->add_option("--format", a->format, "pensieve, mahimahi or csv")->capture_default_str();
  auto* fps = cmd->add_option("--fps", a->fps, "Frame rate (default: one frame after another)");
  cmd->add_option("--load", a->load, "Server load factor >= 1")->capture_default_str();
  cmd->add_option("--precision", a->precision, "fp32, fp16 or int8")->capture_default_str();
  cmd->add_option("--frames", a->frames, "Number of frames (default: one pass of the trace)");
  cmd->add_option("--down-trace", a->down_trace, "The downlink's own trace, same format (e.g. a Mahimahi down log)");
  cmd->add_option("--down-rate-col", a->down_rate_col,
                  "csv: the downlink trace's bandwidth column (default: --rate-col); the same file may serve both");
  cmd->add_option("--time-col", a->columns.time_col, "csv: the time column's name (default: time, t, timestamp...)");
  cmd->add_option("--rate-col", a->columns.rate_col, "csv: the bandwidth column's name (default: mbps, bandwidth...)");
  cmd->add_option("--time-unit", a->columns.time_unit, "csv: s, ms, us or datetime:FORMAT (strptime, UTC)");
  cmd->add_option("--rate-unit", a->columns.rate_unit, "csv: bps, kbps, mbps or gbps");
  cmd->add_option("--estimator", a->estimator, "harmonic or ewma")->capture_default_str();
  cmd->add_option("--window", a->window, "Estimator window (samples)")->capture_default_str();
  cmd->add_option("--margin", a->margin, "Hysteresis: relative gain needed to switch")->capture_default_str();
  cmd->add_option("--patience", a->patience, "Hysteresis: consecutive frames needed to switch")->capture_default_str();
  cmd->add_option("--max-in-flight", a->max_in_flight, "With --fps: drop a frame that arrives while this many are in flight (0: never)")
      ->capture_default_str();
  cmd->add_option("--fail-if", a->fail_if,
                  "Exit 3 if this holds, e.g. 'adaptive.mean_ms>1.05*best-static.mean_ms' or 'adaptive.drop_rate>0.01' (repeatable)");
  cmd->add_option("--timeline", a->timeline, "Write a per-frame CSV timeline here");
  cmd->add_option("--svg", a->svg, "Write an SVG plot here");
  cmd->add_flag("--json", a->json, "Print JSON (policies: name -> figures)");
  cmd->callback([a, fps, &run] { run = [a, fps] { return runSimulate(*a, fps->count() > 0); }; });
}

}  // namespace onnxcut::cli
