// The split cost model of ../shared/spec/cost-model.md, evaluated for one
// plan. This is the reference every solver and test is checked against.
#pragma once
#include <optional>
#include <vector>

#include "plan_graph.h"

namespace onnxcut {

struct NodeCosts {
  std::vector<double> device_ms;  // per node, >= 0
  std::vector<double> cloud_ms;   // per node at server load 1, >= 0
};

struct Network {
  double up_mbps = 10;
  std::optional<double> down_mbps;  // empty: downlink equals uplink
  double rtt_ms = 0;
  double load = 1;
  Precision precision = Precision::fp32;

  double downMbps() const { return down_mbps ? *down_mbps : up_mbps; }
};

// Bandwidth-independent figures of a plan at one precision.
struct PlanFigures {
  double device_ms = 0;      // sum over D of device_ms
  double cloud_ms = 0;       // sum over C of cloud_ms, at load 1
  double up_bytes = 0;       // sent, at the precision
  double up_bytes_fp32 = 0;  // the same tensors at full precision
  double down_bytes = 0;     // graph outputs produced on the cloud
  bool uses_cloud = false;   // C non-empty (pays the RTT)
};

struct StageTimes {
  double dev = 0, up = 0, cloud = 0, down = 0, rtt = 0;
  double latency() const { return dev + up + cloud + down + rtt; }
  double bottleneck() const;
  double throughputFps() const;  // 1000 / bottleneck (inf when all are 0)
};

// Milliseconds to send `bytes` at `mbps` Mbit/s.
inline double transferMs(double bytes, double mbps) { return bytes * 8.0 / (mbps * 1e6) * 1000.0; }

// Data goes up once and never comes back down; tensors of unknown size are
// never cut, and a graph output of unknown size is produced on the device.
bool isValidPlan(const PlanGraph& g, const DeviceSet& on_device);

PlanFigures planFigures(const PlanGraph& g, const NodeCosts& c, const DeviceSet& on_device,
                        Precision p);
StageTimes stageTimes(const PlanFigures& f, const Network& net);

// Latency as an affine function of x = 1 / uplink Mbit/s: a + b * x.
struct Line {
  double a = 0, b = 0;
  double at(double up_mbps) const { return a + b / up_mbps; }
};
Line latencyLine(const PlanFigures& f, const Network& net);  // ignores net.up_mbps

}  // namespace onnxcut
