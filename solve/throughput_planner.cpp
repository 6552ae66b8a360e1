// Throughput planning (DADS "DNN Surgery Heavy", Hu et al. INFOCOM 2019).
//
// Lower bound: for λ on the simplex over the four stages,
//   L(λ) = min_P Σ λ_i T_i(P) <= min_P max_i T_i(P) = OPT,
// and L(λ) is one exact min cut with stage weights λ. The search maximises
// L by multiplicative weights (stages that bottleneck the current plan gain
// weight), keeping the best bound and every plan the cuts return.
// Primal: the best of those plans and of the latency-optimal plans, then
// greedy single-node moves along the cut while the bottleneck drops.
#include "throughput_planner.h"

#include <algorithm>
#include <string>
#include <stdexcept>
#include <cmath>
#include <limits>
#include <functional>
#include <map>
#include <unordered_map>
#include <optional>
#include <set>

#include "cut_network.h"
#include "pins.h"
#include "plan_enumeration.h"
#include "throughput_bnb.h"

namespace onnxcut {
namespace {

// Search effort per bandwidth point. 24 weightings reach within a few % of
// the best bound on the shared models; more buys little (docs/throughput.md).
constexpr int kDualIterations = 24;
constexpr double kStepSize = 1.0;
// One update may multiply a weight by at most e^700 (still finite): a
// stage 1e6 times slower than the best plan weighs all, never infinity.
constexpr double kMaxLogStep = 700.0;
// Local search stops after this many full passes without gain, or this many.
constexpr int kMaxLocalPasses = 16;
// Bound slack for the min cut's integer rounding (2^-48 of the total).
constexpr double kBoundSlack = 1e-9;
constexpr int kGridPerDecade = 5;
// Partial plans the bounded DP may keep for one table (4 bytes each once
// past, ~50 while current) before the table falls back to the branch and
// bound and the search.
constexpr long long kBoundedCap = 10000000;
// Dominance tests the bounded DP may make for one table, per node (about
// 2-3 s at 1,000 nodes): 1.6x what the 1,000-node layered DAGs' load-1
// tables needed before the bound counted what a frontier forces (410M and
// 605M; docs/throughput.md). Per node, so that where it fails on a smaller
// graph it fails sooner.
constexpr double kBoundedComparisonsPerNode = 1e6;
// ... and at most this many (about 2-3 s) on larger graphs.
constexpr double kBoundedComparisonsMax = 1e9;
// Branch-and-bound effort for one table: min(kBranchAndBoundWork / s,
// kBranchAndBoundWork3 / s^3) min cuts for s = nodes + tensors: about
// 500,000 at 1,000 nodes (6 s at most; a cut in a table's subproblems costs
// 11-17 us there, with the networks' shared rows), 62,500 at 2,000, 7,800
// at 4,000. The first cuts of a check run on nearly the whole network, and
// their cost grows with its size (at 4,000 nodes 6,250 cuts took 5.2 s and
// 31,000 took 10.6 s for a proven ratio of 0.9594 vs 0.9604), hence the
// steep term (docs/throughput.md). Before the tree was kept between checks
// (issue 16, fifth round) the budget was min(2e8 / s, 4e11 / s^2), about
// 4 s at 1,000 nodes when a cut cost 40 us there.
constexpr double kBranchAndBoundWork = 1e9;
constexpr double kBranchAndBoundWork3 = 4e15;
// Below this many cuts (graphs of about 4,600 nodes and more) the branch and
// bound rarely proves a breakpoint and is not run: a 10,000-node table
// spent 7 s in it for no gain in its proven ratio.
constexpr long long kBranchAndBoundMinCuts = 5000;
// The DP's bound counts what a frontier forces (StageBound) up to this many
// nodes: it costs O(nodes) per distinct set of cloud-made live tensors and
// step (a 10,000-node layered table without this limit: 16 s → 126 s;
// 2,000 nodes: 3.7 s → 5.5 s, 19 bands unproven instead of 33).
constexpr int kDescendantsMaxNodes = 2000;
// Where the bounded DP can't prove a whole table, the ranges of low
// bandwidths it tries, by bisection over log bandwidth: 2 tries place the
// split to within 1/4 of the range (a decade over 0.1-1000 Mbit/s). A
// third try (half a decade) cost 1-1.9 s on the 1,000-node layered tables
// at load 4 and failed on both; with the branch and bound's tree kept
// between checks the decade above the split is cheaper to leave to it.
constexpr int kDpRangeTries = 2;
// A plan must beat the envelope by this much (relative) to count as better.
constexpr double kImprovement = 1e-9;

StageTimes stagesOf(const LatencyProblem& pr, const DeviceSet& d, double up_mbps) {
  Network net = pr.net;
  net.up_mbps = up_mbps;
  return stageTimes(planFigures(pr.graph, pr.costs, d, net.precision), net);
}

// Lexicographic: smaller bottleneck, then smaller total (breaks plateaus).
bool better(const StageTimes& a, const StageTimes& b) {
  const double ba = a.bottleneck(), bb = b.bottleneck();
  if (ba < bb * (1 - 1e-12)) return true;
  if (bb < ba * (1 - 1e-12)) return false;
  return a.dev + a.up + a.cloud + a.down < b.dev + b.up + b.cloud + b.down - 1e-12;
}

// Greedy single-node moves along the cut: a device node whose outputs are
// read only on the cloud may go up, a cloud node whose inputs are all made
// on the device may come down. Each move is evaluated incrementally in
// O(degree), keeping per tensor the number of cloud readers.
class LocalSearch {
 public:
  LocalSearch(const LatencyProblem& pr, double up_mbps, DeviceSet& plan)
      : pr_(pr), g_(pr.graph), plan_(plan), edges_(nodeEdges(g_)), in_(edges_.in), out_(edges_.out),
        cloud_readers_(g_.tensors.size(), 0) {
    net_ = pr.net;
    net_.up_mbps = up_mbps;
    for (int t = 0; t < static_cast<int>(g_.tensors.size()); ++t)
      for (int c : g_.tensors[t].consumers)
        if (!plan_[c]) ++cloud_readers_[t];
    f_ = planFigures(g_, pr.costs, plan_, net_.precision);
    for (char d : plan_) cloud_nodes_ += !d;
  }

