// Trace replay (sim/simulator.h) on hand-computed traces against the
// two-plan table of table_fixture.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include "errors.h"
#include "onnxcut_runtime.h"
#include "simulator.h"
#include "table_fixture.h"
#include "trace.h"

namespace onnxcut {
namespace {

using namespace runtime;
using testing::tableJson;

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

const PolicyResult& byName(const std::vector<PolicyResult>& rs, const std::string& n) {
  const auto it = std::find_if(rs.begin(), rs.end(), [&](auto& r) { return r.name == n; });
  if (it == rs.end()) throw std::runtime_error("no policy " + n);
  return *it;
}

TEST(Simulator, DownlinkTraceOfItsOwn) {
  // Plan 1 returns 1000 B; with the uplink at 4 Mbit/s and the downlink
  // trace at 1 Mbit/s: 2 ms up + 2 ms cloud + 8 ms down = 12 ms > 10 ms.
  auto json = tableJson();
  const std::string from = R"("up_bytes_fp32": 1000, "down_bytes": 0)";
  json.replace(json.find(from), from.size(), R"("up_bytes_fp32": 1000, "down_bytes": 1000)");
  const auto t = *parsePlanTable(json).value;
  const Trace up = parseTrace("0 4\n100 4\n", TraceFormat::pensieve, "up");
  const Trace down = parseTrace("0 1\n100 1\n", TraceFormat::pensieve, "down");
  SimConfig cfg;
  cfg.frames = 10;
  EXPECT_NEAR(byName(simulate(t, up, cfg), "cloud-only").mean_ms, 2 + 2 + 2, 1e-6);  // the uplink trace carries both ways
  cfg.down_trace = &down;
  const auto rs = simulate(t, up, cfg);
  EXPECT_NEAR(byName(rs, "cloud-only").mean_ms, 2 + 2 + 8, 1e-6);
  EXPECT_NEAR(byName(rs, "oracle").mean_ms, 10, 1e-6);  // the oracle sees the slow downlink and stays on the device
}

TEST(Simulator, BoundedQueueDropsFrames) {
  // 200 fps against a device plan of 10 ms (100 fps at most): without a
  // bound the queue and the latency grow without end; with 4 in flight
  // about half the frames are dropped and latency stays near 4 x 10 ms.
  const auto t = *parsePlanTable(tableJson()).value;
  const Trace slow = parseTrace("0 0.01\n100 0.01\n", TraceFormat::pensieve, "slow");  // cloud plan: 800 ms
  SimConfig cfg;
  cfg.fps = 200;
  cfg.frames = 2000;
  cfg.max_in_flight = 0;
  const auto unbounded = byName(simulate(t, slow, cfg), "device-only");
  EXPECT_EQ(unbounded.dropped, 0);
  EXPECT_GT(unbounded.p95_ms, 4000);  // 10 s of frames queued up at 5 ms each
  cfg.max_in_flight = 4;
  const auto rs = simulate(t, slow, cfg);
  const auto& dev = byName(rs, "device-only");
  EXPECT_NEAR(dev.dropRate(), 0.5, 0.01);
  EXPECT_LE(dev.p95_ms, 40 + 1e-6);
  EXPECT_NEAR(dev.throughput_fps, 100, 1);
  EXPECT_EQ(dev.frames.size(), 2000u);  // dropped frames are recorded, marked
  EXPECT_TRUE(std::any_of(dev.frames.begin(), dev.frames.end(), [](const FrameRecord& f) { return f.dropped; }));
  cfg.max_in_flight = -1;
  EXPECT_THROW(simulate(t, slow, cfg), InputError);
}

TEST(Simulator, OracleKnowsTheTrace) {
  // The bandwidth is high at a frame's start and collapses right after:
  // an oracle that reads the bandwidth at the start picks the cloud and
  // loses to the device; one that knows the trace never loses to a fixed plan
  // when frames do not queue (one frame every 2 s).
  const auto t = *parsePlanTable(tableJson()).value;
  // 64 Mbit/s for 50 us at every even second (3200 of the cloud plan's 8000
  // bits), then 0.05 Mbit/s: the cloud plan takes 2 + 96 ms.
  std::string text = "time,mbps\n";
  for (int s = 0; s < 200; s += 2) text += std::to_string(s) + ",64\n" + std::to_string(s) + ".00005,0.05\n";
  text += "200,64\n";
  const Trace tr = parseTrace(text, TraceFormat::csv, "collapse");
  SimConfig cfg;
  cfg.fps = 0.5;
  const auto rs = simulate(t, tr, cfg);
  const auto& oracle = byName(rs, "oracle");
  for (const auto& r : rs) EXPECT_LE(oracle.mean_ms, r.mean_ms + 1e-9) << r.name;
  EXPECT_NEAR(oracle.mean_ms, 10, 1e-6);  // device-only is the right answer here
  // Random traces, frames that never queue: per-frame best is the best.
  std::mt19937 rng(7);
  for (int k = 0; k < 30; ++k) {
    std::string txt;
    for (int s = 0; s <= 60; ++s) txt += std::to_string(s * 0.37) + " " + std::to_string(std::exp(std::uniform_real_distribution<>(-3, 3)(rng))) + "\n";
    const Trace rt = parseTrace(txt, TraceFormat::pensieve, "random");
    SimConfig c;
    c.fps = 0.05;  // 20 s apart; the slowest frame here takes < 3 s
    c.frames = 20;
    const auto r2 = simulate(t, rt, c);
    for (const auto& r : r2) EXPECT_LE(byName(r2, "oracle").mean_ms, r.mean_ms + 1e-9) << r.name << " trace " << k;
  }
}

TEST(Simulator, GatesFailWhenTheirConditionHolds) {
  std::vector<PolicyResult> rs(2);
  rs[0].name = "adaptive";
  rs[0].mean_ms = 11;
  rs[0].dropped = 1;
  rs[0].frames.resize(4);
  rs[1].name = "best-static";
  rs[1].mean_ms = 10;
  const auto g = evaluateGates(rs, {"adaptive.mean_ms>best-static.mean_ms", "adaptive.mean_ms > 1.2*best-static.mean_ms",
                                    "adaptive.drop_rate>=0.25", "adaptive.mean_ms<5"});
  ASSERT_EQ(g.size(), 4u);
  EXPECT_TRUE(g[0].failed);
  EXPECT_FALSE(g[1].failed);
  EXPECT_DOUBLE_EQ(g[1].rhs, 12);
  EXPECT_TRUE(g[2].failed);
  EXPECT_FALSE(g[3].failed);
  for (const std::string bad : {"adaptive.mean_ms", "adaptive.speed>1", "nobody.mean_ms>1", "adaptive.mean_ms>x*adaptive.mean_ms",
                                "mean_ms>1"})
    EXPECT_THROW(evaluateGates(rs, {bad}), InputError) << bad;
}

}  // namespace
}  // namespace onnxcut
