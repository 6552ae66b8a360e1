#include "latency_planner.h"

#include <algorithm>
#include <cmath>

#include "min_cut.h"
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

class Envelope {
 public:
  explicit Envelope(const LatencyProblem& pr) : pr_(pr) {}

  DeviceSet solveAtX(double x) const { return optimalLatencyPlan(pr_, 1.0 / x); }

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
};

}  // namespace

DeviceSet optimalLatencyPlan(const LatencyProblem& pr, double up_mbps) {
  CutWeights w;
  w.device = 1;
  w.cloud = pr.net.load;
  w.up_per_byte = transferMs(1.0, up_mbps);
  w.down_per_byte = transferMs(1.0, pr.net.down_mbps ? *pr.net.down_mbps : up_mbps);
  DeviceSet best = minCutPlan(pr.graph, pr.costs, pr.net.precision, w, pr.forced);
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

std::vector<Band> latencyBands(const LatencyProblem& pr, double min_mbps, double max_mbps) {
  const Envelope env(pr);
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
  bands.back().max_mbps = max_mbps;
  return bands;
}

}  // namespace onnxcut
