// Hardware profiles (profiles/*.json, schema in docs/profiles.md) and the
// roofline estimate of a node's time on them:
//   ms = max((flops + windows · window_flops) / (peak · efficiency[class]),
//            bytes / (bandwidth · memory_efficiency))
//        + transcendentals · transcendental_ns + overhead
#pragma once
#include <array>
#include <string>
#include <vector>

#include "analytic.h"
#include "cost_model.h"

namespace onnxcut {

// When a profile does not give transcendental_ns: ~50 cycles of a 2.5 GHz core.
constexpr double kDefaultTranscendentalNs = 20;
// When a profile does not give window_flops.
constexpr double kDefaultWindowFlops = 16;

struct HwProfile {
  std::string name, description, compute_precision;
  std::vector<std::string> sources;
  double peak_gflops = 0;  // at compute_precision
  double memory_gbps = 0;
  std::array<double, kOpClassCount> efficiency{};
  double memory_efficiency = 1;
  double overhead_ms = 0;
  // Time of one scalar (not vectorised) pow/exp-class library call, in ns:
  // the cost the roofline misses in kernels such as LRN (docs/profiles.md).
  double transcendental_ns = kDefaultTranscendentalNs;
  // FLOP-equivalents charged per output window of depthwise convolutions
  // and pooling (NodeWork::windows).
  double window_flops = kDefaultWindowFlops;
};

// Reads a profile file; every problem (missing or mistyped field, value out
// of range) is reported at once, naming the field. Throws InputError.
HwProfile readProfile(const std::string& path);
HwProfile parseProfile(const std::string& json_text, const std::string& label);
std::string profileJson(const HwProfile& p);  // the schema, for calibrate -o

// `name_or_path`: a file, or the name of a bundled profile (profiles/NAME.json).
std::string resolveProfilePath(const std::string& name_or_path);
// The names of the bundled profiles, sorted.
std::vector<std::string> bundledProfiles();

double estimateMs(const HwProfile& p, const NodeWork& w);
std::vector<double> estimateAll(const HwProfile& p, const std::vector<NodeWork>& w);

}  // namespace onnxcut
