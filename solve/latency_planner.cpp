#include "latency_planner.h"

#include <algorithm>
#include <string>
#include <stdexcept>
#include <cmath>
#include <functional>
#include <optional>

#include "cut_network.h"
#include "pins.h"

namespace onnxcut {
namespace {

// Two lines whose values at a point differ by less than this (relative) are
// taken as equal: far above the min cut's integer rounding (2^-48 of the
// total), far below any difference a user can measure.
constexpr double kTieRelative = 1e-9;
// The envelope of k plans needs 2k-1 solves; recursion deeper than this
// means a bug, not a model.
constexpr int kMaxDepth = 200;

Line lineOf(const LatencyProblem& pr, const DeviceSet& d) {
  return latencyLine(planFigures(pr.graph, pr.costs, d, pr.net.precision), pr.net);
}

struct Segment {
  double x_lo, x_hi;  // x = 1 / Mbit/s
  DeviceSet plan;
};

using Solver = std::function<DeviceSet(double up_mbps)>;

class Envelope {
 public:
  Envelope(const LatencyProblem& pr, Solver solve) : pr_(pr), solve_(std::move(solve)) {}

  DeviceSet solveAtX(double x) const { return solve_(1.0 / x); }

  // Envelope between xl (plan pl optimal) and xr (plan pr optimal), appended
  // to out in increasing x.
  void between(double xl, const DeviceSet& pl, double xr, const DeviceSet& pr,
               std::vector<Segment>& out, int depth) const {
    if (pl == pr) { out.push_back({xl, xr, pl}); return; }
    const Line l = lineOf(pr_, pl), r = lineOf(pr_, pr);
    const double scale = std::max({1.0, std::abs(l.a), std::abs(r.a)});
    if (std::abs(l.b - r.b) * std::max(xl, xr) <= kTieRelative * scale || depth > kMaxDepth) {
      // Parallel (equal) lines: both optimal throughout; keep one.
      out.push_back({xl, xr, pl});
      return;
    }
    const double xs = std::clamp((r.a - l.a) / (l.b - r.b), xl, xr);
    const DeviceSet pm = solveAtX(xs);
    const double vm = lineOf(pr_, pm).a + lineOf(pr_, pm).b * xs;
    const double vl = l.a + l.b * xs;
    if (vm >= vl - kTieRelative * std::max(1.0, std::abs(vl))) {
      out.push_back({xl, xs, pl});
      out.push_back({xs, xr, pr});
      return;
    }
    between(xl, pl, xs, pm, out, depth + 1);
    between(xs, pm, xr, pr, out, depth + 1);
  }