  void run() {
    for (int pass = 0; pass < kMaxLocalPasses; ++pass) {
      int best_v = -1;
      StageTimes best = stageTimes(f_, net_);
      PlanFigures best_f = f_;
      for (int v = 0; v < g_.num_nodes; ++v) {
        PlanFigures f = f_;
        if (pr_.forced[v] != kFree || !moved(v, f)) continue;
        const StageTimes s = stageTimes(f, net_);
        if (better(s, best)) { best = s; best_f = f; best_v = v; }
      }
      if (best_v < 0) return;
      apply(best_v);
      f_ = best_f;
    }
  }

 private:
  bool madeOnDevice(int t) const { return g_.tensors[t].producer < 0 || plan_[g_.tensors[t].producer]; }

  // The figures after flipping v, or false when the move is not allowed.
  bool moved(int v, PlanFigures& f) const {
    const auto& c = pr_.costs;
    if (plan_[v]) {  // device -> cloud
      for (int t : out_[v]) {
        const PlanTensor& ten = g_.tensors[t];
        if (cloud_readers_[t] != static_cast<int>(ten.consumers.size())) return false;  // a device reader
        if (ten.is_output && !ten.size_known) return false;
        if (!ten.consumers.empty()) { f.up_bytes -= sentBytes(ten, net_.precision); f.up_bytes_fp32 -= ten.bytes; }
        if (ten.is_output) f.down_bytes += ten.bytes;
      }
      for (int t : in_[v]) {
        const PlanTensor& ten = g_.tensors[t];
        if (!ten.size_known) return false;
        if (cloud_readers_[t] == 0) { f.up_bytes += sentBytes(ten, net_.precision); f.up_bytes_fp32 += ten.bytes; }
      }
      f.device_ms -= c.device_ms[v];
      f.cloud_ms += c.cloud_ms[v];
      f.uses_cloud = true;
    } else {  // cloud -> device
      for (int t : in_[v])
        if (!madeOnDevice(t)) return false;
      for (int t : in_[v]) {
        const PlanTensor& ten = g_.tensors[t];
        if (cloud_readers_[t] == 1) { f.up_bytes -= sentBytes(ten, net_.precision); f.up_bytes_fp32 -= ten.bytes; }
      }
      for (int t : out_[v]) {
        const PlanTensor& ten = g_.tensors[t];
        if (cloud_readers_[t] > 0) {
          if (!ten.size_known) return false;
          f.up_bytes += sentBytes(ten, net_.precision);
          f.up_bytes_fp32 += ten.bytes;
        }
        if (ten.is_output) f.down_bytes -= ten.bytes;
      }
      f.device_ms += c.device_ms[v];
      f.cloud_ms -= c.cloud_ms[v];
      f.uses_cloud = cloud_nodes_ > 1;
    }
    return true;
  }

  void apply(int v) {
    const int delta = plan_[v] ? 1 : -1;  // device -> cloud adds a cloud reader
    for (int t : in_[v]) cloud_readers_[t] += delta;
    cloud_nodes_ += delta;
    plan_[v] = !plan_[v];
  }

