#include "calibrate.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

namespace onnxcut {
namespace {

// Parameters in log space: 8 class efficiencies, memory efficiency,
// overhead, scalar transcendental time, FLOP-equivalents per window.
constexpr int kParams = kOpClassCount + 4;
constexpr int kOverhead = kOpClassCount + 1, kTranscendental = kOpClassCount + 2, kWindow = kOpClassCount + 3;
constexpr int kSweeps = 60;
constexpr int kLineSteps = 40;
// Measurements below this are timer noise and are left out (ms).
constexpr double kMinMeasuredMs = 1e-4;
// Node weight ms^k (docs/profiles.md: chosen by leave-one-out error).
constexpr double kWeightExponent = 0.25;

struct Bounds { double lo, hi; };
Bounds boundsOf(int i) {
  if (i < kOpClassCount) return {std::log(1e-5), 0.0};   // efficiency in (1e-5, 1]
  if (i == kOpClassCount) return {std::log(1e-4), 0.0};  // memory efficiency
  if (i == kOverhead) return {std::log(1e-6), std::log(50.0)};  // ms
  if (i == kTranscendental) return {std::log(1e-4), std::log(1e4)};  // ns per call (GPUs ~1e-3)
  return {std::log(0.01), std::log(1000.0)};                           // FLOPs per window
}

void applyParams(HwProfile& p, const std::array<double, kParams>& x) {
  for (int c = 0; c < kOpClassCount; ++c) p.efficiency[c] = std::exp(x[c]);
  p.memory_efficiency = std::exp(x[kOpClassCount]);
  p.overhead_ms = std::exp(x[kOverhead]);
  p.transcendental_ns = std::exp(x[kTranscendental]);
  p.window_flops = std::exp(x[kWindow]);
}

}  // namespace

HwProfile calibrate(const HwProfile& base, const std::vector<Measured>& data) {
  HwProfile p = base;
  std::array<double, kParams> x{};
  for (int c = 0; c < kOpClassCount; ++c) x[c] = std::log(base.efficiency[c]);
  x[kOpClassCount] = std::log(base.memory_efficiency);
  x[kOverhead] = std::log(std::max(base.overhead_ms, 1e-6));
  x[kTranscendental] = std::log(base.transcendental_ns);
  x[kWindow] = std::log(base.window_flops);
  std::array<bool, kParams> used{};
  used[kOpClassCount] = used[kOverhead] = true;
  for (const auto& d : data)
    for (size_t v = 0; v < d.work.size(); ++v)
      if (d.ms[v] >= kMinMeasuredMs) {
        used[static_cast<int>(d.work[v].cls)] = true;
        if (d.work[v].transcendentals > 0) used[kTranscendental] = true;
        if (d.work[v].windows > 0) used[kWindow] = true;
      }
  auto loss = [&](const std::array<double, kParams>& y) {
    HwProfile q = p;
    applyParams(q, y);
    double l = 0;
    for (const auto& d : data)
      for (size_t v = 0; v < d.work.size(); ++v) {
        if (d.ms[v] < kMinMeasuredMs) continue;
        const double r = std::log(estimateMs(q, d.work[v])) - std::log(d.ms[v]);
        l += std::pow(d.ms[v], kWeightExponent) * r * r;
      }
    return l;
  };
  for (int sweep = 0; sweep < kSweeps; ++sweep) {
    for (int i = 0; i < kParams; ++i) {
      if (!used[i]) continue;
      // Golden-section search on parameter i (the loss is unimodal enough
      // along one coordinate for this to settle in a few sweeps).
      const Bounds b = boundsOf(i);
      double lo = b.lo, hi = b.hi;
      const double g = (std::sqrt(5.0) - 1) / 2;
      auto at = [&](double v) { auto y = x; y[i] = v; return loss(y); };
      double c = hi - g * (hi - lo), d = lo + g * (hi - lo), fc = at(c), fd = at(d);
      for (int k = 0; k < kLineSteps; ++k) {
        if (fc < fd) { hi = d; d = c; fd = fc; c = hi - g * (hi - lo); fc = at(c); }
        else { lo = c; c = d; fc = fd; d = lo + g * (hi - lo); fd = at(d); }
      }
      const double best = 0.5 * (lo + hi);
      if (at(best) < loss(x)) x[i] = best;
    }
  }
  applyParams(p, x);
  return p;
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> idx(v.size());
    std::iota(idx.begin(), idx.end(), 0);
    std::sort(idx.begin(), idx.end(), [&](size_t i, size_t j) { return v[i] < v[j]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < idx.size();) {
      size_t j = i;
      while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
      for (size_t k = i; k <= j; ++k) r[idx[k]] = 0.5 * (i + j) + 1;
      i = j + 1;
    }
    return r;
  };
  const auto ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / n, mb = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double cov = 0, va = 0, vb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    cov += (ra[i] - ma) * (rb[i] - mb);
    va += (ra[i] - ma) * (ra[i] - ma);
    vb += (rb[i] - mb) * (rb[i] - mb);
  }
  return va > 0 && vb > 0 ? cov / std::sqrt(va * vb) : 0;
}

}  // namespace onnxcut
