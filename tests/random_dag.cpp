#include "random_dag.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace onnxcut::testing {
namespace {

double pickValue(std::mt19937_64& rng, bool extreme) {
  if (extreme) {
    static const double kValues[] = {0, 0.1, 0.2, 0.3, 1e-7, 1e6, 0.1, 0.3};
    return kValues[rng() % 8];
  }
  std::uniform_real_distribution<double> u(0, 1);
  if (u(rng) < 0.1) return 0;
  return std::exp(std::log(0.01) + u(rng) * (std::log(50.0) - std::log(0.01)));
}

}  // namespace

RandomCase randomCase(uint64_t seed, const RandomOptions& opt) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 17);
  std::uniform_real_distribution<double> u(0, 1);
  RandomCase rc;
  PlanGraph& g = rc.graph;
  g.num_nodes = opt.min_nodes + static_cast<int>(rng() % (opt.max_nodes - opt.min_nodes + 1));

  auto bytes = [&]() { return std::floor(std::exp(u(rng) * std::log(2e6))); };
  const int inputs = u(rng) < 0.2 ? 2 : 1;
  for (int i = 0; i < inputs; ++i) {
    PlanTensor t;
    t.bytes = bytes();
    t.is_float32 = u(rng) < 0.9;
    t.size_known = u(rng) >= opt.unknown_size_prob / 2;
    g.tensors.push_back(t);
  }
  for (int v = 0; v < g.num_nodes; ++v) {
    // Read 1-3 existing tensors (fan-out and merges), always at least one.
    const int reads = 1 + static_cast<int>(rng() % 3);
    for (int r = 0; r < reads; ++r) {
      // Prefer recent tensors so that graphs have depth as well as width.
      const int n = static_cast<int>(g.tensors.size());
      const int pick = u(rng) < 0.6 ? n - 1 - static_cast<int>(rng() % std::min(n, 3))
                                    : static_cast<int>(rng() % n);
      auto& c = g.tensors[pick].consumers;
      if (std::find(c.begin(), c.end(), v) == c.end()) c.push_back(v);
    }
    const int outs = u(rng) < 0.15 ? 2 : 1;  // multi-output nodes
    for (int o = 0; o < outs; ++o) {
      PlanTensor t;
      t.producer = v;
      t.bytes = bytes();
      t.is_float32 = u(rng) < 0.85;
      t.size_known = u(rng) >= opt.unknown_size_prob;
      g.tensors.push_back(t);
    }
  }
  for (auto& t : g.tensors) {
    std::sort(t.consumers.begin(), t.consumers.end());
    if (t.producer >= 0 && (t.consumers.empty() || u(rng) < 0.1)) t.is_output = true;
  }
  rc.costs.device_ms.resize(g.num_nodes);
  rc.costs.cloud_ms.resize(g.num_nodes);
  for (int v = 0; v < g.num_nodes; ++v) {
    rc.costs.device_ms[v] = pickValue(rng, opt.extreme_values);
    rc.costs.cloud_ms[v] = pickValue(rng, opt.extreme_values) * (opt.extreme_values ? 1 : 0.1);
  }
  rc.net.up_mbps = std::exp(std::log(0.1) + u(rng) * std::log(1e4));
  if (u(rng) < 0.3) rc.net.down_mbps = std::exp(std::log(0.1) + u(rng) * std::log(1e4));
  rc.net.rtt_ms = u(rng) < 0.5 ? 0 : u(rng) * 50;
  rc.net.load = u(rng) < 0.4 ? 1 : 1 + u(rng) * 7;
  rc.net.precision = static_cast<Precision>(rng() % 3);
  for (int v = 0; v < g.num_nodes; ++v) {
    if (u(rng) < opt.pin_prob / g.num_nodes) rc.pins.device.push_back(v);
    if (u(rng) < opt.pin_prob / g.num_nodes) rc.pins.cloud.push_back(v);
  }
  return rc;
}

void forEachValidPlan(const PlanGraph& g, const std::vector<signed char>& forced,
                      const std::function<void(const DeviceSet&)>& fn) {
  const int n = g.num_nodes;
  DeviceSet d(n);
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    bool ok = true;
    for (int v = 0; v < n && ok; ++v) {
      d[v] = (mask >> v) & 1;
      if (forced[v] < 0) ok = false;  // pinned to both sides
      if (forced[v] == kDevice && !d[v]) ok = false;
      if (forced[v] == kCloud && d[v]) ok = false;
    }
    if (ok && isValidPlan(g, d)) fn(d);
  }
}

double bruteForceMin(const PlanGraph& g, const std::vector<signed char>& forced,
                     const std::function<double(const DeviceSet&)>& objective) {
  double best = std::numeric_limits<double>::infinity();
  forEachValidPlan(g, forced, [&](const DeviceSet& d) { best = std::min(best, objective(d)); });
  return best;
}

}  // namespace onnxcut::testing
