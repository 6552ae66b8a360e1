// The runtime library (plan-table loading, selection, estimator, hysteresis)
// and the trace replay, on hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "errors.h"
#include "onnxcut_runtime.h"
#include "table_fixture.h"

namespace onnxcut {
namespace {

using namespace runtime;
using testing::tableJson;


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
  expectError(R"({"format": "onnxcut.plan-table", "version": 4})", "unsupported plan-table version");
  expectError(R"({"format": "onnxcut.plan-table", "version": 0})", "unsupported plan-table version");
  expectError(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 1.0, "plan": 0}, {"min_mbps": 2.0, "max_mbps": 100.0, "plan": 1}])"),
              "gap or overlap");
  expectError(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 1.0, "plan": 0}, {"min_mbps": 0.5, "max_mbps": 100.0, "plan": 1}])"),
              "gap or overlap");
  expectError(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 1.0, "plan": 0}, {"min_mbps": 1.0, "max_mbps": 100.0, "plan": 0}])"),
              "same plan as the band before");
  expectError(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 100.0, "plan": 7}])"), "'plan' is 7, not a whole number from 0 to 1 (no such plan)");
  expectError(tableJson(R"([{"min_mbps": 5.0, "max_mbps": 1.0, "plan": 0}])"), "0 < min_mbps < max_mbps");
  // JSON cannot encode inf or NaN; an overflowing literal is refused whole.
  expectError(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 1e999, "plan": 0}])"), "not valid JSON");
  expectError(tableJson(R"([])"), "'bands' is missing, empty");
  expectError(tableJson(R"([{"min_mbps": 0.1, "plan": 0}])"), "'max_mbps' is missing");
  auto wrong_precision = tableJson();
  wrong_precision.replace(wrong_precision.find(R"("precision": "fp32", "bands")"), 19, R"("precision": "int8")");
  expectError(wrong_precision, "plan 0 is fp32, the table is int8");
  auto negative = tableJson();
  negative.replace(negative.find(R"("device_ms": 10.0)"), 17, R"("device_ms": -1.0)");
  expectError(negative, "plan 0: 'device_ms' is negative (-1)");
  EXPECT_FALSE(loadPlanTable("/nonexistent/plan-table.json").ok());
}

// Hostile tables from a download: never a conversion out of range, never
// an exception, never a path that leaves the table's folder.
TEST(PlanTableLoad, HostileValuesAreRefusedByName) {
  auto with = [](const std::string& from, const std::string& to) {
    std::string j = tableJson();
    const size_t at = j.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return j.replace(at, from.size(), to);
  };
  const std::string band = R"([{"min_mbps": 0.1, "max_mbps": 100.0, "plan": )";
  expectError(tableJson(band + "1e300}]"), "'plan' is 1e+300, not a whole number");
  expectError(tableJson(band + "0.5}]"), "'plan' is 0.5, not a whole number");
  expectError(tableJson(band + "-1}]"), "'plan' is -1, not a whole number");
  expectError(with(R"("id": 0,)", R"("id": 1e300,)"), "plan 0: 'id' is 1e+300");
  expectError(with(R"("head": "plans/0/head.onnx")", R"("head": "../../etc/passwd")"), "'head' path '../../etc/passwd' is not a plain path");
  expectError(with(R"("head": "plans/0/head.onnx")", R"("head": "/etc/shadow")"), "'head' path '/etc/shadow'");
  expectError(with(R"("tail": "plans/1/tail.onnx")", R"("tail": "plans/../../x.onnx")"), "'tail' path 'plans/../../x.onnx'");
  expectError(with(R"("head": "plans/0/head.onnx")", R"("head": "")"), "'head' path ''");
  expectError(with(R"("head": "plans/0/head.onnx")", R"("head": 5)"), "'head' is missing or not a string");
  expectError(with(R"("rtt_ms": 0.0)", R"("rtt_ms": -3)"), "network: 'rtt_ms' is negative (-3)");
  expectError(with(R"("down_mbps": null)", R"("down_mbps": 0)"), "'down_mbps' must be positive");
  expectError(with(R"("up_bytes_fp32": 1000)", R"("up_bytes_fp32": -1000)"), "plan 1: 'up_bytes_fp32' is negative");
  expectError(with(R"("down_bytes": 0, "head": null)", R"("down_bytes": -5, "head": null)"), "'down_bytes' is negative");
  // Type mismatches are located messages, not library exceptions.
  expectError(with(R"("format": "onnxcut.plan-table")", R"("format": 7)"), "not an onnxcut plan table");
  expectError(with(R"("network": {"rtt_ms": 0.0, "down_mbps": null})", R"("network": "fast")"), "'network' is not an object");
  expectError(with(R"("device_nodes": ["a", "b"])", R"("device_nodes": ["a", 3])"), "'device_nodes' holds a non-string");
  expectError(with(R"("version": 1)", R"("version": 99999999999999999999)"), "unsupported plan-table version");
  expectError(with(R"("server_load": 1.0)", R"("server_load": "1")"), "'server_load' is missing or not a number");
  expectError(with(R"("server_load": 1.0)", R"("server_load": 0.5)"), "'server_load' is 0.5, below 1");
  expectError(with(R"("objective": "latency")", R"("objective": "speed")"), "unknown objective 'speed'");
  expectError(with(R"("cloud_only": {"fp32": 1})", R"("cloud_only": {"fp32": 1e300})"), "baselines.cloud_only: 'fp32' is 1e+300");
  expectError(R"({"format": "onnxcut.plan-table", "version": 1, "network": {"rtt_ms": 0}, "plans": {}, "tables": []})", "'plans' is missing");
  expectError(tableJson(R"([5])"), "'bands' holds something that is not an object");
  expectError(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 100.0, "plan": 0}])", ", 7"), "'tables' holds something that is not an object");
  expectError(std::string(200, '[') + std::string(200, ']'), "nested deeper than 64 levels");
}

