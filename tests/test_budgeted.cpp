// Budgeted (mixed-width) planning, ONNX-free parts (solve/budgeted.h),
// checked against brute force on seeded random instances.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "budgeted.h"
#include "planning.h"
#include "plan_graph.h"
#include "random_dag.h"

namespace onnxcut {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(WidthFront, CheapestWithinBudgetMatchesBruteForce) {
  std::mt19937 rng(11);
  int instances = 0;
  for (int it = 0; it < 400; ++it) {
    const size_t k = 1 + rng() % 4;
    std::vector<std::vector<double>> bytes(k), loss(k);
    for (size_t i = 0; i < k; ++i) {
      const double full = 100 + rng() % 1000;
      double l = 0;
      for (int w : kTransferBits) {
        bytes[i].push_back(std::ceil(full * w / 32));
        loss[i].push_back(w == 32 ? 0.0 : (rng() % 7 == 0 ? kInf : (l += (rng() % 100) / 1000.0)));
      }
    }
    const double budget = (rng() % 200) / 1000.0;
    const auto front = widthFront(bytes, loss, budget);
    // Brute force over 6^k choices.
    double best = kInf;
    size_t total = 1;
    for (size_t i = 0; i < k; ++i) total *= 6;
    std::vector<std::pair<double, double>> all;
    for (size_t code = 0; code < total; ++code) {
      double b = 0, l = 0;
      size_t c = code;
      for (size_t i = 0; i < k; ++i, c /= 6) b += bytes[i][c % 6], l += loss[i][c % 6];
      if (l <= budget) {
        best = std::min(best, b);
        all.push_back({b, l});
      }
    }
    ASSERT_FALSE(front.empty());  // all 32 bits is always within
    EXPECT_EQ(front.front().bytes, best);
    for (size_t j = 0; j < front.size(); ++j) {
      EXPECT_LE(front[j].predicted, budget);
      double b = 0, l = 0;
      for (size_t i = 0; i < k; ++i) {
        const size_t w = static_cast<size_t>(std::find(std::begin(kTransferBits), std::end(kTransferBits), front[j].bits[i]) -
                                             std::begin(kTransferBits));
        b += bytes[i][w], l += loss[i][w];
      }
      EXPECT_DOUBLE_EQ(b, front[j].bytes);
      EXPECT_NEAR(l, front[j].predicted, 1e-12);
      if (j) {  // a Pareto front: more bytes, strictly less loss
        EXPECT_GT(front[j].bytes, front[j - 1].bytes);
        EXPECT_LT(front[j].predicted, front[j - 1].predicted);
      }
      for (const auto& [ob, ol] : all) EXPECT_FALSE(ob < front[j].bytes && ol < front[j].predicted - 1e-12);
    }
    ++instances;
  }
  EXPECT_EQ(instances, 400);
}

double value(const PlanFigures& f, Objective o, double load, const PlanOptions& opt, double mbps) {
  Network net;
  net.up_mbps = mbps;
  net.down_mbps = opt.down_mbps;
  net.rtt_ms = opt.rtt_ms;
  net.load = load;
  const StageTimes s = stageTimes(f, net);
  return o == Objective::latency ? s.latency() : s.bottleneck();
}

TEST(EnvelopeBands, BestPlanEverywhereAgainstDenseSampling) {
  std::mt19937 rng(5);
  for (int it = 0; it < 300; ++it) {
    const size_t n = 1 + rng() % 8;
    std::vector<PlanFigures> plans(n);
    for (auto& f : plans) {
      f.device_ms = (rng() % 1000) / 10.0;
      f.cloud_ms = (rng() % 100) / 10.0;
      f.up_bytes = rng() % 3 == 0 ? 0.0 : static_cast<double>(rng() % 2000000);
      f.down_bytes = rng() % 5000;
      f.uses_cloud = f.cloud_ms > 0 || f.up_bytes > 0;
    }
    PlanOptions opt;
    opt.min_mbps = 0.1;
    opt.max_mbps = 1000;
    opt.rtt_ms = (rng() % 50);
    if (rng() % 2) opt.down_mbps = 1 + rng() % 100;
    const double load = 1 + (rng() % 4);
    for (Objective o : {Objective::latency, Objective::throughput}) {
      const auto bands = envelopeBands(plans, o, load, opt);
      ASSERT_FALSE(bands.empty());
      EXPECT_DOUBLE_EQ(bands.front().min_mbps, opt.min_mbps);
      EXPECT_DOUBLE_EQ(bands.back().max_mbps, opt.max_mbps);
      for (size_t b = 0; b < bands.size(); ++b) {
        if (b) {
          EXPECT_DOUBLE_EQ(bands[b].min_mbps, bands[b - 1].max_mbps);
          EXPECT_NE(bands[b].plan, bands[b - 1].plan);
        }
        EXPECT_LT(bands[b].min_mbps, bands[b].max_mbps);
        // Inside the band (log-spaced samples), no plan is better.
        for (int s = 1; s < 20; ++s) {
          const double mbps = bands[b].min_mbps * std::pow(bands[b].max_mbps / bands[b].min_mbps, s / 20.0);
          const double mine = value(plans[static_cast<size_t>(bands[b].plan)], o, load, opt, mbps);
          for (const auto& other : plans) EXPECT_LE(mine, value(other, o, load, opt, mbps) * (1 + 1e-9) + 1e-9);
        }
      }
    }
  }
}

TEST(WidthCandidates, HoldTheUniformWidthOptima) {
  // Every plan of a table at fp32, fp16 or int8 is among the candidates, on
  // seeded random DAGs.
  for (int seed = 1; seed <= 20; ++seed) {
    testing::RandomOptions ro;
    ro.pin_prob = 0;
    ro.min_nodes = 4;
    const testing::RandomCase d = testing::randomCase(static_cast<uint64_t>(seed), ro);
    PlanOptions opt;
    opt.objectives = {Objective::latency, Objective::throughput};
    const auto cands = widthCandidates(d.graph, d.costs, NodeKeys{}, opt);
    opt.precisions = {Precision::fp32, Precision::fp16, Precision::int8};
    const PlanSet ps = planTables(d.graph, d.costs, NodeKeys{}, opt);
    for (const auto& p : ps.plans)
      EXPECT_NE(std::find(cands.begin(), cands.end(), p.device), cands.end())
          << "seed " << seed << ": plan " << p.id << " (" << toString(p.precision) << ") missing";
    EXPECT_GE(cands.size(), 1u);
  }
}

TEST(MixedFigures, CountPackedBytes) {
  PlanGraph g;
  g.num_nodes = 2;
  g.tensors = {{-1, {0}, 4000, true, true, false}, {0, {1}, 4004, true, true, false}, {1, {}, 40, true, true, true}};
  const NodeCosts c{{1, 1}, {1, 1}};
  const DeviceSet d = {1, 0};
  EXPECT_DOUBLE_EQ(mixedFigures(g, c, d, {1}, {4}).up_bytes, 501);   // 1001 values, 2 per byte
  EXPECT_DOUBLE_EQ(mixedFigures(g, c, d, {1}, {6}).up_bytes, 753);   // 4 values in 3 bytes, padded
  EXPECT_DOUBLE_EQ(mixedFigures(g, c, d, {1}, {2}).up_bytes, 251);
  EXPECT_DOUBLE_EQ(mixedFigures(g, c, d, {1}, {16}).up_bytes, 2002);
  EXPECT_DOUBLE_EQ(mixedFigures(g, c, d, {1}, {32}).up_bytes, 4004);
  EXPECT_DOUBLE_EQ(mixedFigures(g, c, d, {1}, {8}).up_bytes, 1001);
}

}  // namespace
}  // namespace onnxcut
