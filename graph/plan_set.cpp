#include "plan_set.h"

#include <algorithm>
#include <cmath>

#include "errors.h"

namespace onnxcut {
namespace {

std::string num(double x) {
  std::string s = std::to_string(x);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

const char* toString(Objective o) { return o == Objective::latency ? "latency" : "throughput"; }

Objective parseObjective(const std::string& s) {
  if (s == "latency") return Objective::latency;
  if (s == "throughput") return Objective::throughput;
  throw InputError("unknown objective '" + s + "' (allowed: latency, throughput)");
}

void validateOptions(const PlanOptions& opt) {
  const std::string min = optionRef("min_mbps"), max = optionRef("max_mbps");
  ErrorList e;
  if (!std::isfinite(opt.min_mbps) || opt.min_mbps <= 0)
    e.add(min + " must be a positive number (got " + num(opt.min_mbps) + ")");
  if (!std::isfinite(opt.max_mbps) || opt.max_mbps <= 0)
    e.add(max + " must be a positive number (got " + num(opt.max_mbps) + ")");
  if (opt.min_mbps >= opt.max_mbps)
    e.add(min + " (" + num(opt.min_mbps) + ") must be below " + max + " (" + num(opt.max_mbps) + ")");
  if (!std::isfinite(opt.rtt_ms) || opt.rtt_ms < 0)
    e.add(optionRef("rtt_ms") + " must be >= 0 (got " + num(opt.rtt_ms) + ")");
  if (opt.down_mbps && (!std::isfinite(*opt.down_mbps) || *opt.down_mbps <= 0))
    e.add(optionRef("down_mbps") + " must be a positive number (got " + num(*opt.down_mbps) + ")");
  if (opt.loads.empty()) e.add(optionRef("loads") + " needs at least one value");
  for (double l : opt.loads)
    if (!std::isfinite(l) || l < 1) e.add(optionRef("loads") + " values must be >= 1 (got " + num(l) + ")");
  if (opt.precisions.empty()) e.add(optionRef("precisions") + " needs at least one value");
  if (opt.objectives.empty()) e.add(optionRef("objectives") + " needs at least one value");
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

}  // namespace onnxcut
