// Synthetic planning graphs for benchmarks, seeded, of any size:
// - layeredDag: `layers` x 8 nodes, each reading one or two tensors of the
//   previous layer (fan-out and merges);
// - cnnDag: a ResNet-shaped chain of residual blocks (three nodes and an
//   add reading the block's input), tensors a third as large every stage;
// - denseDag: DenseNet-shaped blocks of 12 layers where each layer's concat
//   reads the block input and every earlier layer (fan-out up to 12).
// Costs: about even per node (a CNN's compute is spread over its stages:
// channels grow as the resolution falls), scaled so that the whole model
// takes 1 s on the device at every size; the cloud is 20-60x faster. So a regime (all on
// the device below ~1 Mbit/s, all on the cloud at Gbit/s, cuts inside the
// graph between) means the same at 1k and at 1M nodes. The same graph can be
// written out for networkx.
#pragma once
#include <algorithm>
#include <cmath>
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

namespace detail {

constexpr double kModelDeviceMs = 1000;  // the whole model on the device

inline void normalise(NodeCosts& c) {
  double total = 0;
  for (double d : c.device_ms) total += d;
  if (total <= 0) return;
  for (double& d : c.device_ms) d *= kModelDeviceMs / total;
  for (double& d : c.cloud_ms) d *= kModelDeviceMs / total;
}

// Appends a node reading `inputs` and writing one tensor of `bytes`;
// returns that tensor's index.
inline int addNode(SyntheticCase& sc, const std::vector<int>& inputs, double bytes) {
  const int v = sc.graph.num_nodes++;
  for (int t : inputs) sc.graph.tensors[t].consumers.push_back(v);
  PlanTensor t;
  t.producer = v;
  t.bytes = std::floor(bytes);
  t.is_float32 = true;
  sc.graph.tensors.push_back(t);
  return static_cast<int>(sc.graph.tensors.size()) - 1;
}

inline void finish(SyntheticCase& sc, int output, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0, 1);
  sc.graph.tensors[output].is_output = true;
  for (auto& t : sc.graph.tensors) {
    std::sort(t.consumers.begin(), t.consumers.end());
    t.consumers.erase(std::unique(t.consumers.begin(), t.consumers.end()), t.consumers.end());
  }
  for (int v = 0; v < sc.graph.num_nodes; ++v) {
    const double d = 0.5 + u(rng);
    sc.costs.device_ms.push_back(d);
    sc.costs.cloud_ms.push_back(d / (20 + u(rng) * 40));
  }
  normalise(sc.costs);
}

}  // namespace detail

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
  detail::normalise(sc.costs);
  return sc;
}


inline SyntheticCase cnnDag(int nodes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  SyntheticCase sc;
  sc.graph.tensors.push_back({-1, {}, 602112, true, true, false});
  const int blocks = std::max(1, (nodes - 1) / 4), stages = 5;
  double bytes = 3211264;  // 64x112x112 float
  int x = detail::addNode(sc, {0}, bytes);
  for (int b = 0; b < blocks; ++b) {
    if (b > 0 && b % std::max(1, blocks / stages) == 0) bytes = std::max(4096.0, bytes / 3);
    const int a = detail::addNode(sc, {x}, bytes * (0.25 + 0.1 * u(rng)));
    const int c = detail::addNode(sc, {a}, bytes * (0.25 + 0.1 * u(rng)));
    const int d = detail::addNode(sc, {c}, bytes);
    x = detail::addNode(sc, {x, d}, bytes);
  }
  detail::finish(sc, x, rng);
  return sc;
}

inline SyntheticCase denseDag(int nodes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  SyntheticCase sc;
  sc.graph.tensors.push_back({-1, {}, 602112, true, true, false});
  constexpr int kLayers = 12;
  const int blocks = std::max(1, (nodes - 1) / (2 * kLayers + 1)), stages = 4;
  double grow = 401408;  // 32x56x56 float per layer
  int x = detail::addNode(sc, {0}, grow * 2);
  for (int b = 0; b < blocks; ++b) {
    if (b > 0 && b % std::max(1, blocks / stages) == 0) grow = std::max(1024.0, grow / 4);
    std::vector<int> block = {x};
    int cat = x;
    for (int l = 0; l < kLayers; ++l) {
      cat = detail::addNode(sc, block, grow * static_cast<double>(block.size()));  // concat
      block.push_back(detail::addNode(sc, {cat}, grow));                           // conv
    }
    x = detail::addNode(sc, {cat, block.back()}, grow * 2);  // transition
  }
  detail::finish(sc, x, rng);
  return sc;
}

}  // namespace onnxcut::bench
