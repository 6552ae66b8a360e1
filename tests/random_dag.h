// Seeded random planning graphs and a brute-force solver over every plan:
// the reference the solvers are checked against (BGL max_flow_test style).
#pragma once
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "cost_model.h"
#include "pins.h"
#include "plan_graph.h"

namespace onnxcut::testing {

struct RandomCase {
  PlanGraph graph;
  NodeCosts costs;
  Network net;
  Pins pins;
};

struct RandomOptions {
  int min_nodes = 1, max_nodes = 14;
  double unknown_size_prob = 0.08;
  double pin_prob = 0.3;
  bool extreme_values = false;  // ties, zeros and 1e-7..1e6 ranges
};

RandomCase randomCase(uint64_t seed, const RandomOptions& opt = {});

// Calls fn(device_set) for every valid plan that respects `forced`.
void forEachValidPlan(const PlanGraph& g, const std::vector<signed char>& forced,
                      const std::function<void(const DeviceSet&)>& fn);

// The least value of `objective` over valid plans; +inf when there is none.
double bruteForceMin(const PlanGraph& g, const std::vector<signed char>& forced,
                     const std::function<double(const DeviceSet&)>& objective);

}  // namespace onnxcut::testing
