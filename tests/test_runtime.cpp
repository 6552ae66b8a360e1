// The runtime library (plan-table loading, selection, estimator, hysteresis)
// and the trace replay, on hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "errors.h"
#include "onnxcut_runtime.h"
#include "simulator.h"
#include "trace.h"

namespace onnxcut {
namespace {

using namespace runtime;

// Two plans: 0 all-device (10 ms), 1 all-cloud (1000 B up, 2 ms cloud).
// Latency: 10 vs 2 + 8/U  ->  breakpoint at U = 1 Mbit/s.
std::string tableJson(const std::string& bands = R"([{"min_mbps": 0.1, "max_mbps": 1.0, "plan": 0},
                                                     {"min_mbps": 1.0, "max_mbps": 100.0, "plan": 1}])",
                      const std::string& extra_tables = "") {
  return R"({"format": "onnxcut.plan-table", "version": 1,
    "network": {"rtt_ms": 0.0, "down_mbps": null},
    "plans": [
      {"id": 0, "precision": "fp32", "device_nodes": ["a", "b"], "cut": [], "device_ms": 10.0, "cloud_ms": 0.0,
       "up_bytes_fp32": 0, "down_bytes": 0, "head": "plans/0/head.onnx", "tail": null},
      {"id": 1, "precision": "fp32", "device_nodes": [], "cut": [], "device_ms": 0.0, "cloud_ms": 2.0,
       "up_bytes_fp32": 1000, "down_bytes": 0, "head": null, "tail": "plans/1/tail.onnx"}],
    "tables": [{"objective": "latency", "server_load": 1.0, "precision": "fp32", "bands": )" +
         bands + "}" + extra_tables + R"(],
    "baselines": {"device_only": {"fp32": 0}, "cloud_only": {"fp32": 1}, "chain_only": []}})";
}

TEST(PlanTableLoad, ReadsAValidTable) {
  const auto r = parsePlanTable(tableJson());
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value->plans.size(), 2u);
  EXPECT_EQ(r.value->plan(0).head, "plans/0/head.onnx");
  EXPECT_TRUE(r.value->plan(1).uses_cloud);
  EXPECT_FALSE(r.value->plan(0).uses_cloud);
}

void expectError(const std::string& json, const std::string& needle) {
  const auto r = parsePlanTable(json);
  ASSERT_FALSE(r.ok()) << "accepted: " << json;
  EXPECT_NE(r.error.find(needle), std::string::npos) << "expected '" << needle << "' in: " << r.error;
}

TEST(PlanTableLoad, EveryRuleIsChecked) {
  expectError("{not json", "not valid JSON");
  expectError(R"({"format": "other", "version": 1})", "not an onnxcut plan table");
  expectError(R"({"format": "onnxcut.plan-table", "version": 2})", "unsupported plan-table version");
  expectError(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 1.0, "plan": 0}, {"min_mbps": 2.0, "max_mbps": 100.0, "plan": 1}])"),
              "gap or overlap");
  expectError(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 1.0, "plan": 0}, {"min_mbps": 0.5, "max_mbps": 100.0, "plan": 1}])"),
              "gap or overlap");
  expectError(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 1.0, "plan": 0}, {"min_mbps": 1.0, "max_mbps": 100.0, "plan": 0}])"),
              "same plan as the band before");
  expectError(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 100.0, "plan": 7}])"), "plan 7 does not exist");
  expectError(tableJson(R"([{"min_mbps": 5.0, "max_mbps": 1.0, "plan": 0}])"), "0 < min_mbps < max_mbps");
  // JSON cannot encode inf or NaN; an overflowing literal is refused whole.
  expectError(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 1e999, "plan": 0}])"), "not valid JSON");
  expectError(tableJson(R"([])"), "'bands' is missing or empty");
  expectError(tableJson(R"([{"min_mbps": 0.1, "plan": 0}])"), "'max_mbps' is missing");
  auto wrong_precision = tableJson();
  wrong_precision.replace(wrong_precision.find(R"("precision": "fp32", "bands")"), 19, R"("precision": "int8")");
  expectError(wrong_precision, "plan 0 is fp32, the table is int8");
  auto negative = tableJson();
  negative.replace(negative.find(R"("device_ms": 10.0)"), 17, R"("device_ms": -1.0)");
  expectError(negative, "negative figure");
  EXPECT_FALSE(loadPlanTable("/nonexistent/plan-table.json").ok());
}