// select() finds tables through an index; this is the definition it must
// match: the first table (file order) at the least tabulated load >= the
// query's, else the first at the highest load (extrapolated).
TEST(Select, IndexedLookupMatchesTheDefinition) {
  std::string tables;
  const double loads[] = {1, 2, 2, 4, 1.5, 4, 8, 1};
  const char* precisions[] = {"fp32", "int8"};
  for (int i = 0; i < 16; ++i) {
    const int plan = i % 2;
    // Each table's single band names its own plan pattern so tables differ.
    tables += std::string(R"(, {"objective": ")") + (i % 3 == 2 ? "throughput" : "latency") +
              R"(", "server_load": )" + std::to_string(loads[i % 8]) + R"(, "precision": "fp32", "bands": [)" +
              R"({"min_mbps": 0.1, "max_mbps": )" + std::to_string(1.0 + i) + R"(, "plan": )" + std::to_string(plan) +
              R"(}, {"min_mbps": )" + std::to_string(1.0 + i) + R"(, "max_mbps": 100.0, "plan": )" +
              std::to_string(1 - plan) + "}]}";
  }
  (void)precisions;
  const auto parsed = parsePlanTable(tableJson(R"([{"min_mbps": 0.1, "max_mbps": 100.0, "plan": 0}])", tables));
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  const PlanTable& t = *parsed.value;
  for (const char* objective : {"latency", "throughput"})
    for (double load : {1.0, 1.2, 1.5, 2.0, 3.0, 4.0, 7.0, 8.0, 9.0})
      for (double mbps : {0.5, 3.5, 9.5, 50.0}) {
        const Table* best = nullptr;
        const Table* highest = nullptr;
        for (const auto& tab : t.tables) {
          if (tab.objective != objective || tab.precision != "fp32") continue;
          if (!highest || tab.load > highest->load) highest = &tab;
          if (tab.load >= load - 1e-12 && (!best || tab.load < best->load)) best = &tab;
        }
        const Table* want = best ? best : highest;
        int want_plan = want->bands.front().plan;
        for (const auto& b : want->bands)
          if (b.min_mbps <= mbps) want_plan = b.plan;
        Query q;
        q.mbps = mbps;
        q.load = load;
        q.objective = objective;
        const auto s = select(t, q);
        ASSERT_TRUE(s.ok()) << s.error;
        EXPECT_EQ(s.value->plan, want_plan) << objective << " load " << load << " at " << mbps;
        EXPECT_EQ(s.value->table_load, want->load);
        EXPECT_EQ(s.value->load_extrapolated, best == nullptr);
        // A table list changed by hand is indexed again, not looked up stale.
        PlanTable copy = t;
        copy.tables.erase(copy.tables.begin());
        EXPECT_TRUE(select(copy, q).ok());
      }
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

}  // namespace
}  // namespace onnxcut

