// Fits a hardware profile's efficiency parameters (per op class, memory
// efficiency, per-node overhead) to measured per-node times, keeping its
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

// Minimises sum_v ms_v * (log predicted_v - log ms_v)^2 (heavy nodes weigh
// more; errors are relative) by coordinate descent with golden-section line
// searches in log space. Classes no measured node uses keep their value.
HwProfile calibrate(const HwProfile& base, const std::vector<Measured>& data);

// Spearman rank correlation (average ranks for ties).
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace onnxcut
