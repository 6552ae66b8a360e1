#include "budgeted.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>

#include "planning.h"

namespace onnxcut {

std::vector<DeviceSet> widthCandidates(const PlanGraph& g, const NodeCosts& costs, const NodeKeys& keys,
                                       const PlanOptions& opt) {
  std::vector<DeviceSet> out;
  std::set<DeviceSet> seen;
  auto add = [&](const PlanSet& ps) {
    for (const auto& p : ps.plans)
      if (seen.insert(p.device).second) out.push_back(p.device);
  };
  // 32, 16, 8 bits cost what fp32, fp16 and int8 do: those tables exactly.
  PlanOptions o = opt;
  o.precisions = {Precision::fp32, Precision::fp16, Precision::int8};
  add(planTables(g, costs, keys, o));
  // 6, 4, 2: the cut tensors' sizes scaled (a graph output keeps its full
  // size, which it is sent down at).
  o.precisions = {Precision::fp32};
  for (int w : kTransferBits) {
    if (w >= 8) continue;
    PlanGraph gw = g;
    for (auto& t : gw.tensors)
      if (t.is_float32 && !t.is_output) t.bytes = sentBytesBits(t, w);
    add(planTables(gw, costs, keys, o));
  }
  return out;
}

std::vector<WidthChoice> widthFront(const std::vector<std::vector<double>>& bytes,
                                    const std::vector<std::vector<double>>& loss, double budget, size_t max_front) {
  if (bytes.size() != loss.size()) throw std::invalid_argument("widthFront: bytes and loss differ in length");
  std::vector<WidthChoice> front{WidthChoice{}};
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::vector<WidthChoice> next;
    for (const auto& p : front)
      for (size_t j = 0; j < bytes[i].size() && j < loss[i].size(); ++j) {
        const double l = p.predicted + loss[i][j];
        if (!(l <= budget)) continue;  // also drops infinities and NaN
        WidthChoice c = p;
        c.bits.push_back(kTransferBits[j]);
        c.bytes += bytes[i][j];
        c.predicted = l;
        next.push_back(std::move(c));
      }
    std::sort(next.begin(), next.end(), [](const WidthChoice& a, const WidthChoice& b) {
      return a.bytes != b.bytes ? a.bytes < b.bytes : a.predicted < b.predicted;
    });
    front.clear();
    for (auto& c : next)
      if (front.empty() || c.predicted < front.back().predicted) front.push_back(std::move(c));
    if (front.size() > max_front) {  // evenly thinned, both ends kept
      std::vector<WidthChoice> thin;
      for (size_t k = 0; k < max_front; ++k) thin.push_back(front[k * (front.size() - 1) / (max_front - 1)]);
      front = std::move(thin);
    }
    if (front.empty()) return {};
  }
  return front;
}

PlanFigures mixedFigures(const PlanGraph& g, const NodeCosts& c, const DeviceSet& d, const std::vector<int>& cut,
                         const std::vector<int>& bits) {
  PlanFigures f = planFigures(g, c, d, Precision::fp32);
  f.up_bytes = 0;
  for (size_t i = 0; i < cut.size(); ++i) f.up_bytes += sentBytesBits(g.tensors[cut[i]], bits.at(i));
  return f;
}

std::vector<IndexBand> envelopeBands(const std::vector<PlanFigures>& plans, Objective objective, double load,
                                     const PlanOptions& opt) {
  if (plans.empty()) return {};
  // Per plan, in x = 1 / uplink Mbit/s: latency a + b x; bottleneck max(c, m x).
  constexpr double kMsPerByteX = 8.0 / 1e6 * 1000.0;
  const size_t n = plans.size();
  std::vector<double> a(n), b(n), c(n), m(n);
  for (size_t i = 0; i < n; ++i) {
    const PlanFigures& f = plans[i];
    const double fixed_down = opt.down_mbps ? transferMs(f.down_bytes, *opt.down_mbps) : 0.0;
    const double tied_down = opt.down_mbps ? 0.0 : f.down_bytes;
    a[i] = f.device_ms + load * f.cloud_ms + fixed_down + (f.uses_cloud ? opt.rtt_ms : 0.0);
    b[i] = (f.up_bytes + tied_down) * kMsPerByteX;
    c[i] = std::max({f.device_ms, load * f.cloud_ms, fixed_down});
    m[i] = std::max(f.up_bytes, tied_down) * kMsPerByteX;
  }
  const double x_lo = 1.0 / opt.max_mbps, x_hi = 1.0 / opt.min_mbps;
  std::vector<double> xs = {x_lo, x_hi};
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      double x = std::numeric_limits<double>::quiet_NaN();
      if (objective == Objective::latency) {
        if (i < j && b[i] != b[j]) x = (a[j] - a[i]) / (b[i] - b[j]);
      } else if (m[j] > 0) {
        x = c[i] / m[j];
      }
      if (x > x_lo && x < x_hi) xs.push_back(x);
    }
  std::sort(xs.begin(), xs.end());
  xs.erase(std::unique(xs.begin(), xs.end()), xs.end());
  auto value = [&](size_t i, double x) {
    return objective == Objective::latency ? a[i] + b[i] * x : std::max(c[i], m[i] * x);
  };
  std::vector<IndexBand> out;  // built from high bandwidth (small x) down, then reversed
  for (size_t k = 0; k + 1 < xs.size(); ++k) {
    const double mid = 0.5 * (xs[k] + xs[k + 1]);
    size_t best = 0;
    for (size_t i = 1; i < n; ++i)
      if (value(i, mid) < value(best, mid)) best = i;
    const double hi_mbps = k == 0 ? opt.max_mbps : 1.0 / xs[k];
    const double lo_mbps = k + 2 == xs.size() ? opt.min_mbps : 1.0 / xs[k + 1];
    if (!out.empty() && out.back().plan == static_cast<int>(best)) out.back().min_mbps = lo_mbps;
    else out.push_back({lo_mbps, hi_mbps, static_cast<int>(best)});
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace onnxcut
