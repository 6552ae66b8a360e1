// Work per planning node: floating-point operations and bytes moved, for the
// ops real CNN and detector exports use, from the static shapes the model
// view resolved. Ops without a model get a conservative bytes-based estimate
// and are reported (modelled = false).
#pragma once
#include <string>
#include <vector>

#include "model_view.h"

namespace onnxcut {

enum class OpClass { conv, depthwise_conv, gemm, pool, norm, elementwise, data_movement, other };
const char* toString(OpClass c);
constexpr int kOpClassCount = 8;

struct NodeWork {
  double flops = 0;  // multiply and add counted separately (2 per MAC)
  double bytes = 0;  // inputs (weights included) + outputs
  OpClass cls = OpClass::other;
  bool modelled = true;
  // Scalar transcendental calls (pow with a general exponent) that kernels
  // do not vectorise: LRN's x·(k + α/n·Σx²)^-β, Pow with a tensor or
  // non-special exponent. Not part of flops.
  double transcendentals = 0;
  // Output windows of sliding-window per-channel ops (depthwise
  // convolutions, pooling): each costs the profile's window_flops on top of
  // its arithmetic (window set-up and a reduction that does not amortise
  // over output channels as a dense convolution's does).
  double windows = 0;
};

std::vector<NodeWork> analyzeNodes(const ModelView& mv);
// Op types that fell back to the conservative estimate, with counts.
std::vector<std::pair<std::string, int>> unmodelledOps(const ModelView& mv, const std::vector<NodeWork>& w);

}  // namespace onnxcut
