// The measured per-node costs file of ../shared/spec/cost-model.md:
//   node,device_ms,cloud_ms
// one row per node key. A missing node, an unknown node, a negative or
// non-finite value, a duplicate row or a bad header is an error naming the
// row; every problem is reported at once.
#pragma once
#include <string>
#include <vector>

#include "cost_model.h"

namespace onnxcut {

NodeCosts parseCostsCsv(const std::string& text, const std::string& label,
                        const NodeKeys& keys);
NodeCosts readCostsCsv(const std::string& path, const NodeKeys& keys);

}  // namespace onnxcut