  const LatencyProblem& pr_;
  const PlanGraph& g_;
  DeviceSet& plan_;
  Network net_;
  NodeEdges edges_;
  const std::vector<std::vector<int>>&in_, &out_;
  std::vector<int> cloud_readers_;
  int cloud_nodes_ = 0;
  PlanFigures f_;
};

}  // namespace

ThroughputResult bestThroughputPlan(const LatencyProblem& pr_in, double up_mbps) {
  std::optional<CutNetwork> own;
  const LatencyProblem pr = withCuts(pr_in, own);
  const double up_w = transferMs(1.0, up_mbps);
  const double down_w = transferMs(1.0, pr.net.down_mbps ? *pr.net.down_mbps : up_mbps);
  ThroughputResult r;
  StageTimes best_st;
  auto consider = [&](const DeviceSet& d) {
    const StageTimes s = stagesOf(pr, d, up_mbps);
    if (r.plan.empty() || better(s, best_st)) { r.plan = d; best_st = s; }
    return s;
  };
  // The latency-optimal plans: the guarantee (within 4x of optimal, 3x
  // without a downlink stage) comes from these.
  consider(optimalLatencyPlan(pr, up_mbps));
  // Weights kept as logarithms and normalised from the largest: a stage
  // orders of magnitude slower than the best plan can't overflow exp().
  double log_lambda[4] = {0, 0, 0, 0};
  double lambda[4] = {0.25, 0.25, 0.25, 0.25};  // dev, up, cloud, down
  double bound = 0;
  for (int it = 0; it < kDualIterations; ++it) {
    const CutWeights w{lambda[0], lambda[2] * pr.net.load, lambda[1] * up_w, lambda[3] * down_w};
    const DeviceSet d = pr.cuts->solve(w);
    const StageTimes s = consider(d);
    const double t[4] = {s.dev, s.up, s.cloud, s.down};
    bound = std::max(bound, lambda[0] * t[0] + lambda[1] * t[1] + lambda[2] * t[2] + lambda[3] * t[3]);
    // Multiplicative weights: stages that are slow for this plan gain weight.
    const double scale = std::max(best_st.bottleneck(), 1e-300);
    for (int i = 0; i < 4; ++i) log_lambda[i] += std::min(kStepSize * t[i] / scale, kMaxLogStep);
    const double top = *std::max_element(log_lambda, log_lambda + 4);
    double sum = 0;
    for (int i = 0; i < 4; ++i) sum += lambda[i] = std::exp(log_lambda[i] - top);  // the largest is 1
    for (double& l : lambda) l /= sum;
  }
  LocalSearch(pr, up_mbps, r.plan).run();
  best_st = stagesOf(pr, r.plan, up_mbps);  // recomputed exactly, no drift
  r.bottleneck_ms = best_st.bottleneck();
  r.bound_ms = std::min(bound * (1 - kBoundSlack), r.bottleneck_ms);
  return r;
}

const char* toString(ThroughputMethod m) { return m == ThroughputMethod::exact ? "exact" : "lagrangian"; }

namespace {

// A plan's bottleneck as a function of x = 1 / uplink: max(a, b·x).
struct Curve {
  double a = 0, b = 0;
  double at(double x) const { return std::max(a, b * x); }
};

Curve curveOf(const LatencyProblem& pr, const DeviceSet& d) {
  const PlanFigures f = planFigures(pr.graph, pr.costs, d, pr.net.precision);
  Curve c;
  c.a = std::max(f.device_ms, pr.net.load * f.cloud_ms);
  double shared = f.up_bytes;  // bytes whose time scales with 1/uplink
  if (pr.net.down_mbps) c.a = std::max(c.a, transferMs(f.down_bytes, *pr.net.down_mbps));
  else shared = std::max(shared, f.down_bytes);
  c.b = transferMs(shared, 1.0);
  return c;
}

double fps(double ms) { return ms > 0 ? 1000.0 / ms : std::numeric_limits<double>::max(); }



struct Envelope {
  std::vector<DeviceSet> plans;
  std::vector<Curve> curves;
  struct Piece { double x0, x1; int plan; };
  std::vector<Piece> pieces;  // increasing x
};

// Exact lower envelope of the candidates' curves in x = 1/U: the minimum can
// only change at kinks (a_P = b_P x) and crossings (a_P = b_Q x); between
// consecutive ones, the midpoint decides.
Envelope lowerEnvelope(const LatencyProblem& pr, std::vector<DeviceSet> plans, double x_lo, double x_hi) {
  // A curve with both a larger floor and a larger slope never wins: keep the
  // 2-D Pareto front (a ascending, b strictly descending) before the O(F^2)
  // breakpoint scan. Ties keep the first plan (deterministic).
  std::vector<std::pair<Curve, int>> order;
  for (int k = 0; k < static_cast<int>(plans.size()); ++k) order.push_back({curveOf(pr, plans[k]), k});
  std::stable_sort(order.begin(), order.end(), [](const auto& p, const auto& q) {
    return p.first.a != q.first.a ? p.first.a < q.first.a : p.first.b < q.first.b;
  });
  Envelope env;
  double min_b = std::numeric_limits<double>::infinity();
  for (const auto& [c, k] : order) {
    if (c.b >= min_b) continue;
    min_b = c.b;
    env.curves.push_back(c);
    env.plans.push_back(std::move(plans[k]));
  }
  std::vector<double> xs = {x_lo, x_hi};
  for (const auto& p : env.curves)
    for (const auto& q : env.curves)
      if (q.b > 0) {
        const double x = p.a / q.b;
        if (x > x_lo && x < x_hi) xs.push_back(x);
      }
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  for (size_t i = 0; i + 1 < xs.size(); ++i) {
    const double mid = 0.5 * (xs[i] + xs[i + 1]);
    int best = 0;
    for (int k = 1; k < static_cast<int>(env.curves.size()); ++k)
      if (env.curves[k].at(mid) < env.curves[best].at(mid) * (1 - 1e-12)) best = k;
    if (!env.pieces.empty() && env.pieces.back().plan == best) env.pieces.back().x1 = xs[i + 1];
    else env.pieces.push_back({xs[i], xs[i + 1], best});
  }
  return env;
}

// Bands in increasing bandwidth from the envelope's pieces; `bound(lo, hi,
// curve)` gives the band's (bound_fps, proven_ratio).
std::vector<ThroughputBand> assembleBands(
    const Envelope& env, double min_mbps, double max_mbps,
    const std::function<std::pair<double, double>(double, double, const Curve&)>& bound) {
  const double x_lo = 1.0 / max_mbps;
  std::vector<ThroughputBand> bands;
  for (auto it = env.pieces.rbegin(); it != env.pieces.rend(); ++it) {
    const double lo = bands.empty() ? min_mbps : bands.back().max_mbps;
    const double hi = it->x0 <= x_lo ? max_mbps : 1.0 / it->x0;
    if (hi <= lo) continue;
    const Curve& c = env.curves[it->plan];
    const auto [bound_fps, ratio] = bound(lo, hi, c);
    bands.push_back({lo, hi, env.plans[it->plan], fps(c.at(1.0 / lo)), fps(c.at(1.0 / hi)), bound_fps, ratio});
  }
  if (bands.empty()) throw std::logic_error("band assembly produced no band for [" + std::to_string(min_mbps) + ", " +
                                            std::to_string(max_mbps) + "] Mbit/s");
  bands.back().max_mbps = max_mbps;
  return bands;
}

std::vector<double> geometricGrid(double lo, double hi) {
  const int steps = std::max(1, static_cast<int>(std::ceil(std::log10(hi / lo) * kGridPerDecade)));
  std::vector<double> grid;
  for (int i = 0; i <= steps; ++i) grid.push_back(lo * std::pow(hi / lo, double(i) / steps));
  grid.front() = lo;
  grid.back() = hi;
  return grid;
}



// A lower bound on max(T_dev, load·T_cloud) of every completion of a
// partial plan that has decided nodes 0..v: the remaining nodes split
// between the sides, fractionally (the LP relaxation of the partition):
// moving nodes to the device in increasing device_ms / (load·cloud_ms)
// order until the sides balance is optimal, as for a fractional knapsack.
// With the partial plan's frontier (frontier()), the nodes it forces to the
// cloud (every descendant of a reader of a tensor made on the cloud) are
// not split but added to the cloud side, and the tensors made on the
// device that such nodes read must be sent (extraBytes()).
class StageBound {
 public:
  StageBound(const LatencyProblem& pr) : pr_(pr), load_(pr.net.load), n_(pr.graph.num_nodes) {
    forced_dev_.assign(n_ + 1, 0);
    forced_cloud_.assign(n_ + 1, 0);
    for (int v = n_ - 1; v >= 0; --v) {
      forced_dev_[v] = forced_dev_[v + 1] + (pr.forced[v] == kDevice ? pr.costs.device_ms[v] : 0);
      forced_cloud_[v] = forced_cloud_[v + 1] + (pr.forced[v] == kCloud ? load_ * pr.costs.cloud_ms[v] : 0);
      if (pr.forced[v] == kFree) order_.push_back(v);
    }
    std::stable_sort(order_.begin(), order_.end(), [&](int a, int b) {  // d_a / c_a < d_b / c_b
      return pr.costs.device_ms[a] * load_ * pr.costs.cloud_ms[b] < pr.costs.device_ms[b] * load_ * pr.costs.cloud_ms[a];
    });
    if (n_ > kDescendantsMaxNodes) return;
    words_ = descendantWords(pr.graph);
    desc_ = descendantBits(pr.graph, nodeEdges(pr.graph));
  }