TEST(Select, PicksTheBandAndPredicts) {
  const auto t = *parsePlanTable(tableJson()).value;
  Query q;
  q.mbps = 0.5;
  auto s = select(t, q);
  ASSERT_TRUE(s.ok()) << s.error;
  EXPECT_EQ(s.value->plan, 0);
  EXPECT_DOUBLE_EQ(s.value->predicted.latency_ms, 10.0);
  q.mbps = 4;
  s = select(t, q);
  EXPECT_EQ(s.value->plan, 1);
  EXPECT_DOUBLE_EQ(s.value->predicted.latency_ms, 2.0 + 8.0 / 4);  // 8000 bits at 4 Mbit/s = 2 ms
  q.mbps = 1.0;  // a band [a, b) starts at a
  EXPECT_EQ(select(t, q).value->plan, 1);
  q.mbps = 1000;  // outside: clamped to the nearest band
  s = select(t, q);
  EXPECT_EQ(s.value->plan, 1);
  EXPECT_TRUE(s.value->bandwidth_clamped);
  q.mbps = -1;
  EXPECT_FALSE(select(t, q).ok());
  q.mbps = 1;
  q.precision = "int8";
  EXPECT_FALSE(select(t, q).ok());
}

TEST(Select, LoadsRoundUpAndHeavyModeNeedsAThroughputTable) {
  const std::string load3 = R"(, {"objective": "latency", "server_load": 3.0, "precision": "fp32",
      "bands": [{"min_mbps": 0.1, "max_mbps": 100.0, "plan": 0}]},
    {"objective": "throughput", "server_load": 1.0, "precision": "fp32",
      "bands": [{"min_mbps": 0.1, "max_mbps": 100.0, "plan": 1}]})";
  const auto t = *parsePlanTable(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 1.0, "plan": 0},
      {"min_mbps": 1.0, "max_mbps": 100.0, "plan": 1}])", load3)).value;
  Query q;
  q.mbps = 5;
  q.load = 1.5;  // between 1 and 3: the load-3 table (conservative)
  auto s = select(t, q);
  EXPECT_EQ(s.value->table_load, 3.0);
  EXPECT_EQ(s.value->plan, 0);
  q.load = 5;  // above every level: the highest, flagged
  s = select(t, q);
  EXPECT_TRUE(s.value->load_extrapolated);
  q.load = 1;
  q.fps = 50;  // latency plan 1 at 5 Mbit/s: upload 1.6 ms, cloud 2 ms -> 500 fps: light
  s = select(t, q);
  EXPECT_EQ(s.value->mode, "light");
  q.fps = 1000;  // not sustained: heavy, from the throughput table
  s = select(t, q);
  EXPECT_EQ(s.value->mode, "heavy");
  EXPECT_FALSE(s.value->keeps_up);
}

