#include "planning.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "errors.h"
#include "latency_planner.h"
#include "pins.h"
#include "throughput_planner.h"

namespace onnxcut {
namespace {

std::string num(double x) {
  std::string s = std::to_string(x);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

Pins resolvePins(const PlanOptions& opt, const std::vector<std::string>& keys) {
  std::map<std::string, int> index;
  for (size_t i = 0; i < keys.size(); ++i) index[keys[i]] = static_cast<int>(i);
  Pins pins;
  ErrorList errors;
  auto add = [&](const std::vector<std::string>& names, std::vector<int>& out, const char* flag) {
    for (const auto& k : names) {
      auto it = index.find(k);
      if (it == index.end()) errors.add(std::string(flag) + " '" + k + "': no planning node has this key (see onnxcut inspect)");
      else out.push_back(it->second);
    }
  };
  add(opt.pin_device, pins.device, "--pin-device");
  add(opt.pin_cloud, pins.cloud, "--pin-cloud");
  errors.throwIfAny("bad pins");
  return pins;
}

}  // namespace

void validateOptions(const PlanOptions& opt) {
  ErrorList e;
  if (!std::isfinite(opt.min_mbps) || opt.min_mbps <= 0)
    e.add("--min-mbps must be a positive number (got " + num(opt.min_mbps) + ")");
  if (!std::isfinite(opt.max_mbps) || opt.max_mbps <= 0)
    e.add("--max-mbps must be a positive number (got " + num(opt.max_mbps) + ")");
  if (opt.min_mbps >= opt.max_mbps)
    e.add("--min-mbps (" + num(opt.min_mbps) + ") must be below --max-mbps (" + num(opt.max_mbps) + ")");
  if (!std::isfinite(opt.rtt_ms) || opt.rtt_ms < 0) e.add("--rtt-ms must be >= 0 (got " + num(opt.rtt_ms) + ")");
  if (opt.down_mbps && (!std::isfinite(*opt.down_mbps) || *opt.down_mbps <= 0))
    e.add("--down-mbps must be a positive number (got " + num(*opt.down_mbps) + ")");
  if (opt.loads.empty()) e.add("--load needs at least one value");
  for (double l : opt.loads)
    if (!std::isfinite(l) || l < 1) e.add("--load values must be >= 1 (got " + num(l) + ")");
  if (opt.precisions.empty()) e.add("--precision needs at least one value");
  if (opt.objectives.empty()) e.add("--objective needs at least one value");
  for (const auto& o : opt.objectives)
    if (o != "latency" && o != "throughput") e.add("unknown objective '" + o + "' (allowed: latency, throughput)");
  e.throwIfAny("bad options");
}

std::vector<int> cutTensors(const PlanGraph& g, const DeviceSet& d) {
  std::vector<int> cut;
  for (int t = 0; t < static_cast<int>(g.tensors.size()); ++t) {
    const auto& ten = g.tensors[t];
    if (ten.producer >= 0 && !d[ten.producer]) continue;
    if (std::any_of(ten.consumers.begin(), ten.consumers.end(), [&](int v) { return !d[v]; })) cut.push_back(t);
  }
  return cut;
}

Network tableNetwork(const PlanOptions& opt, const PlannedTable& t, double up_mbps) {
  Network net;
  net.up_mbps = up_mbps;
  net.down_mbps = opt.down_mbps;
  net.rtt_ms = opt.rtt_ms;
  net.load = t.load;
  net.precision = t.precision;
  return net;
}

PlanSet planTables(const PlanGraph& g, const NodeCosts& costs, const std::vector<std::string>& keys,
                   const PlanOptions& opt) {
  validateOptions(opt);
  const auto forced = forcedSides(g, resolvePins(opt, keys), keys);
  PlanSet out;
  std::map<std::pair<DeviceSet, Precision>, int> ids;
  auto planId = [&](const DeviceSet& d, Precision p) {
    auto [it, fresh] = ids.emplace(std::make_pair(d, p), static_cast<int>(out.plans.size()));
    if (fresh) out.plans.push_back({it->second, p, d, planFigures(g, costs, d, p), cutTensors(g, d)});
    return it->second;
  };
  for (const auto& objective : opt.objectives) {
    for (double load : opt.loads) {
      for (Precision p : opt.precisions) {
        PlannedTable table{objective, "exact", load, p, {}};
        const LatencyProblem pr{g, costs, forced, tableNetwork(opt, table, 1.0)};
        auto band = [&](double lo, double hi, const DeviceSet& d) {
          const int id = planId(d, p);
          const Line line = latencyLine(out.plans[id].figures, pr.net);
          PlannedBand b;
          b.min_mbps = lo;
          b.max_mbps = hi;
          b.plan = id;
          b.latency_ms_at_min = line.at(lo);
          b.latency_ms_at_max = line.at(hi);
          b.throughput_fps = stageTimes(out.plans[id].figures, tableNetwork(opt, table, lo)).throughputFps();
          b.throughput_fps_at_max = stageTimes(out.plans[id].figures, tableNetwork(opt, table, hi)).throughputFps();
          return b;
        };
        if (objective == "latency") {
          for (const Band& b : latencyBands(pr, opt.min_mbps, opt.max_mbps))
            table.bands.push_back(band(b.min_mbps, b.max_mbps, b.plan));
        } else {
          ThroughputMethod method = ThroughputMethod::exact;
          const auto tbands = throughputBands(pr, opt.min_mbps, opt.max_mbps, &method);
          table.method = toString(method);
          for (const ThroughputBand& t : tbands) {
            PlannedBand b = band(t.min_mbps, t.max_mbps, t.plan);
            b.bound_fps = t.bound_fps;
            b.proven_ratio = t.proven_ratio;
            table.bands.push_back(b);
          }
        }
        out.tables.push_back(std::move(table));
        if (objective == "latency") {
          PlannedTable chain{"latency", "exact", load, p, {}};
          for (const Band& b : chainBands(pr, opt.min_mbps, opt.max_mbps))
            chain.bands.push_back(band(b.min_mbps, b.max_mbps, b.plan));
          if (!chain.bands.empty()) out.baselines.chain_only.push_back(std::move(chain));
        }
      }
    }
  }
  for (Precision p : opt.precisions) {
    const DeviceSet all_device(g.num_nodes, 1), all_cloud(g.num_nodes, 0);
    if (respectsForced(all_device, forced) && isValidPlan(g, all_device))
      out.baselines.device_only[toString(p)] = planId(all_device, p);
    if (respectsForced(all_cloud, forced) && isValidPlan(g, all_cloud))
      out.baselines.cloud_only[toString(p)] = planId(all_cloud, p);
  }
  return out;
}

}  // namespace onnxcut
