// What a plan request asks for (PlanOptions) and what planning returns
// (PlanSet: deduplicated plans and per-(objective, load, precision) band
// tables). Plain data, no solver and no ONNX: solvers fill it, artifacts
// write it, the CLI and the Python module show it.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cost_model.h"
#include "plan_graph.h"

namespace onnxcut {

// What a table optimises (cost-model.md "Objectives").
enum class Objective { latency, throughput };
const char* toString(Objective o);
// Throws InputError naming the allowed values.
Objective parseObjective(const std::string& s);

// The round-trip time assumed when none is given (docs/planner.md, "RTT"):
// a phone or camera on Wi-Fi or LTE reaching a cloud region in its own part
// of the world. 0 would make every cloud plan look better than it is.
constexpr double kDefaultRttMs = 20.0;

struct PlanOptions {
  std::vector<double> loads{1.0};
  std::vector<Precision> precisions{Precision::fp32};
  std::vector<Objective> objectives{Objective::latency};
  double min_mbps = 0.1, max_mbps = 1000;
  double rtt_ms = kDefaultRttMs;
  std::optional<double> down_mbps;
  std::vector<std::string> pin_device, pin_cloud;  // node keys
  // Multiplies the budgets of a throughput table's proof (branch and bound,
  // frontier DP; docs/throughput.md) where the plans can't be enumerated:
  // more proves larger graphs' tables, at proportionally more time; 0 only
  // searches (bounds still proven, ratio < 1 where not exact).
  double proof_effort = 1.0;
};

// The ranges every figure stays finite in (docs/reliability.md).
constexpr double kMinMbps = 1e-6;  // 1 bit/s
constexpr double kMaxMbps = 1e9;   // 1 Pbit/s
constexpr double kMaxMs = 1e9;     // per node cost and RTT: ~11.6 days
constexpr double kMaxLoad = 1e6;
constexpr double kMaxProofEffort = 1000;

// Throws InputError listing every bad option (named with optionRef).
void validateOptions(const PlanOptions& opt);
// Every cost finite, in [0, kMaxMs]; throws InputError naming the nodes.
void validateCosts(const NodeCosts& costs, int num_nodes, const NodeKeys& keys);

// A plan's measured fidelity (docs/precision.md): the mean loss on the
// calibration samples fitted on and on those held back.
struct PlanLoss {
  double fit = 0, held_out = 0;
  // fp32 plans: 0 by construction (a split at fp32 reproduces the model
  // bit-exactly), not run.
  bool by_construction = false;
};

struct PlannedPlan {
  int id = 0;
  Precision precision = Precision::fp32;
  DeviceSet device;
  PlanFigures figures;
  std::vector<int> cut;  // tensors sent up, in graph order
  std::vector<int> bits;  // mixed: the width of each cut tensor (kTransferBits)
  std::optional<PlanLoss> loss;  // when calibrated
};

struct PlannedBand {
  double min_mbps = 0, max_mbps = 0;
  int plan = 0;
  double latency_ms_at_min = 0, latency_ms_at_max = 0;
  // Throughput of the band's plan at min_mbps (the least in the band): for
  // latency tables it tells runtimes up to which frame rate the latency plan
  // keeps up (DADS Alg. 3, docs/throughput.md).
  double throughput_fps = 0;
  double throughput_fps_at_max = 0;
  // Throughput tables only: no plan exceeds bound_fps in the band, and the
  // band's plan reaches at least proven_ratio of the optimum everywhere in it.
  double bound_fps = 0;
  double proven_ratio = 0;
};

struct PlannedTable {
  Objective objective = Objective::latency;
  // "exact", "lagrangian" (throughput on large graphs), or "budgeted"
  // (mixed: exact over the candidate plans, docs/precision.md)
  std::string method;
  double load = 1;
  Precision precision = Precision::fp32;
  std::vector<PlannedBand> bands;
  std::optional<double> max_loss;  // mixed tables: the fidelity budget
};

// Fixed and restricted policies to compare against (plan-table extension
// "baselines"): per precision the all-device and all-cloud plans (when
// valid), and chain-only latency tables per (load, precision).
struct Baselines {
  std::map<std::string, int> device_only, cloud_only;
  std::vector<PlannedTable> chain_only;
};

struct PlanSet {
  std::vector<PlannedPlan> plans;
  std::vector<PlannedTable> tables;
  Baselines baselines;
};

// Tensors a plan sends up (device-made, read on the cloud), in graph order.
std::vector<int> cutTensors(const PlanGraph& g, const DeviceSet& d);

// The network of a table at uplink `up_mbps`.
Network tableNetwork(const PlanOptions& opt, const PlannedTable& t, double up_mbps);

}  // namespace onnxcut
