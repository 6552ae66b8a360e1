// Minimum-latency plans: at one uplink bandwidth, and exactly over a range
// of bandwidths (the bands of a plan table).
#pragma once
#include <optional>
#include <vector>

#include "cost_model.h"
#include "cut_network.h"
#include "plan_graph.h"

namespace onnxcut {

struct LatencyProblem {
  const PlanGraph& graph;
  const NodeCosts& costs;
  const std::vector<signed char>& forced;  // from forcedSides
  Network net;                             // net.up_mbps is ignored
  // The flow network of (graph, costs, net.precision, forced), shared by
  // every solve of a table and across tables; built per call when null.
  const CutNetwork* cuts = nullptr;
};

// `pr` with its flow network: pr.cuts when set, else one built into `own`.
LatencyProblem withCuts(const LatencyProblem& pr, std::optional<CutNetwork>& own);

// The exact minimum-latency valid plan at uplink `up_mbps`: the min cut,
// compared with the all-device plan since the RTT is paid only when the
// cloud is used.
DeviceSet optimalLatencyPlan(const LatencyProblem& pr, double up_mbps);

struct Band {
  double min_mbps = 0, max_mbps = 0;
  DeviceSet plan;
};

// Bands over [min_mbps, max_mbps], increasing, no gap, no overlap, adjacent
// bands with different plans. Every plan's latency is affine in
// x = 1/bandwidth, so the optimum is the lower envelope of finitely many
// lines; its breakpoints are found exactly, by intersecting the lines of the
// optimal plans at both ends of an interval and solving at the intersection
// (Eisner-Severance): 2k-1 solves for k bands, no sampling.
std::vector<Band> latencyBands(const LatencyProblem& pr, double min_mbps, double max_mbps);

// Neurosurgeon's split points: prefixes of the topological order (the first
// k nodes on the device), the valid ones, for baselines.
std::vector<DeviceSet> chainPlans(const LatencyProblem& pr);
// The exact envelope restricted to chainPlans (empty when none is valid).
std::vector<Band> chainBands(const LatencyProblem& pr, double min_mbps, double max_mbps);

}  // namespace onnxcut
