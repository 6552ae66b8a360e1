// Exact maximum throughput at one uplink bandwidth, with proof: branch and
// bound over the nodes' sides, bounded by min-cut Lagrangian bounds
// (docs/throughput.md, "Branch and bound").
#pragma once
#include <memory>

#include "latency_planner.h"

namespace onnxcut {

struct ProvenThroughput {
  DeviceSet plan;            // the best plan found (never worse than the incumbent)
  double bottleneck_ms = 0;  // of `plan`
  // Proven: no valid plan has a smaller bottleneck. When `proven`, it is
  // bottleneck_ms less a relative 2e-9 (the pruning slack that covers the
  // min cut's rounding and exact ties).
  double bound_ms = 0;
  bool proven = false;  // the search finished within its budget
  long long nodes = 0;  // branch-and-bound nodes explored
  long long cuts = 0;   // min cuts solved
  // Every plan met that no other plan met beats at every bandwidth: the 2-D
  // Pareto front of (max(T_dev, T_cloud[, T_down]), bytes on the link) over
  // the cuts' plans (candidates for other bandwidths of a table).
  std::vector<DeviceSet> front;
};

// Starts from `incumbent` (a valid plan, e.g. the Lagrangian search's) and
// `root_bound_ms` (a proven lower bound, 0 if none). Stops after `cut_budget`
// min cuts; the bound is then the least of the open subproblems' bounds.
ProvenThroughput provenThroughputPlan(const LatencyProblem& pr, double up_mbps, const DeviceSet& incumbent,
                                      double root_bound_ms, long long cut_budget);

// The same for a series of bandwidths of one problem, keeping the search
// tree between checks: a check starts from the previous one's leaves,
// judged at its own bandwidth, instead of from the root (throughput_bnb.cpp,
// "A tree kept between checks"). The fixings by closures drop plans whose
// bottleneck reaches max(fixing_limit_ms, the incumbent's), so the tree
// serves while the incumbents stay below the least such limit used; a
// check above it starts from the root. A table passes its envelope's
// largest value (0: always the incumbent's, the tightest fixings). `pr`'s
// graph, costs and pins must outlive the object.
class ThroughputChecks {
 public:
  explicit ThroughputChecks(const LatencyProblem& pr, double fixing_limit_ms = 0);
  ~ThroughputChecks();
  ThroughputChecks(const ThroughputChecks&) = delete;
  ThroughputChecks& operator=(const ThroughputChecks&) = delete;
  ProvenThroughput check(double up_mbps, const DeviceSet& incumbent, double root_bound_ms, long long cut_budget);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onnxcut
