#include "planning.h"

#include <algorithm>
#include <map>

#include "errors.h"
#include "latency_planner.h"
#include "pins.h"
#include "throughput_planner.h"

namespace onnxcut {
namespace {

Pins resolvePins(const PlanOptions& opt, const NodeKeys& keys) {
  Pins pins;
  ErrorList errors;
  auto add = [&](const std::vector<std::string>& names, std::vector<int>& out, const char* option) {
    for (const auto& k : names) {
      if (auto v = keys.find(k)) out.push_back(*v);
      else errors.add(optionRef(option) + " '" + k + "': no planning node has this key (see onnxcut inspect)");
    }
  };
  add(opt.pin_device, pins.device, "pin_device");
  add(opt.pin_cloud, pins.cloud, "pin_cloud");
  errors.throwIfAny("bad pins");
  return pins;
}

}  // namespace

PlanSet planTables(const PlanGraph& g, const NodeCosts& costs, const NodeKeys& keys,
                   const PlanOptions& opt) {
  validateOptions(opt);
  validateCosts(costs, g.num_nodes, keys);
  const auto forced = forcedSides(g, resolvePins(opt, keys), keys);
  PlanSet out;
  std::map<std::pair<DeviceSet, Precision>, int> ids;
  auto planId = [&](const DeviceSet& d, Precision p) {
    auto [it, fresh] = ids.emplace(std::make_pair(d, p), static_cast<int>(out.plans.size()));
    if (fresh) out.plans.push_back({it->second, p, d, planFigures(g, costs, d, p), cutTensors(g, d)});
    return it->second;
  };
  // One flow network per precision, shared by every load and objective:
  // only the capacities change between their cuts.
  std::map<Precision, CutNetwork> cuts;
  for (Precision p : opt.precisions) cuts.try_emplace(p, g, costs, p, forced);
  for (const auto& objective : opt.objectives) {
    for (double load : opt.loads) {
      for (Precision p : opt.precisions) {
        PlannedTable table{objective, "exact", load, p, {}};
        const LatencyProblem pr{g, costs, forced, tableNetwork(opt, table, 1.0), &cuts.at(p)};
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
        if (objective == Objective::latency) {
          for (const Band& b : latencyBands(pr, opt.min_mbps, opt.max_mbps))
            table.bands.push_back(band(b.min_mbps, b.max_mbps, b.plan));
        } else {
          ThroughputMethod method = ThroughputMethod::exact;
          ThroughputEffort effort;
          effort.budget_scale = opt.proof_effort;
          const auto tbands = throughputBands(pr, opt.min_mbps, opt.max_mbps, &method, effort);
          table.method = toString(method);
          for (const ThroughputBand& t : tbands) {
            PlannedBand b = band(t.min_mbps, t.max_mbps, t.plan);
            b.bound_fps = t.bound_fps;
            b.proven_ratio = t.proven_ratio;
            table.bands.push_back(b);
          }
        }
        out.tables.push_back(std::move(table));
        if (objective == Objective::latency) {
          PlannedTable chain{Objective::latency, "exact", load, p, {}};
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
