/* Loads a plan table through the C API, picks a plan at a few bandwidths,
 * prints what each sends, then drives the estimator and the switcher over
 * a made-up series of transfers.   c_consumer PLAN_TABLE.json */
#include <stdio.h>
#include <string.h>

#include "onnxcut_runtime_c.h"

int main(int argc, char** argv) {
  char err[512];
  if (argc != 2) {
    fprintf(stderr, "usage: c_consumer PLAN_TABLE.json\n");
    return 2;
  }
  if (onnxcut_table_load("/nonexistent/plan-table.json", err, sizeof err) != NULL || err[0] == '\0') {
    fprintf(stderr, "a missing file was not refused\n");
    return 1;
  }
  onnxcut_table* t = onnxcut_table_load(argv[1], err, sizeof err);
  if (!t) {
    fprintf(stderr, "c_consumer: %s\n", err);
    return 1;
  }
  printf("runtime %s, table version %d by onnxcut %s, %zu plans\n", onnxcut_runtime_version(),
         onnxcut_table_version(t), onnxcut_table_tool_version(t), onnxcut_plan_count(t));
  const double bands[] = {0.5, 5, 50, 500};
  for (size_t b = 0; b < sizeof bands / sizeof bands[0]; ++b) {
    onnxcut_query q = {bands[b], 1.0, NULL, NULL, 0};
    onnxcut_selection s;
    if (onnxcut_select(t, &q, &s, err, sizeof err) != 0) {
      fprintf(stderr, "select: %s\n", err);
      onnxcut_table_free(t);
      return 1;
    }
    printf("%g Mbit/s: plan %d (%s), %.3f ms predicted, head '%s' tail '%s'\n", bands[b], s.plan, s.mode,
           s.latency_ms, onnxcut_plan_head(t, s.plan), onnxcut_plan_tail(t, s.plan));
    const size_t n = onnxcut_plan_tensor_count(t, s.plan, ONNXCUT_WIRE);
    for (size_t i = 0; i < n; ++i) {
      onnxcut_tensor w;
      if (onnxcut_plan_tensor(t, s.plan, ONNXCUT_WIRE, i, &w) != 0) return 1;
      printf("  wire %s (%s of %s) %s, %lld bytes, rank %zu\n", w.name, w.encoding, w.tensor, w.dtype,
             (long long)w.bytes, w.rank);
    }
    for (int side = 0; side < 2; ++side)
      for (size_t i = 0; i < onnxcut_plan_output_count(t, s.plan, side); ++i)
        printf("  output %s from the %s\n", onnxcut_plan_output(t, s.plan, side, i), side ? "cloud" : "device");
  }
  onnxcut_query bad = {-1, 1.0, NULL, NULL, 0};
  onnxcut_selection s;
  if (onnxcut_select(t, &bad, &s, err, sizeof err) == 0 || strstr(err, "bandwidth") == NULL) {
    fprintf(stderr, "a negative bandwidth was not refused\n");
    return 1;
  }
  if (onnxcut_plan_head(t, -1) != NULL || onnxcut_plan_tensor_count(t, 1 << 30, ONNXCUT_WIRE) != 0) return 1;

  onnxcut_estimator* e = onnxcut_estimator_new(0, 5, 0.3);
  onnxcut_switcher* sw = onnxcut_switcher_new(0.1, 3);
  const double mbps_seen[] = {400, 400, 400, 2, 2, 2, 2, 2};
  int plan = -1;
  for (size_t k = 0; k < sizeof mbps_seen / sizeof mbps_seen[0]; ++k) {
    onnxcut_estimator_add(e, 125000.0, 125000.0 * 8 / (mbps_seen[k] * 1e6)); /* 125 kB at that rate */
    double est = 0;
    if (onnxcut_estimator_mbps(e, &est) != 0) return 1;
    onnxcut_query q = {est, 1.0, NULL, NULL, 0};
    onnxcut_selection cand;
    if (onnxcut_select(t, &q, &cand, err, sizeof err) != 0) return 1;
    double current_ms = cand.latency_ms;
    if (plan >= 0 && onnxcut_predict(t, plan, est, 1.0, &current_ms, NULL) != 0) return 1;
    plan = onnxcut_switcher_decide(sw, cand.plan, cand.latency_ms, current_ms);
    printf("transfer %zu: estimate %.1f Mbit/s, candidate %d, using %d\n", k, est, cand.plan, plan);
  }
  printf("switches: %d\n", onnxcut_switcher_switches(sw));
  onnxcut_switcher_free(sw);
  onnxcut_estimator_free(e);
  onnxcut_table_free(t);
  return 0;
}
