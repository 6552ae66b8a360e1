// Branch and bound for the bottleneck objective at one bandwidth.
//
// A subproblem fixes some nodes' sides (closed: a device node's producers
// are on the device, a cloud node's readers on the cloud, both ends of an
// unknown-size tensor together). Its bound is the larger of
//  - what the fixed nodes already cost: their device time, their cloud
//    time, the tensors that must cross, the outputs made on the cloud, and
//    the balance of device and cloud time with the free nodes split
//    fractionally (a fractional knapsack);
//  - the Lagrangian bound max_λ min_P Σ λ_i T_i(P) over the subproblem's
//    plans, each evaluation one exact min cut with the fixed sides as
//    infinite terminal arcs. The weights λ start from the parent's and move
//    by multiplicative weights, as in the search (throughput_planner.cpp).
// Every cut's plan is a valid plan of the subproblem, so it also improves
// the incumbent. Before its bound, a subproblem fixes to the device the
// nodes that can't be on the cloud in a better plan: on the cloud a node
// brings all its descendants, and where their cloud time alone reaches the
// incumbent's bottleneck, the node goes to the device. A subproblem is
// dropped when its bound reaches the incumbent; otherwise it is split on
// one node, put on the device (with its producers) in one child and on the
// cloud (with its readers) in the other.
// The node is taken from where the subproblem's cuts disagree: of the nodes
// that the plan with the most device time runs on the device and the plan
// with the least runs on the cloud, the one with the most work
// (device_ms + load·cloud_ms). The Lagrangian bound's gap comes from mixing
// such plans; the split removes each from one child. (Measured on layered
// DAGs against the median in topological order, the first, the last and
// the most fractional node over the cuts: fewest subproblems overall, 27x
// fewer on the hardest instance; docs/throughput.md.)
#include "throughput_bnb.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "cut_network.h"
#include "pins.h"

namespace onnxcut {
namespace {

// The min cut rounds capacities to integers: its plan's weighted objective
// may exceed the true minimum by about 2^-48 of the total. Bounds are
// deflated by this much (as in the search).
constexpr double kBoundSlack = 1e-9;
// Pruning slack: what is proven is that no plan is better than the
// incumbent by more than this (relative), bound deflation included.
constexpr double kPruneSlack = 2e-9;
constexpr int kRootIterations = 24;
constexpr int kChildIterations = 6;
constexpr double kMaxLogStep = 700.0;
// Descendant bitsets (closureSums) up to this many nodes: n^2 / 8 bytes,
// 12.5 MB at 10,000.
constexpr int kClosureMaxNodes = 10000;

using Lambda = std::array<double, 4>;  // dev, up, cloud, down

struct Sub {
  std::vector<signed char> forced;
  double bound;
  Lambda lambda;
  bool root;
  int depth;
};

// Heap order: the top is the least bound, then the deepest.
bool looser(const Sub& a, const Sub& b) { return a.bound != b.bound ? a.bound > b.bound : a.depth < b.depth; }

class BranchAndBound {
 public:
  BranchAndBound(const LatencyProblem& pr, double up_mbps)
      : pr_(pr), g_(pr.graph), c_(pr.costs), adj_(nodeEdges(pr.graph)), load_(pr.net.load) {
    net_ = pr.net;
    net_.up_mbps = up_mbps;
    up_w_ = transferMs(1.0, up_mbps);
    down_w_ = transferMs(1.0, net_.downMbps());
    for (int v = 0; v < g_.num_nodes; ++v) by_ratio_.push_back(v);
    std::stable_sort(by_ratio_.begin(), by_ratio_.end(), [&](int a, int b) {  // d_a / c_a < d_b / c_b
      return c_.device_ms[a] * c_.cloud_ms[b] < c_.device_ms[b] * c_.cloud_ms[a];
    });
  }

  ProvenThroughput run(const DeviceSet& incumbent, double root_bound, long long budget) {
    consider(incumbent);
    closureSums();
    // Best first: the open subproblem of least bound (ties: the deepest).
    std::vector<Sub> open;
    open.push_back({pr_.forced, root_bound, {0.25, 0.25, 0.25, 0.25}, true, 0});
    while (!open.empty()) {
      if (best_.cuts >= budget) break;
      std::pop_heap(open.begin(), open.end(), looser);
      Sub s = std::move(open.back());
      open.pop_back();
      if (closed(s.bound)) continue;
      ++best_.nodes;
      expand(s, open);
    }
    double least = ub_;
    for (const Sub& s : open) least = std::min(least, s.bound);
    best_.proven = closed(least);
    best_.bottleneck_ms = ub_;
    best_.bound_ms = best_.proven ? ub_ * (1 - kPruneSlack) : least;
    for (Point& p : front_) best_.front.push_back(std::move(p.plan));
    return best_;
  }

