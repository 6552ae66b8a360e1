// Fits a hardware profile's efficiency parameters (per op class, memory
// efficiency, per-node overhead, scalar transcendental time) to measured
// per-node times, keeping its
// peak compute and bandwidth: a few measured models then predict new ones.
#pragma once
#include <vector>

#include "analytic.h"
#include "hw_profile.h"

namespace onnxcut {

struct Measured {
  std::vector<NodeWork> work;
  std::vector<double> ms;  // same length
};

// Minimises sum_v ms_v^0.25 * (log predicted_v - log ms_v)^2 by coordinate
// descent with golden-section line searches in log space. Errors are
// relative; the weight lets heavy nodes count more without leaving the
// per-node overhead to a handful of them (docs/profiles.md). Classes no
// measured node uses keep their value, as do transcendental_ns and
// window_flops when no measured node makes such calls or has windows.
HwProfile calibrate(const HwProfile& base, const std::vector<Measured>& data);

// Spearman rank correlation (average ranks for ties).
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace onnxcut