namespace onnxcut {
namespace {

// Version 3: mixed plans with widths and measured losses; select keeps to
// the runtime's budget across every table family.
std::string mixedTable(const std::string& bits = "4") {
  return R"({"format": "onnxcut.plan-table", "version": 3,
  "network": {"rtt_ms": 0, "down_mbps": null},
  "calibration": {"metric": "rel-l2"},
  "plans": [
    {"id": 0, "precision": "fp32", "device_nodes": ["a", "b"], "cut": [], "device_ms": 100, "cloud_ms": 0,
     "up_bytes_fp32": 0, "down_bytes": 0, "head": null, "tail": null, "loss": {"fit": 0, "held_out": 0}},
    {"id": 1, "precision": "int8", "device_nodes": ["a"], "cut": [{"tensor": "t", "shape": [1000], "dtype": "float32"}],
     "device_ms": 10, "cloud_ms": 1, "up_bytes_fp32": 4000, "up_bytes": 1000, "down_bytes": 0, "head": null, "tail": null,
     "loss": {"fit": 0.01, "held_out": 0.012}},
    {"id": 2, "precision": "mixed", "device_nodes": ["a"],
     "cut": [{"tensor": "t", "shape": [1000], "dtype": "float32", "bits": )" + bits + R"(}],
     "device_ms": 10, "cloud_ms": 1, "up_bytes_fp32": 4000, "up_bytes": 500, "down_bytes": 0, "head": null, "tail": null,
     "loss": {"fit": 0.04, "held_out": 0.05},
     "wire": [{"name": "t__p4", "tensor": "t", "encoding": "packed", "dtype": "uint8", "shape": [500], "bytes": 500, "bits": 4}]},
    {"id": 3, "precision": "mixed", "device_nodes": ["a", "b"], "cut": [], "device_ms": 100, "cloud_ms": 0,
     "up_bytes_fp32": 0, "up_bytes": 0, "down_bytes": 0, "head": null, "tail": null, "loss": {"fit": 0, "held_out": 0}}
  ],
  "tables": [
    {"objective": "latency", "server_load": 1, "precision": "fp32", "bands": [{"min_mbps": 0.01, "max_mbps": 1000, "plan": 0}]},
    {"objective": "latency", "server_load": 1, "precision": "int8", "bands": [{"min_mbps": 0.01, "max_mbps": 1000, "plan": 1}]},
    {"objective": "latency", "server_load": 1, "precision": "mixed", "max_loss": 0.001,
     "bands": [{"min_mbps": 0.01, "max_mbps": 1000, "plan": 3}]},
    {"objective": "latency", "server_load": 1, "precision": "mixed", "max_loss": 0.1,
     "bands": [{"min_mbps": 0.01, "max_mbps": 1000, "plan": 2}]}
  ]})";
}

TEST(PlanTableV3, ReadsWidthsLossesAndBudgets) {
  const auto r = parsePlanTable(mixedTable());
  ASSERT_TRUE(r.ok()) << r.error;
  const PlanTable& t = *r.value;
  EXPECT_EQ(t.version, 3);
  EXPECT_EQ(t.loss_metric, "rel-l2");
  EXPECT_EQ(t.plan(2).precision, "mixed");
  EXPECT_EQ(t.plan(2).cut.at(0).bits, 4);
  EXPECT_EQ(t.plan(2).wire.at(0).encoding, "packed");
  EXPECT_EQ(t.plan(2).wire.at(0).bytes, 500);
  ASSERT_TRUE(t.plan(1).loss);
  EXPECT_DOUBLE_EQ(t.plan(1).loss->worst(), 0.012);
  EXPECT_EQ(t.tables[3].max_loss, 0.1);
  EXPECT_DOUBLE_EQ(t.plan(2).up_bytes, 500);
  const auto bad = parsePlanTable(mixedTable("5"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("'bits' is not one of 32, 16, 8, 6, 4, 2"), std::string::npos) << bad.error;
}

TEST(PlanTableV3, SelectKeepsToTheBudget) {
  const PlanTable t = *parsePlanTable(mixedTable()).value;
  auto pick = [&](const std::string& precision, std::optional<double> max_loss) {
    Query q;
    q.mbps = 1;  // 1000 bytes: 8 ms; 500 bytes: 4 ms
    q.precision = precision;
    q.max_loss = max_loss;
    const auto s = select(t, q);
    return s.ok() ? s.value->plan : -1;
  };
  EXPECT_EQ(pick("auto", std::nullopt), 2);  // the fastest of all tables
  EXPECT_EQ(pick("auto", 0.1), 2);
  EXPECT_EQ(pick("auto", 0.02), 1);   // the mixed plan's 0.05 is over; int8's 0.012 is not
  EXPECT_EQ(pick("auto", 0.0), 0);    // only exact plans (fp32, or a measured 0)
  EXPECT_EQ(pick("mixed", 0.02), 3);  // the 0.001 table's plan
  EXPECT_EQ(pick("int8", 0.001), -1); // nothing within: an error, never a plan over budget
  EXPECT_EQ(pick("fp32", std::nullopt), 0);
  Query q;
  q.mbps = 1;
  q.max_loss = -1;
  EXPECT_FALSE(select(t, q).ok());
}

}  // namespace
}  // namespace onnxcut
