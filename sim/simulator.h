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
};

struct FrameRecord {
  double arrival_s = 0, true_mbps = 0, estimate_mbps = 0, latency_ms = 0;
  int plan = 0;
};

struct PolicyResult {
  std::string name;
  std::vector<FrameRecord> frames;
  double mean_ms = 0, p50_ms = 0, p95_ms = 0, throughput_fps = 0, bytes_sent = 0;
  int switches = 0;
};

// Throws InputError naming (with optionRef) every option out of range:
// load >= 1, fps > 0, frames 0..kMaxFrames, estimator window 1..10^6,
// EWMA alpha in (0, 1], switch margin in [0, 1), patience 1..10^6.
void validateSimConfig(const SimConfig& cfg);

// Policies: device-only, cloud-only, best-static (hindsight), chain-only
// (Neurosurgeon), adaptive (onnxcut: estimator + table + hysteresis), oracle
// (table at the true bandwidth). Throws InputError when the table lacks the
// precision or load asked for.
std::vector<PolicyResult> simulate(const runtime::PlanTable& table, const Trace& trace, const SimConfig& cfg);

}  // namespace onnxcut
