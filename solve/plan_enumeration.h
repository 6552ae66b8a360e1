// The Pareto-optimal valid plans of a graph by dynamic programming over its
// topological order: a plan is a downset of the DAG (closed under
// producers); after deciding nodes 0..v-1, all that matters for the rest is
// the status of each live tensor (made on the cloud; made on the device and
// sent; made on the device, not yet sent). Among partial plans with the same
// statuses only those not dominated in (device_ms, cloud_ms, up_bytes,
// down_bytes, uses the cloud) are kept: future costs add the same to each.
// Real CNNs have at most a few live tensors at a time (ResNet-50: 241 valid
// plans in all). Where parallel branches multiply the front (YOLOX-Nano's
// heads: 25.5M valid plans), a caller's bound prunes partial plans that can't
// beat known ones (throughput_planner.cpp).
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cost_model.h"
#include "plan_graph.h"

namespace onnxcut {

struct Figures4 {
  double dev, cloud, up, down;
  bool uses_cloud;
};

// Drops a partial plan with these figures after deciding nodes 0..v: true
// when no completion of it can be needed. It must hold for every completion.
using PartialPrune = std::function<bool(const Figures4&, int v)>;

// One throughput table's DP (throughput_planner.cpp): only plans that can
// beat known ones matter, and only through max(T_dev, load·T_cloud, the
// transfer stages), at any bandwidth.
struct TableDp {
  PartialPrune prune;
  double load = 1;
  // Called with a frontier (after deciding node v: the live tensors and
  // their statuses, 'C' made on the cloud, 'U' made on the device and not
  // sent, 'S' sent) before `prune` is asked about partial plans with it.
  std::function<void(int v, const std::vector<int>& live, const std::string& key)> frontier;
};

struct EnumeratedPlan {
  DeviceSet plan;
  PlanFigures figures;
};

// The valid plans respecting `forced` that are Pareto-optimal in (device_ms,
// cloud_ms, up_bytes, down_bytes, uses the cloud) at precision p: every
// objective of the cost model that only adds these up is optimised by one of
// them. Visits every valid plan when there are at most `cap` (depth-first,
// figures kept incrementally; counting first is cheap), else the frontier DP
// below with `cap` partial plans. Empty optional when neither fits.
std::optional<std::vector<EnumeratedPlan>> paretoPlans(const PlanGraph& g, const NodeCosts& c,
                                                       const std::vector<signed char>& forced, Precision p,
                                                       long long cap);

// The same by the frontier DP alone. With `table`, enough plans for one
// throughput table instead: with the table's known plans, they reach the
// least bottleneck at every bandwidth. Partial plans `table->prune` drops
// are not kept; whether the cloud is used (the RTT) no longer separates
// plans, and the cloud time no longer does either where it can't be the
// bottleneck: a partial plan A beats B, whatever both go on to, when it is
// no worse in device time and bytes and either its cloud time is no larger
// or load·(its cloud time + all the undecided nodes' cloud time) is at
// most B's device time (B's bottleneck is then at least A's cloud stage).
// Empty past `cap` partial plans kept in all or `max_comparisons`
// dominance tests (< 0: no limit).
std::optional<std::vector<EnumeratedPlan>> paretoPlansByFrontier(const PlanGraph& g, const NodeCosts& c,
                                                                 const std::vector<signed char>& forced, Precision p,
                                                                 long long cap, const TableDp* table = nullptr,
                                                                 long long max_comparisons = -1);

// The downsets respecting `forced` (valid plans, and those that cut a tensor
// of unknown size), counted up to `cap`: min(count, cap + 1), by a DP over
// the frontier (the side of each live tensor's producer) with saturated
// counts, in about nodes × frontiers steps. Nullopt when there are more
// than `cap` frontiers (each holds a partial plan, which pins may leave
// without a completion). paretoPlans enumerates only when this is at most
// its cap; visiting the plans one by one to count them cost nodes × cap
// (0.5 s per table at 1,000 nodes).
std::optional<long long> countDownsets(const PlanGraph& g, const std::vector<signed char>& forced, long long cap);

// The cap the planner uses without a bound (all loads at once): ~0.1 s.
constexpr long long kEnumerationCap = 100000;

}  // namespace onnxcut