TEST(Estimator, HarmonicMeanAndEwma) {
  BandwidthEstimator h({BandwidthEstimator::Kind::harmonic, 2, 0.5});
  EXPECT_FALSE(h.mbps().has_value());
  h.addSample(1e6 / 8, 1.0);   // 1 Mbit/s
  h.addSample(3e6 / 8, 1.0);   // 3 Mbit/s
  EXPECT_NEAR(*h.mbps(), 2.0 / (1.0 + 1.0 / 3.0), 1e-12);
  h.addSample(3e6 / 8, 1.0);   // window 2: the 1 Mbit/s sample drops out
  EXPECT_NEAR(*h.mbps(), 3.0, 1e-12);
  h.addSample(0, 1.0);         // ignored
  h.addSample(5, 0);           // ignored
  EXPECT_NEAR(*h.mbps(), 3.0, 1e-12);
  BandwidthEstimator e({BandwidthEstimator::Kind::ewma, 5, 0.5});
  e.addSample(1e6 / 8, 1.0);
  e.addSample(3e6 / 8, 1.0);
  EXPECT_NEAR(*e.mbps(), 2.0, 1e-12);
}

TEST(Switcher, NeedsMarginAndPatience) {
  PlanSwitcher sw({0.1, 2});
  EXPECT_EQ(sw.decide(0, 10, 10), 0);   // first decision takes the candidate
  EXPECT_EQ(sw.decide(1, 9.5, 10), 0);  // 5% better: below the margin
  EXPECT_EQ(sw.decide(1, 8, 10), 0);    // 20% better, once
  EXPECT_EQ(sw.decide(1, 8, 10), 1);    // twice in a row: switch
  EXPECT_EQ(sw.switches(), 1);
  EXPECT_EQ(sw.decide(0, 5, 10), 1);
  EXPECT_EQ(sw.decide(2, 5, 10), 1);    // a different candidate restarts the streak
  EXPECT_EQ(sw.decide(2, 5, 10), 2);
}

// ---- traces ----

TEST(Trace, PensieveValuesEndTheirInterval) {
  const Trace t = parseTrace("0.0\t8\n1.0\t8\n3.0\t2\n", TraceFormat::pensieve, "t");
  EXPECT_DOUBLE_EQ(t.duration(), 3.0);
  EXPECT_DOUBLE_EQ(t.mbpsAt(0.5), 8);
  EXPECT_DOUBLE_EQ(t.mbpsAt(2.0), 2);
  // 8 Mbit from t=0.5: 4 Mbit by t=1 (at 8), then 4 Mbit at 2 Mbit/s -> t=3.
  EXPECT_NEAR(t.transferEnd(0.5, 8e6), 3.0, 1e-12);
  // The trace repeats: 1 Mbit from t=2.5 -> 1 Mbit done by t=3.0 (0.5 s at 2).
  EXPECT_NEAR(t.transferEnd(2.5, 1e6), 3.0, 1e-12);
  EXPECT_NEAR(t.transferEnd(2.5, 5e6), 3.5, 1e-12);
}

TEST(Trace, ZeroBandwidthIsWaitedOut) {
  const Trace t = parseTrace("time,mbps\n0,4\n1,0\n2,4\n", TraceFormat::csv, "t");  // sample and hold, 1 s each
  EXPECT_DOUBLE_EQ(t.duration(), 3.0);
  EXPECT_NEAR(t.transferEnd(0.5, 4e6), 2.5, 1e-12);  // 2 Mbit, a dead second, 2 Mbit
  EXPECT_THROW(parseTrace("time,mbps\n0,0\n1,0\n", TraceFormat::csv, "t"), InputError);
}

TEST(Trace, MahimahiOpportunitiesBecomeRates) {
  std::string text;
  for (int ms = 0; ms < 1000; ++ms) text += std::to_string(ms) + "\n";  // 1 packet/ms = 12 Mbit/s
  const Trace t = parseTrace(text, TraceFormat::mahimahi, "t");
  EXPECT_NEAR(t.meanMbps(), 12.0, 1e-9);
  EXPECT_NEAR(t.duration(), 1.0, 1e-12);
}

TEST(Trace, CsvUnitsFromTheHeader) {
  const Trace t = parseTrace("t_ms,throughput_kbps\n0,2000\n500,4000\n", TraceFormat::csv, "t");
  EXPECT_DOUBLE_EQ(t.mbpsAt(0.1), 2.0);
  EXPECT_DOUBLE_EQ(t.mbpsAt(0.6), 4.0);
}

