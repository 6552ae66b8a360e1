// Minimum-latency split as a minimum s-t cut (DADS, Hu et al., INFOCOM 2019),
// with the fixes the published construction needs.
//
// Source s is the device, sink t the cloud; after the max flow, the nodes
// reachable from s in the residual network form the device set D (the
// smallest optimal one). Edges:
//   s -> v   capacity = cloud·cloud_ms(v) + down_per_byte·bytes(outputs of v)
//            (cut when v runs on the cloud)
//   v -> t   capacity = device·device_ms(v)          (cut when v is on device)
//   u -> c   capacity = up_per_byte·bytes_p(tensor)  for a tensor read by one
//            node; a tensor read by several goes u -> x (the cost, paid once)
//            and x -> c (infinite) through an auxiliary vertex x.
//   c -> u   infinite, for every consumer c of a tensor made by u: no plan
//            may send data back down (DADS omits these and can return plans
//            that cannot run).
// Graph inputs are made by s. Forced sides are infinite s->v or v->t edges;
// tensors of unknown size get infinite edges both ways (never cut).
//
// Capacities are scaled to integers (the finite total maps to 2^48) so that
// the max flow is exact and no floating-point residue can move a vertex to
// the wrong side; the rounding changes an objective by < 2^-48 of its total.
#include "min_cut.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/boykov_kolmogorov_max_flow.hpp>
#include <cmath>
#include <cstdint>
#include <deque>
#include <stdexcept>

#include "pins.h"

namespace onnxcut {
namespace {

using Traits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using Vertex = Traits::vertex_descriptor;
using EdgeDesc = Traits::edge_descriptor;

struct FlowEdge {
  int64_t capacity = 0;
  int64_t residual = 0;
  EdgeDesc reverse;
};
using FlowGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property, FlowEdge>;

// Finite total scaled to 2^48, infinity 2^56: even 100 infinite paths fit
// in int64 if a caller ever passes infeasible forced sides.
constexpr double kFiniteScale = 281474976710656.0;  // 2^48
constexpr int64_t kInfinite = int64_t{1} << 56;

// Capacities are collected as doubles first, then scaled once.
struct PendingEdge {
  Vertex u, v;
  double cap_uv, cap_vu;  // < 0 means infinite
};

class NetworkBuilder {
 public:
  explicit NetworkBuilder(int vertices) : g_(vertices) {}

  void add(Vertex u, Vertex v, double cap_uv, double cap_vu) {
    if (cap_uv == 0 && cap_vu == 0) return;
    // Finite, or the infinite marker: never a value llround can't convert.
    if (!(std::isfinite(cap_uv) && std::isfinite(cap_vu)) || std::isnan(cap_uv + cap_vu))
      throw std::logic_error("min cut: a non-finite capacity (options and costs are validated into finite ranges)");
    if (cap_uv > 0) total_ += cap_uv;
    if (cap_vu > 0) total_ += cap_vu;
    pending_.push_back({u, v, cap_uv, cap_vu});
  }
  Vertex addVertex() { return boost::add_vertex(g_); }

  FlowGraph& build() {
    if (!std::isfinite(total_)) throw std::logic_error("min cut: the capacities sum to infinity");
    const double scale = total_ > 0 ? kFiniteScale / total_ : 0.0;
    auto toInt = [&](double c) { return c < 0 ? kInfinite : static_cast<int64_t>(std::llround(c * scale)); };
    for (const auto& e : pending_) addFlowEdge(e.u, e.v, toInt(e.cap_uv), toInt(e.cap_vu));
    return g_;
  }

 private:
  // One helper that always creates the pair (STYLE.md).
  void addFlowEdge(Vertex u, Vertex v, int64_t cap_uv, int64_t cap_vu) {
    const EdgeDesc e = boost::add_edge(u, v, g_).first;
    const EdgeDesc r = boost::add_edge(v, u, g_).first;
    g_[e] = {cap_uv, cap_uv, r};
    g_[r] = {cap_vu, cap_vu, e};
  }

  FlowGraph g_;
  std::vector<PendingEdge> pending_;
  double total_ = 0;
};

constexpr double kInf = -1.0;  // marker for infinite capacity in PendingEdge

}  // namespace

DeviceSet minCutPlan(const PlanGraph& g, const NodeCosts& costs, Precision p,
                     const CutWeights& w, const std::vector<signed char>& forced) {
  const Vertex s = 0, t = 1;
  auto node = [](int v) { return static_cast<Vertex>(v + 2); };
  NetworkBuilder nb(g.num_nodes + 2);

  std::vector<double> to_cloud(g.num_nodes), to_device(g.num_nodes);
  for (int v = 0; v < g.num_nodes; ++v) {
    to_cloud[v] = w.cloud * costs.cloud_ms[v];
    to_device[v] = w.device * costs.device_ms[v];
  }
  for (const auto& tensor : g.tensors)
    if (tensor.is_output && tensor.producer >= 0 && tensor.size_known)
      to_cloud[tensor.producer] += w.down_per_byte * tensor.bytes;

  for (int v = 0; v < g.num_nodes; ++v) {
    nb.add(s, node(v), forced[v] == kDevice ? kInf : to_cloud[v], 0);
    nb.add(node(v), t, forced[v] == kCloud ? kInf : to_device[v], 0);
  }
  for (const auto& tensor : g.tensors) {
    if (tensor.consumers.empty()) continue;
    const Vertex u = tensor.producer < 0 ? s : node(tensor.producer);
    if (!tensor.size_known) {
      for (int c : tensor.consumers) nb.add(u, node(c), kInf, kInf);
      continue;
    }
    const double cost = w.up_per_byte * sentBytes(tensor, p);
    if (tensor.consumers.size() == 1) {
      nb.add(u, node(tensor.consumers[0]), cost, kInf);
      continue;
    }
    const Vertex x = nb.addVertex();
    nb.add(u, x, cost, 0);
    for (int c : tensor.consumers) {
      nb.add(x, node(c), kInf, 0);
      nb.add(node(c), u, kInf, 0);
    }
  }

  FlowGraph& fg = nb.build();
  const auto n = boost::num_vertices(fg);
  std::vector<EdgeDesc> pred(n);
  std::vector<boost::default_color_type> color(n);
  std::vector<int64_t> dist(n);
  const auto idx = boost::get(boost::vertex_index, fg);
  const int64_t flow = boost::boykov_kolmogorov_max_flow(
      fg, boost::get(&FlowEdge::capacity, fg), boost::get(&FlowEdge::residual, fg),
      boost::get(&FlowEdge::reverse, fg), boost::make_iterator_property_map(pred.begin(), idx),
      boost::make_iterator_property_map(color.begin(), idx),
      boost::make_iterator_property_map(dist.begin(), idx), idx, s, t);
  if (flow >= kInfinite) throw std::logic_error("min cut: forced sides admit no valid plan");

  // Device side = reachable from s through edges with residual capacity.
  std::vector<char> seen(n, 0);
  std::deque<Vertex> queue{s};
  seen[s] = 1;
  while (!queue.empty()) {
    const Vertex u = queue.front();
    queue.pop_front();
    for (auto [e, end] = boost::out_edges(u, fg); e != end; ++e) {
      const Vertex v = boost::target(*e, fg);
      if (!seen[v] && fg[*e].residual > 0) {
        seen[v] = 1;
        queue.push_back(v);
      }
    }
  }
  DeviceSet on_device(g.num_nodes);
  for (int v = 0; v < g.num_nodes; ++v) on_device[v] = seen[node(v)];
  return on_device;
}

}  // namespace onnxcut
