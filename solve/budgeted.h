// Plans under a fidelity budget (docs/precision.md): each cut tensor gets its
// own width, the split and the widths chosen together. ONNX-free: the
// losses come in as numbers (measured by the fidelity stage).
#pragma once
#include <vector>

#include "cost_model.h"
#include "plan_graph.h"
#include "plan_set.h"

namespace onnxcut {

// The candidate splits: every plan of every table asked for (objectives x
// loads), planned as today with all cut tensors at one width w, for each w
// in kTransferBits (32, 16, 8: the fp32, fp16 and int8 tables themselves).
// These are the splits a uniform width makes optimal; a budget's mixed
// widths are searched on them. Distinct, in a fixed order; pins respected.
// Throws InputError as planTables does.
std::vector<DeviceSet> widthCandidates(const PlanGraph& g, const NodeCosts& costs, const NodeKeys& keys,
                                       const PlanOptions& opt);

// One width per tensor, with its bytes and the predicted loss (the sum of
// the tensors' own losses: first order, docs/precision.md).
struct WidthChoice {
  std::vector<int> bits;
  double bytes = 0, predicted = 0;
};

// Per tensor, per width of kTransferBits: bytes sent and loss when that
// tensor alone is reduced (infinity: not measured or not possible).
// Returns the Pareto front of (bytes, predicted loss) over all choices with
// predicted <= budget, fewest bytes first (so the first is the cheapest
// within the budget and later ones trade bytes for margin). Exact: a
// dominance DP over the tensors; at most max_front points kept per step
// (the cheapest and the safest always among them).
std::vector<WidthChoice> widthFront(const std::vector<std::vector<double>>& bytes,
                                    const std::vector<std::vector<double>>& loss, double budget,
                                    size_t max_front = 4096);

// Figures of a plan whose cut tensors travel at their own widths (`bits`
// parallel to cutTensors(g, d); non-float tensors as they are).
PlanFigures mixedFigures(const PlanGraph& g, const NodeCosts& c, const DeviceSet& d, const std::vector<int>& cut,
                         const std::vector<int>& bits);

// The best of a fixed list of plans over [min_mbps, max_mbps] for one
// objective and load: exact (every breakpoint of the lower envelope is
// found: latencies are lines in 1 / bandwidth, bottlenecks max(c, m / bw),
// so the winner can change only where two of them meet). Ties go to the
// lower index. Bands increasing, contiguous, adjacent plans distinct.
struct IndexBand {
  double min_mbps = 0, max_mbps = 0;
  int plan = 0;  // index into `plans`
};
std::vector<IndexBand> envelopeBands(const std::vector<PlanFigures>& plans, Objective objective, double load,
                                     const PlanOptions& opt);

}  // namespace onnxcut