void expectTraceError(const std::string& text, TraceFormat f, const std::string& needle) {
  try {
    parseTrace(text, f, "trace.txt");
    FAIL() << "accepted: " << text;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Trace, BadLinesAreNamed) {
  expectTraceError("0 1\n1 x\n", TraceFormat::pensieve, "line 2: bandwidth 'x' is not a number");
  expectTraceError("0 1\n1 2 3\n", TraceFormat::pensieve, "line 2: expected 'seconds Mbit/s'");
  expectTraceError("0 1\n1 -2\n", TraceFormat::pensieve, "line 2: negative bandwidth");
  expectTraceError("2 1\n1 2\n", TraceFormat::pensieve, "line 2: time goes back");
  expectTraceError("5\n3\n", TraceFormat::mahimahi, "line 2: timestamp goes back in time");
  expectTraceError("5\nabc\n", TraceFormat::mahimahi, "line 2: expected one timestamp");
  expectTraceError("a,b\n0,1\n", TraceFormat::csv, "line 1: the CSV header must name");
  expectTraceError("", TraceFormat::pensieve, "no samples");
}

// ---- simulator on hand-computed traces ----

TEST(Simulator, ConstantBandwidthMatchesTheCostModel) {
  const auto t = *parsePlanTable(tableJson()).value;
  const Trace tr = parseTrace("0 4\n100 4\n", TraceFormat::pensieve, "const");
  SimConfig cfg;
  cfg.frames = 20;
  const auto rs = simulate(t, tr, cfg);
  ASSERT_EQ(rs.size(), 5u);  // device, cloud, best-static, adaptive, oracle (no chain table)
  for (const auto& r : rs) {
    SCOPED_TRACE(r.name);
    if (r.name == "device-only") {
      EXPECT_NEAR(r.mean_ms, 10.0, 1e-9);
    } else {
      // At 4 Mbit/s the cloud plan wins: 2 ms + 8000 bits / 4 Mbit/s = 4 ms
      EXPECT_NEAR(r.mean_ms, 4.0, 1e-6);
    }
  }
}

TEST(Simulator, StepBandwidthAdaptsWithHysteresis) {
  // Cloud plan: 2 ms + 8/U ms = 2.5 ms at 16 Mbit/s, 34 ms at 0.25 Mbit/s;
  // device plan 10 ms. First 100 s fast, then 100 s slow.
  const auto t = *parsePlanTable(tableJson()).value;
  const Trace tr = parseTrace("0 16\n100 16\n200 0.25\n", TraceFormat::pensieve, "step");
  SimConfig cfg;
  cfg.fps = 1;  // one frame a second: 200 frames
  cfg.switcher.patience = 2;
  const auto rs = simulate(t, tr, cfg);
  const auto find = [&](const std::string& n) {
    const auto it = std::find_if(rs.begin(), rs.end(), [&](auto& r) { return r.name == n; });
    if (it == rs.end()) throw std::runtime_error("no policy " + n);
    return *it;
  };
  const auto ad = find("adaptive"), oracle = find("oracle"), dev = find("device-only"), cloud = find("cloud-only");
  EXPECT_EQ(ad.frames.size(), 200u);
  EXPECT_EQ(ad.frames[10].plan, 1);            // fast phase: cloud
  EXPECT_EQ(ad.frames.back().plan, 0);         // slow phase: back to the device
  EXPECT_EQ(ad.switches, 1);
  EXPECT_LT(ad.mean_ms, cloud.mean_ms);        // beats both fixed choices
  EXPECT_LT(ad.mean_ms, dev.mean_ms);
  EXPECT_LE(oracle.mean_ms, ad.mean_ms + 1e-9);
  EXPECT_GT(ad.bytes_sent, 0);
}

}  // namespace
}  // namespace onnxcut
