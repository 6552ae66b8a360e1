// Exact minimum-cost valid plan for a weighted sum of the plan's stage costs,
// as a minimum s-t cut (DADS "DNN Surgery Light", Hu et al. INFOCOM 2019).
#pragma once
#include <vector>

#include "cost_model.h"
#include "plan_graph.h"

namespace onnxcut {

// The objective: device·Σ_D device_ms + cloud·Σ_C cloud_ms
//              + up_per_byte·up_bytes_p + down_per_byte·down_bytes.
// Latency at uplink U uses {1, load, 8e-3/U, 8e-3/down}.
struct CutWeights {
  double device = 1;
  double cloud = 1;
  double up_per_byte = 0;
  double down_per_byte = 0;
};

// The valid plan that respects `forced` (from forcedSides) and minimises the
// weighted objective. Among optimal plans it returns the one with the fewest
// device nodes. Weights must be finite and >= 0.
DeviceSet minCutPlan(const PlanGraph& g, const NodeCosts& costs, Precision p,
                     const CutWeights& w, const std::vector<signed char>& forced);

}  // namespace onnxcut