  // The frontier after deciding nodes 0..v: the live tensors and their
  // statuses ('C' made on the cloud, 'U' made on the device and not sent,
  // 'S' sent; plan_enumeration.h). at() and extraBytes() are then for
  // partial plans with this frontier.
  void frontier(int v, const std::vector<int>& live, const std::string& key) {
    if (v != cached_) rebuild(v);
    extra_bytes_ = 0;
    cur_ = nullptr;
    if (desc_.empty()) return;
    // What is forced depends only on which live tensors were made on the
    // cloud: computed once per such mask and step.
    std::string mask(key.size(), '.');
    bool any = false;
    for (size_t i = 0; i < key.size(); ++i)
      if (key[i] == 'C') mask[i] = 'C', any = true;
    if (!any) return;
    auto [it, fresh] = forced_by_mask_.try_emplace(mask);
    Forced& f = it->second;
    if (fresh) computeForced(v, live, key, f);
    cur_ = &f;
    auto isForced = [&](int u) { return (f.bits[u / 64] >> (u % 64)) & 1; };
    for (size_t i = 0; i < live.size(); ++i)
      if (key[i] == 'U') {
        const PlanTensor& t = pr_.graph.tensors[live[i]];
        for (int r : t.consumers)
          if (r > v && isForced(r)) {
            extra_bytes_ += t.size_known ? sentBytes(t, pr_.net.precision) : 0;
            break;
          }
      }
  }

