#include "plan_set.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "errors.h"

namespace onnxcut {
namespace {

std::string num(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
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
  // Every option has a range in which every figure stays finite
  // (docs/reliability.md): 1 bit/s to 1 Pbit/s, RTT up to ~11 days.
  auto bandwidth = [&](double x, const std::string& name) {
    if (!std::isfinite(x) || x <= 0) e.add(name + " must be a positive number (got " + num(x) + ")");
    else if (x < kMinMbps || x > kMaxMbps)
      e.add(name + " must be from " + num(kMinMbps) + " to " + num(kMaxMbps) + " Mbit/s (got " + num(x) + ")");
  };
  bandwidth(opt.min_mbps, min);
  bandwidth(opt.max_mbps, max);
  if (opt.min_mbps >= opt.max_mbps)
    e.add(min + " (" + num(opt.min_mbps) + ") must be below " + max + " (" + num(opt.max_mbps) + ")");
  if (!std::isfinite(opt.rtt_ms) || opt.rtt_ms < 0 || opt.rtt_ms > kMaxMs)
    e.add(optionRef("rtt_ms") + " must be from 0 to " + num(kMaxMs) + " (got " + num(opt.rtt_ms) + ")");
  if (opt.down_mbps) bandwidth(*opt.down_mbps, optionRef("down_mbps"));
  if (opt.loads.empty()) e.add(optionRef("loads") + " needs at least one value");
  for (double l : opt.loads)
    if (!std::isfinite(l) || l < 1) e.add(optionRef("loads") + " values must be >= 1 (got " + num(l) + ")");
    else if (l > kMaxLoad) e.add(optionRef("loads") + " values must be at most " + num(kMaxLoad) + " (got " + num(l) + ")");
  if (!std::isfinite(opt.proof_effort) || opt.proof_effort < 0 || opt.proof_effort > kMaxProofEffort)
    e.add(optionRef("proof_effort") + " must be from 0 to " + num(kMaxProofEffort) + " (got " + num(opt.proof_effort) +
          ")");
  if (opt.precisions.empty()) e.add(optionRef("precisions") + " needs at least one value");
  if (opt.objectives.empty()) e.add(optionRef("objectives") + " needs at least one value");
  e.throwIfAny("bad options");
}

void validateCosts(const NodeCosts& c, int num_nodes, const NodeKeys& keys) {
  if (static_cast<int>(c.device_ms.size()) != num_nodes || static_cast<int>(c.cloud_ms.size()) != num_nodes)
    throw std::logic_error("costs for " + std::to_string(c.device_ms.size()) + " nodes, the graph has " +
                           std::to_string(num_nodes));
  ErrorList e;
  for (int v = 0; v < num_nodes; ++v)
    for (const auto& [name, x] : {std::pair<const char*, double>{"device_ms", c.device_ms[v]}, {"cloud_ms", c.cloud_ms[v]}})
      if (!std::isfinite(x) || x < 0 || x > kMaxMs)
        e.add("node '" + keys.name(v) + "': " + name + " " + num(x) + " is outside 0.." + num(kMaxMs) + " ms");
  e.throwIfAny("bad costs");
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
