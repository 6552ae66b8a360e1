// The graph stage: bottlenecks (every input-to-output path passes through
// them; natural ones shrink the data below the input and every earlier
// bottleneck), node adjacency and node keys.
#include <gtest/gtest.h>

#include <queue>

#include "bottlenecks.h"
#include "plan_graph.h"
#include "random_dag.h"

namespace onnxcut {
namespace {

PlanTensor tensor(int producer, std::vector<int> consumers, double bytes, bool output = false, bool known = true) {
  PlanTensor t;
  t.producer = producer;
  t.consumers = std::move(consumers);
  t.bytes = bytes;
  t.size_known = known;
  t.is_float32 = true;
  t.is_output = output;
  return t;
}

TEST(Bottlenecks, NaturalOnesShrinkBelowTheInputAndEveryEarlierOne) {
  // x(100) -> n0 -> a(200) -> n1 -> b(50) -> n2 -> c(80) -> n3 -> d(?) -> n5 -> e(10)
  //                                                    \-> n4 -> f(30) -/  (nodes in graph order)
  PlanGraph g;
  g.num_nodes = 6;
  g.tensors = {tensor(-1, {0}, 100),      tensor(0, {1}, 200),          tensor(1, {2}, 50),
               tensor(2, {3, 4}, 80),     tensor(3, {5}, 0, false, false), tensor(4, {5}, 30),
               tensor(5, {}, 10, true)};
  const auto bs = findBottlenecks(g);
  std::vector<int> ids;
  std::vector<bool> natural;
  for (const auto& b : bs) { ids.push_back(b.tensor); natural.push_back(b.natural); }
  // d (4) and f (5) are parallel: neither is on every path.
  EXPECT_EQ(ids, (std::vector<int>{0, 1, 2, 3, 6}));
  // x: the input itself, never natural; a: larger than the input; b: smaller
  // than everything before; c: larger than b; e: smaller than b.
  EXPECT_EQ(natural, (std::vector<bool>{false, false, true, false, true}));
  EXPECT_DOUBLE_EQ(bs[2].ratio_to_input, 0.5);
  EXPECT_DOUBLE_EQ(bs[4].ratio_to_input, 0.1);
}

TEST(Bottlenecks, UnknownSizeIsListedButNeverNatural) {
  PlanGraph g;  // x(100) -> n0 -> a(?) -> n1 -> y(1)
  g.num_nodes = 2;
  g.tensors = {tensor(-1, {0}, 100), tensor(0, {1}, 0, false, false), tensor(1, {}, 1, true)};
  const auto bs = findBottlenecks(g);
  ASSERT_EQ(bs.size(), 3u);
  EXPECT_FALSE(bs[1].natural);
  EXPECT_TRUE(bs[2].natural);  // 1 byte: below the input (the unknown one does not count)
}

// Brute force: t is a bottleneck when no graph output is reachable from the
// graph inputs once t is blocked (and one is reachable without blocking).
bool reachesOutput(const PlanGraph& g, int blocked) {
  const NodeEdges e = nodeEdges(g);
  std::vector<char> seen_t(g.tensors.size(), 0), seen_n(g.num_nodes, 0);
  std::queue<int> q;  // tensor indices
  for (int t = 0; t < static_cast<int>(g.tensors.size()); ++t)
    if (g.tensors[t].producer < 0 && t != blocked) { seen_t[t] = 1; q.push(t); }
  while (!q.empty()) {
    const int t = q.front();
    q.pop();
    if (g.tensors[t].is_output) return true;
    for (int v : g.tensors[t].consumers) {
      if (seen_n[v]) continue;
      seen_n[v] = 1;
      for (int o : e.out[v])
        if (o != blocked && !seen_t[o]) { seen_t[o] = 1; q.push(o); }
    }
  }
  return false;
}

TEST(Bottlenecks, MatchBruteForceOnRandomDags) {
  for (uint64_t seed = 0; seed < 400; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const PlanGraph g = testing::randomCase(seed).graph;
    if (!reachesOutput(g, -1)) continue;
    std::vector<int> expected;
    for (int t = 0; t < static_cast<int>(g.tensors.size()); ++t)
      if (!reachesOutput(g, t)) expected.push_back(t);
    const auto bs = findBottlenecks(g);
    std::vector<int> got;
    for (const auto& b : bs) got.push_back(b.tensor);
    std::vector<int> sorted_got = got;
    std::sort(sorted_got.begin(), sorted_got.end());
    ASSERT_EQ(sorted_got, expected);
    // natural: a known-size node output smaller than the known inputs' total
    // and than every earlier natural one, in data-flow order.
    double smallest = 0;
    for (const auto& t : g.tensors)
      if (t.producer < 0 && t.size_known) smallest += t.bytes;
    for (const auto& b : bs) {
      const PlanTensor& t = g.tensors[b.tensor];
      const bool natural = t.size_known && t.producer >= 0 && t.bytes < smallest;
      EXPECT_EQ(b.natural, natural) << "tensor " << b.tensor;
      if (natural) smallest = t.bytes;
    }
  }
}

TEST(PlanGraph, NodeEdgesTurnTensorsAround) {
  PlanGraph g;  // x -> n0 -> a -> {n1, n2}; n1 -> b, c; n2 reads a and b
  g.num_nodes = 3;
  g.tensors = {tensor(-1, {0}, 1), tensor(0, {1, 2}, 1), tensor(1, {2}, 1), tensor(1, {}, 1, true),
               tensor(2, {}, 1, true)};
  const NodeEdges e = nodeEdges(g);
  EXPECT_EQ(e.in, (std::vector<std::vector<int>>{{0}, {1}, {1, 2}}));
  EXPECT_EQ(e.out, (std::vector<std::vector<int>>{{1}, {2, 3}, {4}}));
}

TEST(PlanGraph, NodeKeysFindAndName) {
  const NodeKeys keys({"conv", "relu", "fc"});
  EXPECT_EQ(keys.find("relu"), 1);
  EXPECT_FALSE(keys.find("nope").has_value());
  EXPECT_EQ(keys.name(2), "fc");
  EXPECT_EQ(NodeKeys().name(4), "#4");  // synthetic graphs have no keys
}

}  // namespace
}  // namespace onnxcut