 private:
  const LatencyProblem& pr_;
  Solver solve_;
};

}  // namespace

LatencyProblem withCuts(const LatencyProblem& pr, std::optional<CutNetwork>& own) {
  LatencyProblem with = pr;
  if (!with.cuts) with.cuts = &own.emplace(pr.graph, pr.costs, pr.net.precision, pr.forced);
  return with;
}

DeviceSet optimalLatencyPlan(const LatencyProblem& pr_in, double up_mbps) {
  std::optional<CutNetwork> own;
  const LatencyProblem pr = withCuts(pr_in, own);
  CutWeights w;
  w.device = 1;
  w.cloud = pr.net.load;
  w.up_per_byte = transferMs(1.0, up_mbps);
  w.down_per_byte = transferMs(1.0, pr.net.down_mbps ? *pr.net.down_mbps : up_mbps);
  DeviceSet best = pr.cuts->solve(w);
  const bool all_device_allowed =
      std::none_of(pr.forced.begin(), pr.forced.end(), [](signed char f) { return f == kCloud; });
  if (all_device_allowed && !std::all_of(best.begin(), best.end(), [](char c) { return c != 0; })) {
    const DeviceSet all_device(pr.graph.num_nodes, 1);
    if (isValidPlan(pr.graph, all_device) &&
        lineOf(pr, all_device).at(up_mbps) < lineOf(pr, best).at(up_mbps))
      best = all_device;
  }
  return best;
}

namespace {

std::vector<Band> envelopeBands(const LatencyProblem& pr, Solver solve, double min_mbps, double max_mbps) {
  const Envelope env(pr, std::move(solve));
  const double x_lo = 1.0 / max_mbps, x_hi = 1.0 / min_mbps;
  std::vector<Segment> segs;
  env.between(x_lo, env.solveAtX(x_lo), x_hi, env.solveAtX(x_hi), segs, 0);

  // Segments run in increasing x = decreasing bandwidth; bands run the other
  // way. Zero-width pieces and repeated neighbours are merged away.
  std::vector<Band> bands;
  for (auto it = segs.rbegin(); it != segs.rend(); ++it) {
    const double hi = it->x_lo <= x_lo ? max_mbps : 1.0 / it->x_lo;
    const double lo = bands.empty() ? min_mbps : bands.back().max_mbps;
    if (!bands.empty() && bands.back().plan == it->plan) {
      bands.back().max_mbps = std::max(bands.back().max_mbps, hi);
    } else if (hi > lo) {
      bands.push_back({lo, hi, it->plan});
    }
  }
  if (bands.empty()) throw std::logic_error("band assembly produced no band for [" + std::to_string(min_mbps) + ", " +
                                            std::to_string(max_mbps) + "] Mbit/s");
  bands.back().max_mbps = max_mbps;
  return bands;
}

}  // namespace

std::vector<Band> latencyBands(const LatencyProblem& pr, double min_mbps, double max_mbps) {
  std::optional<CutNetwork> own;
  const LatencyProblem with = withCuts(pr, own);
  return envelopeBands(with, [&](double up) { return optimalLatencyPlan(with, up); }, min_mbps, max_mbps);
}

namespace {

// Figures of every prefix plan (first k nodes on the device) in
// O(nodes + tensors): a tensor is sent for k in (producer, last reader], a
// graph output comes down for k <= its producer; difference arrays add them.
struct PrefixFigures {
  std::vector<PlanFigures> figures;  // index k = 0..n
  std::vector<char> valid;
};

PrefixFigures prefixFigures(const LatencyProblem& pr) {
  const PlanGraph& g = pr.graph;
  const int n = g.num_nodes;
  std::vector<double> up(n + 2, 0), up32(n + 2, 0), down(n + 2, 0);
  std::vector<int> bad(n + 2, 0);
  auto addRange = [](std::vector<double>& a, int lo, int hi, double v) {  // k in [lo, hi]
    if (lo > hi) return;
    a[lo] += v;
    a[hi + 1] -= v;
  };
  for (const auto& t : g.tensors) {
    const int first = t.producer + 1;  // inputs (producer -1): from k = 0
    if (!t.consumers.empty()) {
      const int last = t.consumers.back();
      if (t.size_known) {
        addRange(up, first, last, sentBytes(t, pr.net.precision));
        addRange(up32, first, last, t.bytes);
      } else if (first <= last) {
        ++bad[first];
        --bad[last + 1];
      }
    }
    if (t.is_output && t.producer >= 0) {
      if (t.size_known) addRange(down, 0, t.producer, t.bytes);
      else { ++bad[0]; --bad[t.producer + 1]; }
    }
  }
  for (int v = 0; v < n; ++v) {
    if (pr.forced[v] == kCloud) { ++bad[v + 1]; --bad[n + 1]; }  // k > v puts v on the device
    if (pr.forced[v] == kDevice) { ++bad[0]; --bad[v + 1]; }     // k <= v leaves it on the cloud
  }
  PrefixFigures out{std::vector<PlanFigures>(n + 1), std::vector<char>(n + 1)};
  double dev = 0, cloud = 0, u = 0, u32 = 0, dn = 0;
  int b = 0;
  for (int v = 0; v < n; ++v) cloud += pr.costs.cloud_ms[v];
  for (int k = 0; k <= n; ++k) {
    if (k > 0) { dev += pr.costs.device_ms[k - 1]; cloud -= pr.costs.cloud_ms[k - 1]; }
    u += up[k]; u32 += up32[k]; dn += down[k]; b += bad[k];
    out.figures[k] = {dev, std::max(cloud, 0.0), u, u32, dn, k < n};
    out.valid[k] = b == 0;
  }
  return out;
}

DeviceSet prefix(int n, int k) {
  DeviceSet d(n, 0);
  for (int v = 0; v < k; ++v) d[v] = 1;
  return d;
}

}  // namespace

std::vector<DeviceSet> chainPlans(const LatencyProblem& pr) {
  const PrefixFigures pf = prefixFigures(pr);
  std::vector<DeviceSet> out;
  for (int k = 0; k <= pr.graph.num_nodes; ++k)
    if (pf.valid[k]) out.push_back(prefix(pr.graph.num_nodes, k));
  return out;
}

std::vector<Band> chainBands(const LatencyProblem& pr, double min_mbps, double max_mbps) {
  const PrefixFigures pf = prefixFigures(pr);
  std::vector<std::pair<int, Line>> lines;
  for (int k = 0; k <= pr.graph.num_nodes; ++k)
    if (pf.valid[k]) lines.push_back({k, latencyLine(pf.figures[k], pr.net)});
  if (lines.empty()) return {};
  auto best = [&](double up) {
    size_t i = 0;
    for (size_t j = 1; j < lines.size(); ++j)
      if (lines[j].second.at(up) < lines[i].second.at(up)) i = j;
    return prefix(pr.graph.num_nodes, lines[i].first);
  };
  return envelopeBands(pr, best, min_mbps, max_mbps);
}

}  // namespace onnxcut
