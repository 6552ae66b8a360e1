// Synthetic layered DAGs for benchmarks: `layers` x `width` nodes, each node
// reading one or two tensors of the previous layer (fan-out and merges), with
// seeded costs and sizes. The same graph can be written out for networkx.
#pragma once
#include <cstdint>
#include <random>
#include <string>

#include "cost_model.h"
#include "plan_graph.h"

namespace onnxcut::bench {

struct SyntheticCase {
  PlanGraph graph;
  NodeCosts costs;
};

inline SyntheticCase layeredDag(int nodes, uint64_t seed) {
  const int width = 8, layers = (nodes + width - 1) / width;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  SyntheticCase sc;
  PlanGraph& g = sc.graph;
  g.num_nodes = layers * width;
  g.tensors.push_back({-1, {}, 602112, true, true, false});  // the raw input
  std::vector<int> prev = {0};
  for (int l = 0; l < layers; ++l) {
    std::vector<int> cur;
    for (int w = 0; w < width; ++w) {
      const int v = l * width + w;
      const int a = prev[rng() % prev.size()], b = prev[rng() % prev.size()];
      g.tensors[a].consumers.push_back(v);
      if (b != a && u(rng) < 0.5) g.tensors[b].consumers.push_back(v);
      PlanTensor t;
      t.producer = v;
      t.bytes = std::floor(1e3 + u(rng) * 8e5 * (1.0 - 0.9 * l / layers));
      t.is_float32 = true;
      t.is_output = l == layers - 1;
      g.tensors.push_back(t);
      cur.push_back(static_cast<int>(g.tensors.size()) - 1);
    }
    prev = cur;
  }
  for (auto& t : g.tensors) std::sort(t.consumers.begin(), t.consumers.end());
  for (int v = 0; v < g.num_nodes; ++v) {
    const double d = 0.05 + u(rng) * 2.0;
    sc.costs.device_ms.push_back(d);
    sc.costs.cloud_ms.push_back(d / (20 + u(rng) * 40));
  }
  return sc;
}


}  // namespace onnxcut::bench
