// Minimum-latency split as a minimum s-t cut (DADS, Hu et al., INFOCOM 2019),
// with the fixes the published construction needs.
//
// The network (source s = the device, sink t = the cloud); after the max
// flow the device set D is the source side of a minimum cut. Edges:
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
// How it is solved (docs/benchmarks.md has the measurements behind this):
// - The network is stored reversed (source = the cloud, sink = the device)
//   and solved in whichever orientation leaves less excess to push; either
//   way the result is the smallest optimal device set (push_relabel.h).
// - Forced nodes, and every vertex an infinite arc ties to them, are merged
//   into their terminal: their arcs to free vertices become terminal arcs,
//   so no infinite capacity ever enters a terminal arc.
// - The structure (compressed rows) is built once; a solve only recomputes
//   capacities. Capacities are scaled to integers (the finite total maps to
//   2^48) so that the flow is exact and no floating-point residue can move a
//   vertex to the wrong side; rounding changes an objective by < 2^-48 of
//   its total.
#include "cut_network.h"

#include <atomic>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>

#include "pins.h"
#include "push_relabel.h"

namespace onnxcut {
namespace {

constexpr double kFiniteScale = 281474976710656.0;  // 2^48
constexpr int64_t kInfinite = int64_t{1} << 56;
constexpr double kInf = -1.0;  // an infinite bytes coefficient
constexpr int kDeviceVertex = 0, kCloudVertex = 1;
// Work allowed to the first orientation tried, per vertex and arc: measured
// on whole 9-table plans of 100k-node graphs, 32 beat 8 (dense: 3.6 s vs
// 7.5 s) and 128 (layered: 7.8 s vs 10.0 s); docs/benchmarks.md.
constexpr long long kFirstBudgetPerArc = 32;
// Networks of at least this many vertices + arcs are solved both ways at
// once on two threads (a solve there takes milliseconds; a thread ~50 us).
constexpr long long kRaceSize = 200000;

// Two threads only where there are two cores; ONNXCUT_THREADS=1 forbids it.
bool raceAllowed() {
  static const bool allowed = [] {
    const char* env = std::getenv("ONNXCUT_THREADS");
    if (env && std::string(env) == "1") return false;
    return std::thread::hardware_concurrency() >= 2;
  }();
  return allowed;
}

[[noreturn]] void infeasible() { throw std::logic_error("min cut: forced sides admit no valid plan"); }

}  // namespace

CutNetwork::CutNetwork(const PlanGraph& g, const NodeCosts& costs, Precision p,
                       const std::vector<signed char>& forced)
    : num_nodes_(g.num_nodes), costs_(&costs), forced_(forced), down_bytes_(g.num_nodes, 0) {
  for (const auto& t : g.tensors)
    if (t.is_output && t.producer >= 0 && t.size_known) down_bytes_[t.producer] += t.bytes;
  addPairs(g, p);
  inf_ = std::make_shared<LazyArcs>();
  inc_ = std::make_shared<LazyIncidence>();
  closeSides();
  buildRows();
}

CutNetwork CutNetwork::withForced(const std::vector<signed char>& forced) const {
  CutNetwork n;
  n.num_nodes_ = num_nodes_;
  n.num_aux_ = num_aux_;
  n.costs_ = costs_;
  n.forced_ = forced;
  n.down_bytes_ = down_bytes_;
  n.pairs_ = pairs_;  // shared, not copied
  n.terminal_tied_ = terminal_tied_;
  n.inf_ = inf_;
  n.inc_ = inc_;
  n.closeSides();
  n.buildRows();
  return n;
}

// Pairs (a, b, cap a->b, cap b->a) in the reversed orientation.
void CutNetwork::addPairs(const PlanGraph& g, Precision p) {
  auto shared = std::make_shared<std::vector<Pair>>();
  std::vector<Pair>& pairs = *shared;
  // Reserved up front: growing by doubling copies the pairs and faults in
  // fresh pages each time.
  size_t count = 0;
  for (const auto& t : g.tensors) {
    const size_t k = t.consumers.size();
    count += !t.size_known || k <= 1 ? k : 1 + 2 * k;
  }
  pairs.reserve(count);
  for (const auto& t : g.tensors) {
    if (t.consumers.empty()) continue;
    const int u = t.producer < 0 ? kDeviceVertex : t.producer + 2;
    if (!t.size_known) {
      for (int c : t.consumers) pairs.push_back({c + 2, u, kInf, kInf});
      continue;
    }
    const double bytes = sentBytes(t, p);
    if (t.consumers.size() == 1) {
      pairs.push_back({t.consumers[0] + 2, u, bytes, kInf});
      continue;
    }
    const int x = 2 + num_nodes_ + num_aux_++;
    pairs.push_back({x, u, bytes, 0});
    for (int c : t.consumers) {
      pairs.push_back({c + 2, x, kInf, 0});
      pairs.push_back({u, c + 2, kInf, 0});
    }
  }
  // An infinite arc into the device or out of the cloud ties vertices to a
  // side whatever is forced.
  terminal_tied_ = false;
  for (const auto& pr : pairs)
    terminal_tied_ |= (pr.b == kDeviceVertex && pr.ab < 0) || (pr.a == kDeviceVertex && pr.ba < 0) ||
                      (pr.a == kCloudVertex && pr.ab < 0) || (pr.b == kCloudVertex && pr.ba < 0);
  pairs_ = std::move(shared);
}

// Per vertex, the pairs that touch it: built by the first network that
// needs them (one with few free vertices), once, for every network
// withForced makes from the same graph.
const CutNetwork::Incidence& CutNetwork::incidence() const {
  std::call_once(inc_->once, [&] {
    const int nv = vertexCount();
    Incidence& inc = inc_->rows;
    inc.first.assign(nv + 1, 0);
    for (const auto& pr : *pairs_) { ++inc.first[pr.a + 1]; ++inc.first[pr.b + 1]; }
    for (int v = 0; v < nv; ++v) inc.first[v + 1] += inc.first[v];
    inc.pair.resize(inc.first[nv]);
    std::vector<int> next(inc.first.begin(), inc.first.end() - 1);
    for (size_t i = 0; i < pairs_->size(); ++i) {
      const Pair& pr = (*pairs_)[i];
      inc.pair[next[pr.a]++] = static_cast<int>(i);
      inc.pair[next[pr.b]++] = static_cast<int>(i);
    }
  });
  return inc_->rows;
}

// The infinite arcs, out of and into each vertex, as compact rows: built by
// the first network that needs them, once, for every network withForced
// makes from the same graph (a branch and bound makes one per subproblem).
const CutNetwork::InfiniteArcs& CutNetwork::infiniteArcs() const {
  std::call_once(inf_->once, [&] { buildInfiniteArcs(inf_->rows); });
  return inf_->rows;
}

void CutNetwork::buildInfiniteArcs(InfiniteArcs& rows) const {
  const int nv = vertexCount();
  auto& [out_first, out_head, in_first, in_head] = rows;
  out_first.assign(nv + 1, 0);
  in_first.assign(nv + 1, 0);
  for (const auto& pr : *pairs_) {
    if (pr.ab < 0) { ++out_first[pr.a + 1]; ++in_first[pr.b + 1]; }
    if (pr.ba < 0) { ++out_first[pr.b + 1]; ++in_first[pr.a + 1]; }
  }
  for (int v = 0; v < nv; ++v) { out_first[v + 1] += out_first[v]; in_first[v + 1] += in_first[v]; }
  out_head.resize(out_first[nv]);
  in_head.resize(in_first[nv]);
  std::vector<int> on(out_first.begin(), out_first.end() - 1), in(in_first.begin(), in_first.end() - 1);
  for (const auto& pr : *pairs_) {
    if (pr.ab < 0) { out_head[on[pr.a]++] = pr.b; in_head[in[pr.b]++] = pr.a; }
    if (pr.ba < 0) { out_head[on[pr.b]++] = pr.a; in_head[in[pr.a]++] = pr.b; }
  }
}

// Sides every solve shares: the terminals, the forced nodes and whatever an
// infinite arc ties to them (an infinite arc a->b: a on the cloud puts b on
// the cloud, b on the device puts a on the device).
void CutNetwork::closeSides() {
  const int nv = vertexCount();
  side_.assign(nv, kFree);
  side_[kDeviceVertex] = kDevice;
  side_[kCloudVertex] = kCloud;
  bool seeded = terminal_tied_;
  for (int v = 0; v < num_nodes_; ++v) seeded |= (side_[v + 2] = forced_[v]) != kFree;
  if (!seeded) return;  // nothing is tied to a side: the arcs' rows are not needed
  const auto& [out_first, out_head, in_first, in_head] = infiniteArcs();
  std::vector<int> work;
  for (int v = 0; v < nv; ++v)
    if (side_[v] != kFree) work.push_back(v);
  auto set = [&](int v, signed char s) {
    if (side_[v] == s) return;
    if (side_[v] != kFree) infeasible();
    side_[v] = s;
    work.push_back(v);
  };
  while (!work.empty()) {
    const int v = work.back();
    work.pop_back();
    if (side_[v] == kCloud) for (int e = out_first[v]; e < out_first[v + 1]; ++e) set(out_head[e], kCloud);
    else for (int e = in_first[v]; e < in_first[v + 1]; ++e) set(in_head[e], kDevice);
  }
}

void CutNetwork::buildRows() {
  const int nv = vertexCount();
  index_.assign(nv, -1);
  for (int v = 0; v < nv; ++v)
    if (side_[v] == kFree) {
      index_[v] = static_cast<int>(free_vertex_.size());
      free_vertex_.push_back(v);
    }
  const int nf = static_cast<int>(free_vertex_.size());
  src_bytes_.assign(nf, 0);
  sink_bytes_.assign(nf, 0);
  first_.assign(nf + 1, 0);
  auto terminalArc = [&](int from, int to, double bytes) {  // one of them merged
    if (bytes == 0) return;
    if (side_[from] == kCloud && side_[to] == kDevice) {
      if (bytes < 0) infeasible();
      return;  // a constant of every plan
    }
    if (side_[from] == kCloud && index_[to] >= 0) {
      if (bytes < 0) infeasible();  // closeSides would have merged `to`
      src_bytes_[index_[to]] += bytes;
    } else if (side_[to] == kDevice && index_[from] >= 0) {
      if (bytes < 0) infeasible();
      sink_bytes_[index_[from]] += bytes;
    }  // arcs out of the sink side or into the source side never count
  };
  std::vector<const Pair*> inner;
  auto add = [&](const Pair& pr) {
    if (index_[pr.a] >= 0 && index_[pr.b] >= 0) {
      if (pr.ab == 0 && pr.ba == 0) return;
      ++first_[index_[pr.a] + 1];
      ++first_[index_[pr.b] + 1];
      inner.push_back(&pr);
    } else {
      terminalArc(pr.a, pr.b, pr.ab);
      terminalArc(pr.b, pr.a, pr.ba);
    }
  };
  if (2 * nf >= nv) {
    for (const auto& pr : *pairs_) add(pr);
  } else {
    // Mostly merged (a branch and bound's subproblem): only the pairs that
    // touch a free vertex, each once. Pairs between merged vertices are
    // constants of every plan, or, when infinite from the cloud side to the
    // device side, a contradiction closeSides has already reported.
    const Incidence& inc = incidence();
    for (int v : free_vertex_)
      for (int e = inc.first[v]; e < inc.first[v + 1]; ++e) {
        const Pair& pr = (*pairs_)[inc.pair[e]];
        const int other = pr.a == v ? pr.b : pr.a;
        if (index_[other] < 0 || v == pr.a) add(pr);
      }
  }
  for (int i = 0; i < nf; ++i) first_[i + 1] += first_[i];
  head_.resize(first_[nf]);
  rev_.resize(first_[nf]);
  arc_bytes_.resize(first_[nf]);
  std::vector<int> next(first_.begin(), first_.end() - 1);
  for (const Pair* pr : inner) {
    const int a = index_[pr->a], b = index_[pr->b];
    const int ea = next[a]++, eb = next[b]++;
    head_[ea] = b; rev_[ea] = eb; arc_bytes_[ea] = pr->ab;
    head_[eb] = a; rev_[eb] = ea; arc_bytes_[eb] = pr->ba;
  }
}

DeviceSet CutNetwork::solve(const CutWeights& w, Orientation o) const {
  if (!(std::isfinite(w.device) && std::isfinite(w.cloud) && std::isfinite(w.up_per_byte) &&
        std::isfinite(w.down_per_byte)) || w.device < 0 || w.cloud < 0 || w.up_per_byte < 0 || w.down_per_byte < 0)
    throw std::logic_error("min cut: weights must be finite and >= 0");
  const int nf = static_cast<int>(free_vertex_.size());
  std::vector<double> src(nf), sink(nf);
  double total = 0;
  for (int i = 0; i < nf; ++i) {
    const int v = free_vertex_[i] - 2;
    src[i] = w.up_per_byte * src_bytes_[i];
    sink[i] = w.up_per_byte * sink_bytes_[i];
    if (v >= 0 && v < num_nodes_) {
      src[i] += w.device * costs_->device_ms[v];
      sink[i] += w.cloud * costs_->cloud_ms[v] + w.down_per_byte * down_bytes_[v];
    }
    total += src[i] + sink[i];
  }
  for (double b : arc_bytes_)
    if (b > 0) total += w.up_per_byte * b;
  if (!std::isfinite(total))
    throw std::logic_error("min cut: a non-finite capacity (options and costs are validated into finite ranges)");
  const double scale = total > 0 ? kFiniteScale / total : 0.0;
  // c >= 0: rounding half up, inline (std::llround is a library call per arc).
  auto toInt = [&](double c) { return static_cast<int64_t>(c * scale + 0.5); };

  // Both orientations give the smallest device set (push_relabel.h), but
  // the first phase can take far longer one way than the other (excess
  // that can't reach the sink sloshes before it is found dead; 100x and
  // more, docs/benchmarks.md). Large networks run both at once; smaller
  // ones try the one with less initial excess first, within a work budget,
  // then alternate with doubling budgets, so a solve costs a small multiple
  // of the faster orientation.
  auto attempt = [&](bool from_device, long long budget,
                     const std::atomic<bool>* stop = nullptr) -> std::optional<std::vector<char>> {
    ResidualNetwork r;
    r.n = nf;
    r.first = first_;
    r.head = head_;
    r.rev = rev_;
    r.cap.resize(arc_bytes_.size());
    for (size_t a = 0; a < arc_bytes_.size(); ++a) {
      const double b = arc_bytes_[from_device ? rev_[a] : a];
      r.cap[a] = b < 0 ? kInfinite : toInt(w.up_per_byte * b);
    }
    r.excess.resize(nf);
    r.sink_cap.resize(nf);
    for (int i = 0; i < nf; ++i) {
      r.excess[i] = toInt(from_device ? sink[i] : src[i]);
      r.sink_cap[i] = toInt(from_device ? src[i] : sink[i]);
    }
    if (!maxPreflow(r, budget, stop)) return std::nullopt;
    return from_device ? reachableFromExcess(r) : reachesSink(r);
  };
  std::optional<std::vector<char>> on_device_side;
  const long long size = static_cast<long long>(nf) + static_cast<long long>(arc_bytes_.size());
  if (o != Orientation::automatic) {
    on_device_side = attempt(o == Orientation::from_device, -1);
  } else if (size >= kRaceSize && raceAllowed()) {
    // Large networks: both orientations at once on two threads, the first
    // to finish stops the other (same answer either way), so a solve takes
    // the faster one's time instead of a multiple of it.
    std::atomic<bool> stop{false};
    std::optional<std::vector<char>> from_device;
    std::exception_ptr error;
    std::thread other([&] {
      try {
        from_device = attempt(true, -1, &stop);
      } catch (...) {
        error = std::current_exception();
      }
      stop = true;
    });
    std::optional<std::vector<char>> from_cloud;
    try {
      from_cloud = attempt(false, -1, &stop);
    } catch (...) {
      stop = true;
      other.join();
      throw;
    }
    stop = true;
    other.join();
    if (from_cloud) on_device_side = std::move(from_cloud);
    else if (from_device) on_device_side = std::move(from_device);
    else if (error) std::rethrow_exception(error);
    else throw std::logic_error("min cut: neither orientation finished");
  } else {
    // First the orientation that leaves less excess once each vertex's own
    // source and sink arcs cancel: that excess is what must be pushed or
    // found dead (measured: the faster one in all 12 shape x regime cases
    // of the benchmark set at 10k nodes; docs/benchmarks.md).
    double excess_cloud = 0, excess_device = 0;
    for (int i = 0; i < nf; ++i) {
      excess_cloud += std::max(0.0, src[i] - sink[i]);
      excess_device += std::max(0.0, sink[i] - src[i]);
    }
    bool from_device = excess_device < excess_cloud;
    long long budget = kFirstBudgetPerArc * static_cast<long long>(nf + arc_bytes_.size());
    while (!(on_device_side = attempt(from_device, budget))) {
      from_device = !from_device;
      budget *= 2;
    }
  }

  DeviceSet d(num_nodes_);
  for (int v = 0; v < num_nodes_; ++v) {
    const int x = v + 2;
    d[v] = index_[x] >= 0 ? (*on_device_side)[index_[x]] : side_[x] == kDevice;
  }
  return d;
}

std::vector<NetworkArc> CutNetwork::arcs(const CutWeights& w) const {
  std::vector<NetworkArc> out;
  auto cap = [](double coef, double weight) { return coef < 0 ? -1.0 : weight * coef; };
  for (int v = 0; v < num_nodes_; ++v) {
    const double to_cloud = w.cloud * costs_->cloud_ms[v] + w.down_per_byte * down_bytes_[v];
    out.push_back({kDeviceVertex, v + 2, forced_[v] == kDevice ? -1.0 : to_cloud});
    out.push_back({v + 2, kCloudVertex, forced_[v] == kCloud ? -1.0 : w.device * costs_->device_ms[v]});
  }
  // Pairs are stored reversed: a->b here is b->a in the device-source network.
  for (const auto& pr : *pairs_) {
    if (pr.ab != 0) out.push_back({pr.b, pr.a, cap(pr.ab, w.up_per_byte)});
    if (pr.ba != 0) out.push_back({pr.a, pr.b, cap(pr.ba, w.up_per_byte)});
  }
  return out;
}

DeviceSet minCutPlan(const PlanGraph& g, const NodeCosts& costs, Precision p,
                     const CutWeights& w, const std::vector<signed char>& forced) {
  return CutNetwork(g, costs, p, forced).solve(w);
}

}  // namespace onnxcut
