// Trace replay (sim/simulator.h) on hand-computed traces against the
// two-plan table of table_fixture.h.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

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

}  // namespace
}  // namespace onnxcut
