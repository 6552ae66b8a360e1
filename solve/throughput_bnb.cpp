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
//
// A tree kept between checks (ThroughputChecks): a table checks the same
// problem at a hundred bandwidths or more, and the leaves of one check's
// tree (closed subproblems, and open ones where its budget ran out) still
// partition the plans at the next. A check starts from them, each judged at
// its own bandwidth by a bound that holds at every bandwidth (Bound: the
// fixed nodes' part is exact at any link speed, and a Lagrangian value
// found at one carries to another with the link weights rescaled), and
// reopens only those below its incumbent. The fixings by closures drop
// plans at or above the limit they were made with, so the tree serves
// while the incumbent stays below that limit; a table passes the
// envelope's largest value in its range as the limit, otherwise a check
// above it starts from the root. 300-node layered DAG, 40 checks: 6,753
// cuts instead of 36,011 (Throughput.BranchAndBoundTreeSavesCutsOverATable).
#include "throughput_bnb.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <optional>
#include <cmath>
#include <limits>
#include <memory>
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
// The tree kept between checks holds at most this many bytes of sides.
constexpr size_t kKeptBytes = size_t{64} << 20;

using Lambda = std::array<double, 4>;  // dev, up, cloud, down

// A lower bound of a subproblem's bottleneck that holds at every
// bandwidth, so that a subproblem kept from one check can be judged at
// another without a cut (see BranchAndBound's "A tree kept between checks").
struct Bound {
  double balance = 0;            // max(device, cloud) with the free nodes split fractionally (ms)
  double up = 0, down = 0;       // bytes that must cross
  double lagrange = 0;           // min_P Σ λ_i T_i(P), at the link weights below (ms)
  Lambda lambda{};               // normalised
  double up_w = 0, down_w = 0;   // ms per byte when `lagrange` was found

  // At link weights (ms per byte) up_w1, down_w1: T_up(P) scales by
  // up_w1 / up_w, so with μ = λ on the compute stages and λ·up_w / up_w1
  // on the links, Σ μ_i T_i(P) at the new weights equals Σ λ_i T_i(P) at
  // the old ones, at least `lagrange`; the bottleneck is at least that
  // over Σ μ_i.
  double at(double up_w1, double down_w1) const {
    double b = std::max({balance, up * up_w1, down * down_w1});
    if (lagrange > 0) {
      const double mu = lambda[0] + lambda[2] + (up_w1 > 0 ? lambda[1] * up_w / up_w1 : 0) +
                        (down_w1 > 0 ? lambda[3] * down_w / down_w1 : 0);
      if (mu > 0) b = std::max(b, lagrange / mu);
    }
    return b;
  }
};

// Sides packed two bits per node: a tree kept between checks holds tens of
// thousands of subproblems.
class PackedSides {
 public:
  PackedSides() = default;
  explicit PackedSides(const std::vector<signed char>& f) : words_((f.size() + 31) / 32, 0) {
    for (size_t v = 0; v < f.size(); ++v) words_[v / 32] |= static_cast<uint64_t>(f[v] & 3) << (2 * (v % 32));
  }
  std::vector<signed char> unpack(size_t n) const {
    std::vector<signed char> f(n);
    for (size_t v = 0; v < n; ++v) f[v] = static_cast<signed char>((words_[v / 32] >> (2 * (v % 32))) & 3);
    return f;
  }
  size_t bytes() const { return words_.capacity() * sizeof(uint64_t); }

 private:
  std::vector<uint64_t> words_;
};

struct Sub {
  PackedSides forced;
  Bound bound;
  double key;     // bound at the current check's bandwidth
  Lambda lambda;  // the weights' state, passed to the children
  bool root;
  int depth;
};

// Heap order: the top is the least bound, then the deepest.
bool looser(const Sub& a, const Sub& b) { return a.key != b.key ? a.key > b.key : a.depth < b.depth; }