 private:
  // A subproblem whose bound reaches the incumbent (up to kPruneSlack) holds
  // no better plan. The slack matters: plans that tie the incumbent (a
  // plateau where one stage, e.g. sending the raw input, is the bottleneck
  // of many plans) would otherwise all be enumerated.
  bool closed(double bound) const { return bound >= ub_ * (1 - kPruneSlack); }

  void consider(const DeviceSet& d) { consider(d, stageTimes(planFigures(g_, c_, d, net_.precision), net_)); }

  void consider(const DeviceSet& d, const StageTimes& st) {
    const double b = st.bottleneck();
    if (best_.plan.empty() || b < ub_) { ub_ = b; best_.plan = d; }
    // The plan's curve over bandwidths: max(flat, link / U) (as lowerEnvelope).
    double flat = std::max(st.dev, st.cloud), link = st.up;
    if (net_.down_mbps) flat = std::max(flat, st.down);
    else link = std::max(link, st.down);
    for (const Point& p : front_)
      if (p.flat <= flat && p.link <= link) return;  // dominated (or met before)
    std::erase_if(front_, [&](const Point& p) { return flat <= p.flat && link <= p.link; });
    front_.push_back({flat, link, d});
  }

  // Each node's descendants' cloud time (itself included): a plan with the
  // node on the cloud runs all its descendants there. By descendant
  // bitsets, n^2 / 64 words; above kClosureMaxNodes left empty (no fixing).
  void closureSums() {
    const int n = g_.num_nodes;
    if (n > kClosureMaxNodes) return;
    const size_t words = descendantWords(g_);
    const std::vector<uint64_t> desc = descendantBits(g_, adj_);
    desc_cloud_.resize(n);
    for (int v = 0; v < n; ++v) {
      double total = 0;
      for (size_t w = 0; w < words; ++w)
        for (uint64_t b = desc[v * words + w]; b; b &= b - 1) total += c_.cloud_ms[w * 64 + std::countr_zero(b)];
      desc_cloud_[v] = load_ * total;
    }
  }

  // Fixes to the device the free nodes whose descendants alone take at
  // least the incumbent's bottleneck on the cloud: no better plan runs them
  // on the cloud. False when such a node is fixed to the cloud (no better
  // plan in this subproblem). The mirror rule (a node whose ancestors take
  // that much on the device goes to the cloud) is sound too, but it made
  // some instances 100x slower (1,000-node layered DAG, seed 1, 10 Mbit/s:
  // 3,366 -> 333,348 cuts): with those nodes fixed, a subproblem's cuts
  // mostly agree on the free nodes and the split is chosen blind.
  bool fixByClosures(std::vector<signed char>& f) const {
    if (desc_cloud_.empty()) return true;
    const double limit = ub_ * (1 - kPruneSlack);
    for (int v = 0; v < g_.num_nodes; ++v)
      if (desc_cloud_[v] >= limit && f[v] != kDevice && !fix(f, v, kDevice)) return false;
    return true;
  }

  // What the fixed nodes cost whatever the free ones do.
  double quickBound(const std::vector<signed char>& f) const {
    double dev = 0, cloud = 0, free_cloud = 0, up = 0, down = 0;
    for (int v = 0; v < g_.num_nodes; ++v) {
      if (f[v] == kDevice) dev += c_.device_ms[v];
      else if (f[v] == kCloud) cloud += load_ * c_.cloud_ms[v];
      else free_cloud += load_ * c_.cloud_ms[v];
    }
    for (const PlanTensor& t : g_.tensors) {
      if (t.is_output && t.producer >= 0 && f[t.producer] == kCloud) down += t.bytes;
      if (t.producer >= 0 && f[t.producer] != kDevice) continue;
      for (int r : t.consumers)
        if (f[r] == kCloud) { up += sentBytes(t, net_.precision); break; }
    }
    // min over fractional splits of the free nodes of max(device, cloud):
    // device-cheap nodes move to the device first.
    double x = dev, y = cloud + free_cloud, balance = std::max(x, y);
    if (x < y) {
      for (int v : by_ratio_) {
        if (f[v] != kFree) continue;
        const double d = c_.device_ms[v], cl = load_ * c_.cloud_ms[v];
        if (x + d >= y - cl) {
          balance = x + (y - x) / (d + cl) * d;
          break;
        }
        x += d;
        y -= cl;
        balance = std::max(x, y);  // every free node so far on the device
      }
    }
    return std::max({balance, up * up_w_, down * down_w_});
  }

