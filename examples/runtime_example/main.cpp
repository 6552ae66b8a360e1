// What a runtime does with a plan table: load it once, then for each frame
// feed the last transfer into the estimator, select a plan for the estimate,
// and let the switcher damp flapping.
//   runtime_example plan-table.json
#include <cstdio>

#include "onnxcut_runtime.h"

int main(int argc, char** argv) {
  if (argc != 2) { std::fprintf(stderr, "usage: runtime_example plan-table.json\n"); return 2; }
  const auto table = onnxcut::runtime::loadPlanTable(argv[1]);
  if (!table.ok()) { std::fprintf(stderr, "error: %s\n", table.error.c_str()); return 2; }
  onnxcut::runtime::BandwidthEstimator estimator;
  onnxcut::runtime::PlanSwitcher switcher;
  // Measured transfers: (bytes, seconds), as a network stack would report.
  const double transfers[][2] = {{125000, 1.0}, {125000, 0.5}, {1250000, 0.2}, {1250000, 0.1}, {1250000, 0.1}, {1250000, 0.1}};
  for (const auto& t : transfers) {
    estimator.addSample(t[0], t[1]);
    onnxcut::runtime::Query q;
    q.mbps = *estimator.mbps();
    const auto sel = onnxcut::runtime::select(*table.value, q);
    if (!sel.ok()) { std::fprintf(stderr, "error: %s\n", sel.error.c_str()); return 1; }
    const auto& cand = table.value->plan(sel.value->plan);
    const int cur = switcher.current().value_or(cand.id);
    const double cur_ms = onnxcut::runtime::predict(*table.value, table.value->plan(cur), q.mbps, 1).latency_ms;
    const int use = switcher.decide(cand.id, sel.value->predicted.latency_ms, cur_ms);
    std::printf("estimate %.2f Mbit/s -> table plan %d (%.2f ms), running plan %d\n", q.mbps, cand.id,
                sel.value->predicted.latency_ms, use);
  }
  std::printf("switches: %d\n", switcher.switches());
  return 0;
}
