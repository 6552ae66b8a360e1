// Trace-driven replay of a plan table, frame by frame (docs/simulate.md).
// Each policy runs on its own copy of the pipeline (device, uplink, cloud,
// downlink as queues) on the same trace; transfer times integrate the
// trace's actual bandwidth while the data is on the wire.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "onnxcut_runtime.h"
#include "trace.h"

namespace onnxcut {

// Caps (docs/reliability.md): replay work stays bounded whatever the trace.
constexpr int kMaxFrames = 1000000;
constexpr double kMaxFrameWork = 2e8;  // frames x plans replayed by best-static

struct SimConfig {
  double load = 1;
  std::string precision = "fp32";
  std::optional<double> fps;  // frame rate; none: one frame after another
  int frames = 0;             // 0: as many as one pass of the trace holds
  runtime::BandwidthEstimator::Config estimator;
  runtime::PlanSwitcher::Config switcher;
  double probe_bytes = 16000;  // measured when a plan sends nothing
  // The downlink's own trace (a Mahimahi up/down pair, say); null: the
  // table's fixed down_mbps, else the uplink trace. Not owned.
  const Trace* down_trace = nullptr;
  // With a frame rate: a frame that arrives while this many frames are
  // still in flight (admitted, not yet delivered) is dropped, as a camera
  // pipeline drops frames it cannot keep up with. 0: never drop.
  int max_in_flight = 8;
};

struct FrameRecord {
  double arrival_s = 0, true_mbps = 0, estimate_mbps = 0, latency_ms = 0;
  int plan = 0;
  bool dropped = false;  // never admitted (latency_ms 0, plan -1)
};

struct PolicyResult {
  std::string name;
  std::vector<FrameRecord> frames;
  // Latency figures are over delivered frames; throughput_fps is delivered
  // frames per second of the run.
  double mean_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0, throughput_fps = 0, bytes_sent = 0;
  int switches = 0, dropped = 0;
  double dropRate() const { return frames.empty() ? 0 : static_cast<double>(dropped) / frames.size(); }
};

// Throws InputError naming (with optionRef) every option out of range:
// load >= 1, fps > 0, frames 0..kMaxFrames, estimator window 1..10^6,
// EWMA alpha in (0, 1], switch margin in [0, 1), patience 1..10^6.
void validateSimConfig(const SimConfig& cfg);

// Policies: device-only, cloud-only, best-static (hindsight), chain-only
// (Neurosurgeon), adaptive (onnxcut: estimator + table + hysteresis), oracle
// (knows the trace: for each frame, the plan that delivers it first given the
// real transfer times and the queues as they stand). Throws InputError when the table lacks the
// precision or load asked for.
std::vector<PolicyResult> simulate(const runtime::PlanTable& table, const Trace& trace, const SimConfig& cfg);

// CI gates over a simulation's results (docs/simulate.md):
//   POLICY.METRIC OP VALUE  or  POLICY.METRIC OP [FACTOR*]POLICY.METRIC
// OP is one of > >= < <=; METRIC one of mean_ms p50_ms p95_ms p99_ms
// throughput_fps bytes_sent switches dropped drop_rate. A gate "fails" when
// its condition holds (--fail-if). Throws InputError naming a malformed
// gate, an unknown metric or a policy the results lack.
struct GateOutcome {
  std::string gate;
  bool failed = false;
  double lhs = 0, rhs = 0;
};
std::vector<GateOutcome> evaluateGates(const std::vector<PolicyResult>& results, const std::vector<std::string>& gates);

}  // namespace onnxcut
