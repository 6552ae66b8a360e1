// The peers onnxcut's min cut is measured and checked against: Boost Graph's
// Boykov-Kolmogorov and push-relabel max flow on a compressed sparse row
// graph, solving the same DADS network (CutNetwork::arcs). Not part of the
// product: benchmarks and tests only.
#pragma once
#include <boost/graph/boykov_kolmogorov_max_flow.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>
#include <boost/range/iterator_range.hpp>
#include <cmath>
#include <cstdint>
#include <deque>
#include <vector>

#include "cut_network.h"

namespace onnxcut::peers {

using Csr = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, int>;
using CsrEdge = boost::graph_traits<Csr>::edge_descriptor;

// The network as a CSR graph with every arc paired with its reverse, integer
// capacities scaled like onnxcut's (finite total -> 2^48, infinity 2^56).
struct CsrNetwork {
  Csr g;
  std::vector<int64_t> cap, residual;
  std::vector<CsrEdge> rev;
  std::vector<boost::default_color_type> color;
  std::vector<CsrEdge> pred;
  std::vector<int64_t> dist;
  std::vector<int> vindex;
};

inline CsrNetwork buildCsr(const std::vector<NetworkArc>& arcs, int vertices) {
  double total = 0;
  for (const auto& a : arcs)
    if (a.cap > 0) total += a.cap;
  const double scale = total > 0 ? 281474976710656.0 / total : 0.0;
  std::vector<std::pair<int, int>> ends;
  std::vector<int> ids;
  std::vector<int64_t> caps;
  ends.reserve(arcs.size() * 2);
  for (const auto& a : arcs) {
    const int64_t c = a.cap < 0 ? (int64_t{1} << 56) : static_cast<int64_t>(std::llround(a.cap * scale));
    ends.push_back({a.from, a.to});
    ends.push_back({a.to, a.from});
    ids.push_back(static_cast<int>(caps.size()));
    ids.push_back(static_cast<int>(caps.size()) + 1);
    caps.push_back(c);
    caps.push_back(0);
  }
  CsrNetwork n{Csr(boost::edges_are_unsorted_multi_pass, ends.begin(), ends.end(), ids.begin(),
                   static_cast<size_t>(vertices)),
               {}, {}, {}, {}, {}, {}, {}};
  const size_t m = ends.size();
  std::vector<CsrEdge> by_id(m);
  for (auto e : boost::make_iterator_range(boost::edges(n.g))) by_id[n.g[e]] = e;
  n.cap.resize(m);
  n.residual.resize(m);
  n.rev.resize(m);
  for (size_t id = 0; id < m; ++id) {
    const auto e = by_id[id];
    n.cap[e.idx] = caps[id];
    n.rev[e.idx] = by_id[id ^ 1];
  }
  n.color.resize(vertices);
  n.pred.resize(vertices);
  n.dist.resize(vertices);
  return n;
}

// Source side (reachable from vertex 0 in the residual network) per plan
// node after a max flow: the smallest optimal device set.
inline DeviceSet sourceSide(const CsrNetwork& n, int num_nodes) {
  std::vector<char> seen(boost::num_vertices(n.g), 0);
  std::deque<int> queue{0};
  seen[0] = 1;
  while (!queue.empty()) {
    const int u = queue.front();
    queue.pop_front();
    for (auto e : boost::make_iterator_range(boost::out_edges(static_cast<Csr::vertex_descriptor>(u), n.g))) {
      const int v = static_cast<int>(boost::target(e, n.g));
      if (!seen[v] && n.residual[e.idx] > 0) { seen[v] = 1; queue.push_back(v); }
    }
  }
  DeviceSet d(num_nodes);
  for (int v = 0; v < num_nodes; ++v) d[v] = seen[v + 2];
  return d;
}

inline int64_t boykovKolmogorov(CsrNetwork& n) {
  const auto eidx = boost::get(boost::edge_index, n.g);
  const auto vidx = boost::get(boost::vertex_index, n.g);
  return boost::boykov_kolmogorov_max_flow(
      n.g, boost::make_iterator_property_map(n.cap.begin(), eidx),
      boost::make_iterator_property_map(n.residual.begin(), eidx),
      boost::make_iterator_property_map(n.rev.begin(), eidx),
      boost::make_iterator_property_map(n.pred.begin(), vidx),
      boost::make_iterator_property_map(n.color.begin(), vidx),
      boost::make_iterator_property_map(n.dist.begin(), vidx), vidx, 0, 1);
}

inline int64_t pushRelabel(CsrNetwork& n) {
  const auto eidx = boost::get(boost::edge_index, n.g);
  const auto vidx = boost::get(boost::vertex_index, n.g);
  return boost::push_relabel_max_flow(n.g, 0, 1, boost::make_iterator_property_map(n.cap.begin(), eidx),
                                      boost::make_iterator_property_map(n.residual.begin(), eidx),
                                      boost::make_iterator_property_map(n.rev.begin(), eidx), vidx);
}

}  // namespace onnxcut::peers
