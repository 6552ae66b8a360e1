// Maximum pipelined throughput (DADS "DNN Surgery Heavy"): the valid plan
// minimising the bottleneck stage max(T_dev, T_up, T_cloud, T_down)
// (cost-model.md). NP-hard; the planner returns a good plan together with a
// proven bound on how far from optimal it can be.
#pragma once
#include <vector>

#include "cost_model.h"
#include "latency_planner.h"
#include "plan_graph.h"

namespace onnxcut {

struct ThroughputResult {
  DeviceSet plan;
  double bottleneck_ms = 0;  // of `plan`
  double bound_ms = 0;       // proven: no valid plan has a smaller bottleneck
};

// Lagrangian search at one uplink bandwidth: every stage weighting λ on the
// simplex gives min_P λ·T(P) <= OPT (one exact min cut), a lower bound; the
// cuts' plans, the latency-optimal plans, and local moves along the cut give
// the primal. Never worse than the latency-optimal plans (RTT or not).
ThroughputResult bestThroughputPlan(const LatencyProblem& pr, double up_mbps);

struct ThroughputBand {
  double min_mbps = 0, max_mbps = 0;
  DeviceSet plan;
  double throughput_fps = 0;         // of the plan at min_mbps: guaranteed in the band
  double throughput_fps_at_max = 0;  // of the plan at max_mbps
  double bound_fps = 0;              // no plan exceeds this anywhere in the band
  // plan / optimum: 1 when exact; else the least of plan/bound at the
  // band's ends and the grid points inside it.
  double proven_ratio = 0;
};

enum class ThroughputMethod { exact, lagrangian };
const char* toString(ThroughputMethod m);

// How hard throughputBands tries to prove its table (docs/throughput.md).
struct ThroughputEffort {
  // Enumerate the valid plans' Pareto front up to this many plans (0: never).
  long long enumeration_cap = 100000;
  // Branch and bound at the envelope's breakpoints (throughput_bnb.h), with
  // this many min cuts for the whole table; -1 sizes it from the graph
  // (throughput_planner.cpp, kBranchAndBoundWork), 0 turns it off.
  long long branch_and_bound_cuts = -1;
  // The frontier DP pruned by the candidates (plan_enumeration.h, TableDp),
  // before the branch and bound.
  bool frontier_dp = true;
  // Multiplies the budgets sized from the graph: the branch and bound's
  // cuts (when branch_and_bound_cuts is -1) and the frontier DP's dominance
  // tests; 0 runs neither. The user's --proof-effort.
  double budget_scale = 1;
  // Only the search (no proof attempted).
  static ThroughputEffort searchOnly() { return {0, 0, false}; }
};

// Bands over [min_mbps, max_mbps] (docs/throughput.md). Exact when the valid
// plans can be enumerated (plan_enumeration.h): the lower envelope of the
// Pareto-optimal plans' bottleneck curves max(A, B/U). Otherwise candidates
// come from bestThroughputPlan on a geometric grid and the envelope picks
// among them; it is proven optimal by the frontier DP, or else by branch and
// bound at its breakpoints, within `effort`. Else the bounds come from the
// searches and the branch and bound. `method` reports which.
std::vector<ThroughputBand> throughputBands(const LatencyProblem& pr, double min_mbps, double max_mbps,
                                            ThroughputMethod* method = nullptr, ThroughputEffort effort = {});

}  // namespace onnxcut
