// Bottlenecks as dominators. The data flow is a DAG over a virtual source S
// (feeding every graph input), the tensors, the nodes, and a virtual sink T
// (fed by every graph output). A tensor lies on every S-T path exactly when
// it dominates T. In a DAG visited in topological order, each vertex's
// immediate dominator is the nearest common dominator of its predecessors
// (Cooper, Harvey & Kennedy's intersection, one pass suffices).
#include "bottlenecks.h"

#include <algorithm>
#include <limits>

namespace onnxcut {
namespace {

struct FlowDag {
  // Vertex order: 0 = S, then tensors and nodes interleaved topologically,
  // last = T. preds[v] lists predecessors by order index.
  std::vector<std::vector<int>> preds;
  std::vector<int> tensor_at;  // tensor index of an order position, or -1
};

FlowDag buildDag(const PlanGraph& g) {
  const int nt = static_cast<int>(g.tensors.size());
  FlowDag dag;
  std::vector<int> tensor_pos(nt, -1), node_pos(g.num_nodes, -1);
  const NodeEdges edges = nodeEdges(g);
  const auto& node_inputs = edges.in;
  const auto& node_outputs = edges.out;
  auto add = [&](int tensor) {
    dag.preds.emplace_back();
    dag.tensor_at.push_back(tensor);
    return static_cast<int>(dag.preds.size()) - 1;
  };
  add(-1);  // S
  for (int t = 0; t < nt; ++t)
    if (g.tensors[t].producer < 0) { tensor_pos[t] = add(t); dag.preds.back().push_back(0); }
  for (int v = 0; v < g.num_nodes; ++v) {
    node_pos[v] = add(-1);
    for (int t : node_inputs[v]) dag.preds[node_pos[v]].push_back(tensor_pos[t]);
    for (int t : node_outputs[v]) { tensor_pos[t] = add(t); dag.preds.back().push_back(node_pos[v]); }
  }
  const int sink = add(-1);
  for (int t = 0; t < nt; ++t)
    if (g.tensors[t].is_output) dag.preds[sink].push_back(tensor_pos[t]);
  return dag;
}

}  // namespace

std::vector<Bottleneck> findBottlenecks(const PlanGraph& g) {
  const FlowDag dag = buildDag(g);
  const int n = static_cast<int>(dag.preds.size());
  constexpr int kUnreached = -1;
  std::vector<int> idom(n, kUnreached);
  idom[0] = 0;
  auto intersect = [&](int a, int b) {
    while (a != b) {
      while (a > b) a = idom[a];
      while (b > a) b = idom[b];
    }
    return a;
  };
  for (int v = 1; v < n; ++v) {
    int d = kUnreached;
    for (int p : dag.preds[v]) {
      if (p < 0 || idom[p] == kUnreached) continue;
      d = d == kUnreached ? p : intersect(d, p);
    }
    idom[v] = d;
  }
  std::vector<Bottleneck> out;
  const int sink = n - 1;
  if (idom[sink] == kUnreached) return out;
  double input_bytes = 0;
  for (const auto& t : g.tensors)
    if (t.producer < 0 && t.size_known) input_bytes += t.bytes;
  for (int v = idom[sink]; v != 0; v = idom[v])
    if (dag.tensor_at[v] >= 0) out.push_back({dag.tensor_at[v], 0, false});
  std::reverse(out.begin(), out.end());
  double smallest = input_bytes;
  for (auto& b : out) {
    const PlanTensor& t = g.tensors[b.tensor];
    if (!t.size_known) continue;
    b.ratio_to_input = input_bytes > 0 ? t.bytes / input_bytes : 0;
    if (t.producer >= 0 && t.bytes < smallest) {
      b.natural = true;
      smallest = t.bytes;
    }
  }
  return out;
}

}  // namespace onnxcut