class BranchAndBound {
 public:
  BranchAndBound(const LatencyProblem& pr, double fixed_limit)
      : pr_(pr), g_(pr.graph), c_(pr.costs), adj_(nodeEdges(pr.graph)), load_(pr.net.load),
        fixed_limit_(fixed_limit) {
    net_ = pr.net;
    for (int v = 0; v < g_.num_nodes; ++v) by_ratio_.push_back(v);
    std::stable_sort(by_ratio_.begin(), by_ratio_.end(), [&](int a, int b) {  // d_a / c_a < d_b / c_b
      return c_.device_ms[a] * c_.cloud_ms[b] < c_.device_ms[b] * c_.cloud_ms[a];
    });
    closureSums();
  }

  ProvenThroughput run(double up_mbps, const DeviceSet& incumbent, double root_bound, long long budget) {
    net_.up_mbps = up_mbps;
    up_w_ = transferMs(1.0, up_mbps);
    down_w_ = transferMs(1.0, net_.downMbps());
    best_ = {};
    consider(incumbent);
    // The plans earlier checks met, at this bandwidth.
    for (const Point& p : front_)
      if (const double b = std::max(p.flat, p.link * up_w_); b < ub_) {
        ub_ = b;
        best_.plan = p.plan;
      }
    root_bound_ = root_bound;
    // The kept subproblems partition every plan that the fixings by
    // closures left, and those only lose plans whose bottleneck reaches
    // the limit they were made with: the tree serves while the incumbent is
    // below that.
    if (!tree_ || ub_ * (1 - kPruneSlack) > fix_limit_) {
      kept_.clear();
      kept_.push_back({PackedSides(pr_.forced), Bound{}, 0, {0.25, 0.25, 0.25, 0.25}, true, 0});
      fix_limit_ = std::numeric_limits<double>::infinity();
      tree_ = true;
    }
    // Best first: the open subproblem of least bound (ties: the deepest).
    std::vector<Sub> open, kept;
    for (Sub& s : kept_) {
      s.key = std::max(root_bound_, s.bound.at(up_w_, down_w_));
      if (closed(s.key)) {
        kept.push_back(std::move(s));
      } else {
        open.push_back(std::move(s));
        std::push_heap(open.begin(), open.end(), looser);
      }
    }
    kept_.clear();
    while (!open.empty()) {
      if (best_.cuts >= budget) break;
      std::pop_heap(open.begin(), open.end(), looser);
      Sub s = std::move(open.back());
      open.pop_back();
      if (closed(s.key)) {
        kept.push_back(std::move(s));
        continue;
      }
      ++best_.nodes;
      expand(std::move(s), open, kept);
    }
    double least = ub_;
    for (const Sub& s : open) least = std::min(least, s.key);
    best_.proven = closed(least);
    best_.bottleneck_ms = ub_;
    best_.bound_ms = best_.proven ? ub_ * (1 - kPruneSlack) : least;
    for (const Point& p : front_) best_.front.push_back(p.plan);
    for (Sub& s : open) kept.push_back(std::move(s));
    kept_ = std::move(kept);
    size_t bytes = 0;
    for (const Sub& s : kept_) bytes += sizeof(Sub) + s.forced.bytes();
    if (bytes > kKeptBytes) {
      kept_.clear();
      tree_ = false;
    }
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
    // The plan's curve over bandwidths: max(flat, link / U) (as lowerEnvelope),
    // the link in bytes.
    double flat = std::max(st.dev, st.cloud), link = st.up;
    if (net_.down_mbps) flat = std::max(flat, st.down);
    else link = std::max(link, st.down);
    link /= up_w_;
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
  bool fixByClosures(std::vector<signed char>& f) {
    if (desc_cloud_.empty()) return true;
    const double limit = std::max(fixed_limit_, ub_ * (1 - kPruneSlack));
    fix_limit_ = std::min(fix_limit_, limit);
    for (int v = 0; v < g_.num_nodes; ++v)
      if (desc_cloud_[v] >= limit && f[v] != kDevice && !fix(f, v, kDevice)) return false;
    return true;
  }

  // What the fixed nodes cost whatever the free ones do: the balance part,
  // and the bytes that must cross (Bound's first three fields).
  Bound quickBound(const std::vector<signed char>& f) const {
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
    Bound b;
    b.balance = balance;
    b.up = up;
    b.down = down;
    return b;
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

  // Bounds, splits or closes s. A closed subproblem goes to `kept` (a later
  // check may reopen it); one without plans below the fixings' limit is
  // dropped.
  void expand(Sub s, std::vector<Sub>& open, std::vector<Sub>& kept) {
    std::vector<signed char> forced = s.forced.unpack(g_.num_nodes);
    if (!fixByClosures(forced)) return;
    {
      const Bound q = quickBound(forced);
      s.bound.balance = q.balance;  // fixings only grow: at least the parent's
      s.bound.up = q.up;
      s.bound.down = q.down;
    }
    s.key = std::max({s.key, root_bound_, s.bound.at(up_w_, down_w_)});
    const auto keep = [&] {
      s.forced = PackedSides(forced);  // with the fixings by closures
      kept.push_back(std::move(s));
    };
    if (closed(s.key)) return keep();
    std::vector<int> free;
    for (int v = 0; v < g_.num_nodes; ++v)
      if (forced[v] == kFree) free.push_back(v);
    if (free.empty()) {  // one plan: its figures are its bound at every bandwidth
      DeviceSet d(g_.num_nodes);
      for (int v = 0; v < g_.num_nodes; ++v) d[v] = forced[v] == kDevice;
      const PlanFigures pf = planFigures(g_, c_, d, net_.precision);
      s.bound.balance = std::max(pf.device_ms, load_ * pf.cloud_ms);
      s.bound.up = pf.up_bytes;
      s.bound.down = pf.down_bytes;
      s.key = s.bound.at(up_w_, down_w_);
      consider(d);
      return keep();
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
      const double value =
          (lambda[0] * t[0] + lambda[1] * t[1] + lambda[2] * t[2] + lambda[3] * t[3]) * (1 - kBoundSlack);
      if (value > s.key) {
        s.key = value;
        s.bound.lagrange = value;
        s.bound.lambda = lambda;
        s.bound.up_w = up_w_;
        s.bound.down_w = down_w_;
      }
      if (closed(s.key)) {
        s.lambda = lambda;
        return keep();
      }
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
      std::vector<signed char> sides = forced;
      if (!fix(sides, v, side)) continue;
      open.push_back({PackedSides(sides), s.bound, s.key, lambda, false, s.depth + 1});
      std::push_heap(open.begin(), open.end(), looser);
    }
  }

  struct Point {
    double flat, link;  // ms, bytes
    DeviceSet plan;
  };

  const LatencyProblem& pr_;
  std::vector<Point> front_;  // of every check so far
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
  double root_bound_ = 0;
  double fixed_limit_ = 0;  // the fixings by closures use at least this limit (the incumbent's if larger)
  // The tree kept between checks (run): its leaves, and the least limit
  // its fixings by closures were made with.
  bool tree_ = false;
  std::vector<Sub> kept_;
  double fix_limit_ = 0;
};

}  // namespace

ProvenThroughput provenThroughputPlan(const LatencyProblem& pr, double up_mbps, const DeviceSet& incumbent,
                                      double root_bound_ms, long long cut_budget) {
  ThroughputChecks checks(pr);
  return checks.check(up_mbps, incumbent, root_bound_ms, cut_budget);
}

struct ThroughputChecks::Impl {
  std::optional<CutNetwork> own;
  LatencyProblem with;
  BranchAndBound bnb;
  Impl(const LatencyProblem& pr, double fixing_limit_ms) : with(withCuts(pr, own)), bnb(with, fixing_limit_ms) {}
};

ThroughputChecks::ThroughputChecks(const LatencyProblem& pr, double fixing_limit_ms)
    : impl_(std::make_unique<Impl>(pr, fixing_limit_ms * (1 - kPruneSlack))) {}
ThroughputChecks::~ThroughputChecks() = default;

ProvenThroughput ThroughputChecks::check(double up_mbps, const DeviceSet& incumbent, double root_bound_ms,
                                         long long cut_budget) {
  return impl_->bnb.run(up_mbps, incumbent, root_bound_ms * (1 - kBoundSlack), cut_budget);
}

}  // namespace onnxcut
