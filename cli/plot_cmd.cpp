// `onnxcut plot TABLE -o latency.svg`: predicted latency against uplink
// bandwidth (log-log): device-only, cloud-only, and the planned envelope
// with its bands shaded. `--objective throughput`: the throughput table's
// plans, predicted frames per second (with the latency table's plan beside
// them, when the table has one, to show what planning for throughput buys).
// Needs only the plan table.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>

#include "commands.h"
#include "artifact_writer.h"
#include "errors.h"
#include "onnxcut_runtime.h"

namespace onnxcut::cli {
namespace {

struct PlotArgs {
  std::string table, out, precision = "fp32", objective = "latency";
  double load = 1;
};

// The table of (objective, precision) at the least load >= `load`.
const runtime::Table* findTable(const runtime::PlanTable& t, const std::string& objective, const std::string& precision,
                                double load) {
  const runtime::Table* tab = nullptr;
  for (const auto& x : t.tables)
    if (x.objective == objective && x.precision == precision && x.load >= load - 1e-12 && (!tab || x.load < tab->load))
      tab = &x;
  return tab;
}

constexpr double kW = 900, kH = 520, kL = 80, kR = 200, kT = 50, kB = 60;
constexpr int kSamples = 240;

int bandPlan(const runtime::Table& tab, double bw) {
  auto it = std::upper_bound(tab.bands.begin(), tab.bands.end(), bw, [](double x, const runtime::Band& b) { return x < b.min_mbps; });
  return std::prev(it)->plan;
}

// `other`: a second table whose plans are drawn too (throughput plots: the
// latency table at the same load and precision).
std::string svgPlot(const runtime::PlanTable& t, const runtime::Table& tab, const runtime::Table* other,
                    const std::string& title) {
  const double lo = tab.bands.front().min_mbps, hi = tab.bands.back().max_mbps;
  const bool fps = tab.objective == "throughput";
  auto lat = [&](int plan, double bw) {
    const auto p = runtime::predict(t, t.plan(plan), bw, tab.load);
    return fps ? p.throughput_fps : p.latency_ms;
  };
  struct Series { std::string name, color; std::function<double(double)> f; double width; };
  std::vector<Series> series;
  if (auto it = t.device_only.find(tab.precision); it != t.device_only.end())
    series.push_back({"device only", "#1f77b4", [&, id = it->second](double bw) { return lat(id, bw); }, 1.5});
  if (auto it = t.cloud_only.find(tab.precision); it != t.cloud_only.end())
    series.push_back({"cloud only", "#ff7f0e", [&, id = it->second](double bw) { return lat(id, bw); }, 1.5});
  if (other)
    series.push_back({"latency plan", "#9467bd", [&](double bw) { return lat(bandPlan(*other, bw), bw); }, 1.5});
  series.push_back({fps ? "throughput plan" : "onnxcut plan", "#2ca02c", [&](double bw) { return lat(bandPlan(tab, bw), bw); }, 3});
  double ymin = INFINITY, ymax = 0;
  for (const auto& s : series)
    for (int i = 0; i <= kSamples; ++i) {
      const double v = s.f(lo * std::pow(hi / lo, double(i) / kSamples));
      ymin = std::min(ymin, v);
      ymax = std::max(ymax, v);
    }
  ymin = std::pow(10, std::floor(std::log10(std::max(ymin, 1e-3))));
  ymax = std::pow(10, std::ceil(std::log10(std::max(ymax, ymin * 10))));
  auto X = [&](double bw) { return kL + (kW - kL - kR) * std::log(bw / lo) / std::log(hi / lo); };
  auto Y = [&](double ms) { return kT + (kH - kT - kB) * (1 - std::log(std::clamp(ms, ymin, ymax) / ymin) / std::log(ymax / ymin)); };
  std::string s = fmt::format(R"svg(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="sans-serif" font-size="12">)svg" "\n", kW, kH);
  s += R"svg(<rect width="100%" height="100%" fill="white"/>)svg" "\n";
  s += fmt::format(R"svg(<text x="{}" y="24" font-size="15">{}</text>)svg" "\n", kL, title);
  for (size_t i = 0; i < tab.bands.size(); ++i) {  // shaded bands, plan ids on top
    const auto& b = tab.bands[i];
    s += fmt::format(R"svg(<rect x="{:.1f}" y="{}" width="{:.1f}" height="{}" fill="{}"/>)svg" "\n", X(b.min_mbps), kT,
                     X(b.max_mbps) - X(b.min_mbps), kH - kT - kB, i % 2 ? "#f0f7ee" : "#e0efdc");
    if (X(b.max_mbps) - X(b.min_mbps) >= 44)  // narrow bands stay unlabelled rather than overlap
      s += fmt::format(R"svg(<text x="{:.1f}" y="{}" text-anchor="middle" font-size="11" fill="#2c6e2c">plan {}</text>)svg" "\n",
                       (X(b.min_mbps) + X(b.max_mbps)) / 2, kT + 14, b.plan);
  }
  for (double d = std::pow(10, std::ceil(std::log10(lo) - 1e-9)); d <= hi * (1 + 1e-9); d *= 10)
    s += fmt::format(R"svg(<line x1="{0:.1f}" y1="{1}" x2="{0:.1f}" y2="{2}" stroke="#ccc"/><text x="{0:.1f}" y="{3}" text-anchor="middle">{4:g}</text>)svg" "\n",
                     X(d), kT, kH - kB, kH - kB + 16, d);
  for (double v = ymin; v <= ymax * (1 + 1e-9); v *= 10)
    s += fmt::format(R"svg(<line x1="{0}" y1="{1:.1f}" x2="{2}" y2="{1:.1f}" stroke="#ccc"/><text x="{3}" y="{4:.1f}" text-anchor="end">{5:g}</text>)svg" "\n",
                     kL, Y(v), kW - kR, kL - 6, Y(v) + 4, v);
  s += fmt::format(R"svg(<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="#666"/>)svg" "\n", kL, kT, kW - kL - kR, kH - kT - kB);
  s += fmt::format(R"svg(<text x="{}" y="{}" text-anchor="middle">uplink bandwidth (Mbit/s, log)</text>)svg" "\n", (kL + kW - kR) / 2, kH - 20);
  s += fmt::format(R"svg(<text x="18" y="{0}" transform="rotate(-90 18 {0})" text-anchor="middle">{1}</text>)svg" "\n", (kT + kH - kB) / 2, fps ? "predicted throughput (frames/s, log)" : "predicted latency (ms, log)");
  for (size_t k = 0; k < series.size(); ++k) {
    std::string pts;
    for (int i = 0; i <= kSamples; ++i) {
      const double bw = lo * std::pow(hi / lo, double(i) / kSamples);
      pts += fmt::format("{:.1f},{:.1f} ", X(bw), Y(series[k].f(bw)));
    }
    s += fmt::format(R"svg(<polyline fill="none" stroke="{}" stroke-width="{}" points="{}"/>)svg" "\n", series[k].color, series[k].width, pts);
    s += fmt::format(R"svg(<rect x="{}" y="{}" width="14" height="4" fill="{}"/><text x="{}" y="{}">{}</text>)svg" "\n",
                     kW - kR + 14, kT + 20 + 20 * k, series[k].color, kW - kR + 34, kT + 25 + 20 * k, series[k].name);
  }
  return s + "</svg>\n";
}

int runPlot(const PlotArgs& a) {
  const auto table = runtime::loadPlanTable(a.table);
  if (!table.ok()) throw InputError(table.error);
  if (a.objective != "latency" && a.objective != "throughput")
    throw InputError("--objective must be latency or throughput, not '" + a.objective + "'");
  const runtime::Table* tab = findTable(*table.value, a.objective, a.precision, a.load);
  if (!tab)
    throw InputError(a.table + ": no " + a.objective + " table for precision " + a.precision + " at load >= " +
                     fmt::format("{}", a.load) + (a.objective == "throughput" ? " (plan with --objective latency,throughput)" : ""));
  const bool fps = a.objective == "throughput";
  const runtime::Table* other = fps ? findTable(*table.value, "latency", a.precision, tab->load) : nullptr;
  if (other && other->load != tab->load) other = nullptr;
  const std::string svg = svgPlot(*table.value, *tab, other,
                                  fmt::format("Predicted {} · load {} · {} · RTT {} ms", fps ? "throughput" : "latency",
                                              tab->load, tab->precision, table.value->rtt_ms));
  writeFileAtomically(a.out, svg);
  fmt::print("wrote {}\n", a.out);
  return kExitOk;
}

}  // namespace

void registerPlot(CLI::App& app, Action& run) {
  auto a = std::make_shared<PlotArgs>();
  auto* cmd = app.add_subcommand("plot", "SVG of predicted latency (or throughput) against bandwidth for a plan table");
  cmd->add_option("table", a->table, "plan-table.json")->required();
  cmd->add_option("-o,--output", a->out, "SVG file to write")->required();
  cmd->add_option("--load", a->load, "Server load (the table at or above it)")->capture_default_str();
  cmd->add_option("--precision", a->precision, "fp32, fp16 or int8")->capture_default_str();
  cmd->add_option("--objective", a->objective, "latency (ms) or throughput (frames/s)")->capture_default_str();
  cmd->callback([a, &run] { run = [a] { return runPlot(*a); }; });
}

}  // namespace onnxcut::cli
