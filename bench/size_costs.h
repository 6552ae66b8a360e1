// Costs for a real model without a profile, shared by the benchmarks.
#pragma once
#include "cost_model.h"
#include "model_view.h"

namespace onnxcut::bench {

// Costs for a real model without a profile (docs/benchmarks.md): device
// time grows with the bytes a node writes, the cloud is 30x faster.
inline NodeCosts sizeCosts(const ModelView& mv) {
  NodeCosts c;
  for (const auto& n : mv.nodes()) {
    double out = 0;
    for (int t : n.outputs) out += static_cast<double>(mv.tensors()[t].bytes.value_or(0));
    c.device_ms.push_back(0.02 + out / 2e5);
    c.cloud_ms.push_back(c.device_ms.back() / 30);
  }
  return c;
}

}  // namespace onnxcut::bench