  // No completion exists (a node pinned to the device would have to run on
  // the cloud).
  bool infeasible() const { return cur_ && cur_->infeasible; }
  // Bytes every completion must still send.
  double extraBytes() const { return extra_bytes_; }

  // After deciding nodes 0..v, with dev and cloud (load 1) so far.
  double at(int v, double dev, double cloud) {
    if (v != cached_) {
      rebuild(v);
      cur_ = nullptr;
    }
    const auto& id = cur_ ? cur_->d : base_d_;
    const auto& ic = cur_ ? cur_->c : base_c_;
    const auto& pd = cur_ ? cur_->pd : base_pd_;
    const auto& pc = cur_ ? cur_->pc : base_pc_;
    const double x0 = dev + forced_dev_[v + 1],
                 y0 = load_ * cloud + forced_cloud_[v + 1] + (cur_ ? cur_->extra_cloud : 0);
    const size_t k = id.size();
    auto h = [&](size_t i) { return x0 + pd[i] - (y0 + pc[k] - pc[i]); };  // X - Y with i items on the device
    if (h(0) >= 0) return x0;
    if (h(k) <= 0) return y0;
    size_t lo = 0, hi = k;  // h(lo) < 0 < h(hi)
    while (hi - lo > 1) {
      const size_t mid = (lo + hi) / 2;
      (h(mid) <= 0 ? lo : hi) = mid;
    }
    const double theta = -h(lo) / (id[lo] + ic[lo]);
    return x0 + pd[lo] + theta * id[lo];
  }

 private:
  static void prefix(const std::vector<double>& d, const std::vector<double>& c, std::vector<double>& pd,
                     std::vector<double>& pc) {
    pd.assign(d.size() + 1, 0);
    pc.assign(d.size() + 1, 0);
    for (size_t i = 0; i < d.size(); ++i) { pd[i + 1] = pd[i] + d[i]; pc[i + 1] = pc[i] + c[i]; }
  }

  struct Forced {
    std::vector<uint64_t> bits;                // the nodes forced to the cloud
    std::vector<double> d, c, pd, pc;          // the free nodes after v, by ratio
    double extra_cloud = 0;                    // load · Σ cloud_ms of the forced ones
    bool infeasible = false;
  };

  void computeForced(int v, const std::vector<int>& live, const std::string& key, Forced& f) const {
    f.bits.assign(words_, 0);
    for (size_t i = 0; i < live.size(); ++i)
      if (key[i] == 'C')
        for (int r : pr_.graph.tensors[live[i]].consumers)
          if (r > v)
            for (size_t w = 0; w < words_; ++w) f.bits[w] |= desc_[r * words_ + w];
    auto isForced = [&](int u) { return (f.bits[u / 64] >> (u % 64)) & 1; };
    for (int u : order_) {
      if (u <= v) continue;
      if (isForced(u)) f.extra_cloud += load_ * pr_.costs.cloud_ms[u];
      else { f.d.push_back(pr_.costs.device_ms[u]); f.c.push_back(load_ * pr_.costs.cloud_ms[u]); }
    }
    for (int u = v + 1; u < n_; ++u) f.infeasible = f.infeasible || (pr_.forced[u] == kDevice && isForced(u));
    prefix(f.d, f.c, f.pd, f.pc);
  }