  // Fixes v (and its closure, pins.h) to `side`; false when that
  // contradicts a fixed node.
  bool fix(std::vector<signed char>& f, int v, Side side) const {
    std::vector<int> queue;
    bool ok = true;
    auto set = [&](int w) {
      if (f[w] == side) return;
      if (f[w] != kFree) { ok = false; return; }
      f[w] = side;
      queue.push_back(w);
    };
    set(v);
    while (ok && !queue.empty()) {
      const int u = queue.back();
      queue.pop_back();
      forEachTiedNode(g_, adj_, u, side, set);
    }
    return ok;
  }

  void expand(const Sub& s, std::vector<Sub>& open) {
    std::vector<signed char> forced = s.forced;
    if (!fixByClosures(forced)) return;
    double bound = std::max(s.bound, quickBound(forced));
    std::vector<int> free;
    for (int v = 0; v < g_.num_nodes; ++v)
      if (forced[v] == kFree) free.push_back(v);
    if (closed(bound)) return;
    if (free.empty()) {
      DeviceSet d(g_.num_nodes);
      for (int v = 0; v < g_.num_nodes; ++v) d[v] = forced[v] == kDevice;
      consider(d);
      return;
    }
    std::optional<CutNetwork> net;
    try {
      net.emplace(pr_.cuts->withForced(forced));
    } catch (const std::logic_error&) {
      return;  // no valid plan respects these sides
    }
    Lambda lambda = s.lambda, log_lambda;
    for (int i = 0; i < 4; ++i) log_lambda[i] = std::log(std::max(lambda[i], 1e-300));
    DeviceSet most_dev, least_dev;
    double most = -1, least = 0;
    const int iterations = s.root ? kRootIterations : kChildIterations;
    for (int it = 0; it < iterations; ++it) {
      const CutWeights w{lambda[0], lambda[2] * load_, lambda[1] * up_w_, lambda[3] * down_w_};
      DeviceSet d = net->solve(w);
      ++best_.cuts;
      const StageTimes st = stageTimes(planFigures(g_, c_, d, net_.precision), net_);
      const double t[4] = {st.dev, st.up, st.cloud, st.down};
      consider(d, st);
      bound = std::max(bound, (lambda[0] * t[0] + lambda[1] * t[1] + lambda[2] * t[2] + lambda[3] * t[3]) *
                                  (1 - kBoundSlack));
      if (closed(bound)) return;
      if (st.dev > most) { most = st.dev; most_dev = d; }
      if (least_dev.empty() || st.dev < least) { least = st.dev; least_dev = std::move(d); }
      const double scale = std::max(ub_, 1e-300);
      for (int i = 0; i < 4; ++i) log_lambda[i] += std::min(t[i] / scale, kMaxLogStep);
      const double top = *std::max_element(log_lambda.begin(), log_lambda.end());
      double sum = 0;
      for (int i = 0; i < 4; ++i) sum += lambda[i] = std::exp(log_lambda[i] - top);
      for (double& l : lambda) l /= sum;
    }
    std::vector<int> differ;
    for (int v : free)
      if (most_dev[v] && !least_dev[v]) differ.push_back(v);
    const std::vector<int>& pick = differ.empty() ? free : differ;
    int v = pick.front();
    for (int u : pick)
      if (c_.device_ms[u] + load_ * c_.cloud_ms[u] > c_.device_ms[v] + load_ * c_.cloud_ms[v]) v = u;
    for (Side side : {kDevice, kCloud}) {
      Sub child{forced, bound, lambda, false, s.depth + 1};
      if (!fix(child.forced, v, side)) continue;
      open.push_back(std::move(child));
      std::push_heap(open.begin(), open.end(), looser);
    }
  }

  struct Point {
    double flat, link;
    DeviceSet plan;
  };

  const LatencyProblem& pr_;
  std::vector<Point> front_;
  const PlanGraph& g_;
  const NodeCosts& c_;
  NodeEdges adj_;
  double load_;
  Network net_;
  double up_w_ = 0, down_w_ = 0;
  std::vector<int> by_ratio_;
  std::vector<double> desc_cloud_;  // closureSums()
  ProvenThroughput best_;
  double ub_ = 0;
};

}  // namespace

ProvenThroughput provenThroughputPlan(const LatencyProblem& pr, double up_mbps, const DeviceSet& incumbent,
                                      double root_bound_ms, long long cut_budget) {
  std::optional<CutNetwork> own;
  const LatencyProblem with = withCuts(pr, own);
  return BranchAndBound(with, up_mbps).run(incumbent, root_bound_ms * (1 - kBoundSlack), cut_budget);
}

}  // namespace onnxcut