  void rebuild(int v) {
    cached_ = v;
    forced_by_mask_.clear();
    base_d_.clear();
    base_c_.clear();
    for (int u : order_)
      if (u > v) { base_d_.push_back(pr_.costs.device_ms[u]); base_c_.push_back(load_ * pr_.costs.cloud_ms[u]); }
    prefix(base_d_, base_c_, base_pd_, base_pc_);
  }

  const LatencyProblem& pr_;
  double load_;
  int n_, cached_ = -2;
  std::vector<double> forced_dev_, forced_cloud_;
  std::vector<int> order_;
  std::vector<double> base_d_, base_c_, base_pd_, base_pc_;  // every node after v
  std::unordered_map<std::string, Forced> forced_by_mask_;  // this step's, by the live tensors made on the cloud
  const Forced* cur_ = nullptr;                             // the current frontier's (none: nothing forced)
  double extra_bytes_ = 0;
  size_t words_ = 0;
  std::vector<uint64_t> desc_;  // descendants' bitsets (itself included)
};

// Every plan that can beat `incumbents` at some x in [x_lo, x_hi], by the
// frontier DP of plan_enumeration.h with a bound: a partial plan is dropped
// when a lower bound of all its completions, max(A, B·x), is at least the
// incumbents' envelope at every x of the range (checked exactly, piece by
// piece: both sides are maxima of a constant and a line). A is StageBound's,
// B the bytes so far. So at every x the optimum is reached by an incumbent
// or a returned plan. Nullopt when the DP needs more than `comparisons`
// dominance tests or keeps more than kBoundedCap partial plans.
std::optional<std::vector<DeviceSet>> boundedPlans(const LatencyProblem& pr, const std::vector<DeviceSet>& incumbents,
                                                   double x_lo, double x_hi, long long comparisons) {
  const Envelope ub = lowerEnvelope(pr, incumbents, x_lo, x_hi);
  StageBound stage(pr);
  TableDp table;
  table.load = pr.net.load;
  table.frontier = [&](int v, const std::vector<int>& live, const std::string& key) { stage.frontier(v, live, key); };
  table.prune = [&](const Figures4& f, int v) {
    if (stage.infeasible()) return true;
    Curve lb;
    lb.a = stage.at(v, f.dev, f.cloud);
    double shared = f.up + stage.extraBytes();
    if (pr.net.down_mbps) lb.a = std::max(lb.a, transferMs(f.down, *pr.net.down_mbps));
    else shared = std::max(shared, f.down);
    lb.b = transferMs(shared, 1.0);
    for (const auto& piece : ub.pieces) {
      const Curve& c = ub.curves[piece.plan];
      double xs[4] = {piece.x0, piece.x1, lb.b > 0 ? lb.a / lb.b : piece.x0, c.b > 0 ? c.a / c.b : piece.x0};
      for (double x : xs)
        if (x >= piece.x0 && x <= piece.x1 && lb.at(x) < c.at(x)) return false;
    }
    return true;
  };
  auto front =
      paretoPlansByFrontier(pr.graph, pr.costs, pr.forced, pr.net.precision, kBoundedCap, &table, comparisons);
  if (!front) return std::nullopt;
  std::vector<DeviceSet> out;
  for (auto& e : *front) out.push_back(std::move(e.plan));
  return out;
}

// Proves the candidates' envelope optimal on [x_lo, x_hi] by branch and
// bound at its breakpoints. No plan beats the envelope E anywhere if none
// beats it at the ends of its pieces: inside a piece of plan Q, E(x) =
// max(A_Q, B_Q x), and a plan P beats it at x iff A_P < E(x) and
// B_P < E(x) / x; on the flat part that rectangle is largest at the piece's
// left end, on the rising part at its right end. The better plans a check
// finds join `plans` and the envelope is rebuilt (each is a new Pareto
// point, so this ends). A check that runs out of its round's cap is given
// up for the round and the others still run, so that every breakpoint gets
// the best bound the budget allows. True when every check of the final
// envelope is proven; `bound_at` holds the proven bounds (ms, by bandwidth)
// either way.
bool proveByBranchAndBound(const LatencyProblem& pr, std::vector<DeviceSet>& plans, std::map<DeviceSet, int>& seen,
                           double x_lo, double x_hi, long long budget, std::map<double, double>& bound_at) {
  std::set<double> proven;
  long long used = 0;
  // One search tree for every check (ThroughputChecks), with the fixings by
  // closures at the envelope's largest value in the range, its value at
  // x_hi (the least bandwidth): the envelope only falls as better plans
  // join it, so no check's incumbent rises above that limit.
  const Envelope first = lowerEnvelope(pr, plans, x_lo, x_hi);
  ThroughputChecks tree(pr, first.curves[first.pieces.back().plan].at(x_hi));
  // The breakpoints of the current envelope, with its plan there.
  auto checksOf = [&](const Envelope& env) {
    std::vector<std::pair<double, int>> checks;
    for (const auto& piece : env.pieces) checks.push_back({piece.x0, piece.plan});
    checks.push_back({env.pieces.back().x1, env.pieces.back().plan});
    // By increasing bandwidth: a check then reopens fewer of the tree's
    // leaves than in the envelope's order (1,000-node layered DAG, seed 2,
    // load 4: the table in 8.1 s instead of 9.4 s).
    std::sort(checks.begin(), checks.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    return checks;
  };
  // Rounds with a growing cap per check: the first gives every breakpoint
  // some bound cheaply, the later ones spend the budget on the hard ones.
  // Within a round, each pass checks every breakpoint of one envelope (so
  // the effort spreads over the whole range) and the next pass those of the
  // envelope with the better plans found.
  for (long long cap = std::max(budget / 64, 1LL);; cap *= 8) {
    std::set<double> given_up;
    for (bool improved = true; improved && used < budget;) {
      improved = false;
      const Envelope env = lowerEnvelope(pr, plans, x_lo, x_hi);
      for (const auto& [x, k] : checksOf(env)) {
        if (proven.count(x) || given_up.count(x)) continue;
        if (used >= budget) break;
        const double bw = 1.0 / x, e = env.curves[k].at(x);
        const auto known = bound_at.find(bw);
        const ProvenThroughput r = tree.check(bw, env.plans[k], known == bound_at.end() ? 0 : known->second,
                                              std::min(budget - used, cap));
        used += r.cuts;
        double& b = bound_at[bw];
        b = std::max(b, r.bound_ms);
        if (r.bottleneck_ms < e * (1 - kImprovement)) {
          for (const DeviceSet& d : r.front)
            if (seen.emplace(d, static_cast<int>(plans.size())).second) plans.push_back(d);
          improved = true;
        } else {
          (r.proven ? proven : given_up).insert(x);
        }
      }
    }
    bool complete = true;
    for (const auto& check : checksOf(lowerEnvelope(pr, plans, x_lo, x_hi))) complete = complete && proven.count(check.first);
    if (complete) return true;
    if (used >= budget || cap >= budget) return false;
  }
}

}  // namespace

std::vector<ThroughputBand> throughputBands(const LatencyProblem& pr_in, double min_mbps, double max_mbps,
                                            ThroughputMethod* method, ThroughputEffort effort) {
  std::optional<CutNetwork> own;
  const LatencyProblem pr = withCuts(pr_in, own);
  const double x_lo = 1.0 / max_mbps, x_hi = 1.0 / min_mbps;
  // Exact when the valid plans can be enumerated: the envelope over the
  // Pareto-optimal plans is the optimum at every bandwidth.
  std::vector<DeviceSet> plans;
  // Bands over an envelope proven optimal: the band's plan is optimal at
  // its top, that is the bound; ratio 1.
  const auto exactBands = [&] {
    if (method) *method = ThroughputMethod::exact;
    const Envelope env = lowerEnvelope(pr, plans, x_lo, x_hi);
    return assembleBands(env, min_mbps, max_mbps, [](double, double hi, const Curve& c) {
      return std::make_pair(fps(c.at(1.0 / hi)), 1.0);
    });
  };
  auto front = effort.enumeration_cap > 0
                   ? paretoPlans(pr.graph, pr.costs, pr.forced, pr.net.precision, effort.enumeration_cap)
                   : std::nullopt;
  if (front) {
    for (auto& e : *front) plans.push_back(std::move(e.plan));
    return exactBands();
  }

  // Otherwise: the Lagrangian search on a geometric grid gives candidates
  // and proven bounds; the envelope picks among the candidates.
  const std::vector<double> grid = geometricGrid(min_mbps, max_mbps);
  std::map<DeviceSet, int> seen;
  std::map<double, double> bound_at;  // bandwidth -> proven lower bound on OPT (ms)
  for (double bw : grid) {
    const ThroughputResult r = bestThroughputPlan(pr, bw);
    bound_at[bw] = r.bound_ms;
    if (seen.emplace(r.plan, static_cast<int>(plans.size())).second) plans.push_back(r.plan);
  }
  // Then the proof: first the frontier DP for this table, pruned by the
  // candidates' envelope, which finds every plan that can beat them; where
  // it runs out, branch and bound at the envelope's breakpoints, which also
  // finds better plans.
  const double size = pr.graph.num_nodes + pr.graph.tensors.size() + 1.0;
  const double scale = effort.budget_scale;
  const auto dp_comparisons =
      static_cast<long long>(scale * std::min(kBoundedComparisonsPerNode * pr.graph.num_nodes, kBoundedComparisonsMax));
  // The DP proves the table on [min_mbps, dp_top] (0: nowhere).
  double dp_top = 0;
  if (effort.frontier_dp && dp_comparisons > 0) {
    const auto proveUpTo = [&](double top) {
      auto better = boundedPlans(pr, plans, 1.0 / top, x_hi, dp_comparisons);
      if (!better) return false;
      for (auto& d : *better)
        if (seen.emplace(d, static_cast<int>(plans.size())).second) plans.push_back(std::move(d));
      return true;
    };
    if (proveUpTo(max_mbps)) return exactBands();
    // Where it can't prove the whole range, it may still prove the low
    // bandwidths, where plans keep most work on the device (and the
    // dominance leaves the cloud time out): the widest such range, by
    // bisection over log bandwidth; the branch and bound has the rest.
    double ok = std::log(min_mbps), fail = std::log(max_mbps);
    for (int i = 0; i < kDpRangeTries && min_mbps < max_mbps; ++i) {
      const double mid = (ok + fail) / 2;
      if (proveUpTo(std::exp(mid))) {
        ok = mid;
        dp_top = std::exp(mid);
      } else {
        fail = mid;
      }
    }
  }
  const double x_bnb_hi = dp_top > 0 ? 1.0 / dp_top : x_hi;  // the branch and bound's range: [x_lo, x_bnb_hi]
  long long bnb_cuts =
      effort.branch_and_bound_cuts >= 0
          ? effort.branch_and_bound_cuts
          : static_cast<long long>(scale * std::min(kBranchAndBoundWork / size, kBranchAndBoundWork3 / (size * size * size)));
  if (effort.branch_and_bound_cuts < 0 && bnb_cuts < kBranchAndBoundMinCuts) bnb_cuts = 0;
  if (bnb_cuts > 0 && proveByBranchAndBound(pr, plans, seen, x_lo, x_bnb_hi, bnb_cuts, bound_at)) return exactBands();
  if (method) *method = ThroughputMethod::lagrangian;
  const Envelope env = lowerEnvelope(pr, std::move(plans), x_lo, x_hi);
  // On the DP's range the envelope is the optimum: it is the bound at the
  // grid points and breakpoints there.
  if (dp_top > 0) {
    std::vector<double> exact_at = {dp_top};
    for (double g : grid) exact_at.push_back(g);
    for (const auto& piece : env.pieces) exact_at.insert(exact_at.end(), {1.0 / piece.x0, 1.0 / piece.x1});
    for (double b : exact_at)
      if (b >= min_mbps && b <= dp_top) {
        const double x = 1.0 / b;
        for (const auto& piece : env.pieces)
          if (piece.x0 <= x && x <= piece.x1) {
            double& beta = bound_at[b];
            beta = std::max(beta, env.curves[piece.plan].at(x));
          }
      }
  }
  // A bound β proven at bandwidth b' holds at every b <= b' (OPT only
  // improves with bandwidth), and β·b'/b holds at every b >= b' (a plan's
  // max(A, B/b) falls at most as fast as 1/b). The bound at b is the best of
  // these over the search's bounds (on the grid, and at band ends where no
  // other bound is known) and the branch and bound's (at the breakpoints it
  // checked): a band whose two ends are proven optimal gets ratio 1. The
  // ratio is taken at the band's ends and at the grid points and checked
  // points inside it.
  const std::map<double, double> proven_at = bound_at;
  auto boundAt = [&](double bw) {
    if (!bound_at.count(bw)) bound_at.emplace(bw, bestThroughputPlan(pr, bw).bound_ms);
    double ms = 0;
    for (const auto& [b, beta] : bound_at) ms = std::max(ms, b >= bw ? beta : beta * b / bw);
    return fps(ms);
  };
  return assembleBands(env, min_mbps, max_mbps, [&](double lo, double hi, const Curve& c) {
    // Inside the DP's range the band's plan is the optimum (as in exactBands).
    if (hi <= dp_top) return std::make_pair(fps(c.at(1.0 / hi)), 1.0);
    double ratio = 1.0;
    std::vector<double> samples = {lo, hi};
    for (double g : grid) if (g > lo && g < hi) samples.push_back(g);
    for (const auto& [b, beta] : proven_at) if (b > lo && b < hi) samples.push_back(b);
    for (double b : samples) ratio = std::min(ratio, fps(c.at(1.0 / b)) / boundAt(b));
    return std::make_pair(boundAt(hi), std::min(ratio, 1.0));
  });
}

}  // namespace onnxcut
