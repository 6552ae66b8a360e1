// The min cut and the bands against brute force over every valid plan, on
// seeded random DAGs (fan-out, merges, multi-output nodes, pins, tensors of
// unknown size, RTT, loads, precisions). Every failure names its seed.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "boost_peers.h"
#include "errors.h"
#include "latency_planner.h"
#include "cut_network.h"
#include "pins.h"
#include "random_dag.h"
#include "synthetic_dags.h"

namespace onnxcut {
namespace {

using testing::bruteForceMin;
using testing::RandomCase;
using testing::randomCase;
using testing::RandomOptions;

std::vector<signed char> rawPins(const RandomCase& rc) {
  std::vector<signed char> f(rc.graph.num_nodes, kFree);
  for (int v : rc.pins.device) f[v] = kDevice;
  for (int v : rc.pins.cloud) f[v] = f[v] == kDevice ? kFree - 1 : kCloud;  // both: impossible
  return f;
}

double latencyOf(const RandomCase& rc, const DeviceSet& d, double up) {
  Network net = rc.net;
  net.up_mbps = up;
  return stageTimes(planFigures(rc.graph, rc.costs, d, net.precision), net).latency();
}

bool close(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b)); }

// Runs the min cut on one case; returns false when the pins were impossible
// (and checks that brute force agrees no plan exists).
void checkCase(uint64_t seed, const RandomOptions& opt) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  const RandomCase rc = randomCase(seed, opt);
  const auto raw = rawPins(rc);
  const double brute = bruteForceMin(rc.graph, raw, [&](const DeviceSet& d) {
    return latencyOf(rc, d, rc.net.up_mbps);
  });
  std::vector<signed char> forced;
  try {
    forced = forcedSides(rc.graph, rc.pins, {});
  } catch (const InputError&) {
    EXPECT_TRUE(std::isinf(brute)) << "pins reported impossible, but a valid plan exists";
    return;
  }
  ASSERT_FALSE(std::isinf(brute)) << "pins accepted, but no valid plan exists";
  const LatencyProblem pr{rc.graph, rc.costs, forced, rc.net};
  const DeviceSet plan = optimalLatencyPlan(pr, rc.net.up_mbps);
  EXPECT_TRUE(isValidPlan(rc.graph, plan));
  EXPECT_TRUE(respectsForced(plan, forced));
  for (int v : rc.pins.device) EXPECT_TRUE(plan[v]);
  for (int v : rc.pins.cloud) EXPECT_FALSE(plan[v]);
  const double got = latencyOf(rc, plan, rc.net.up_mbps);
  EXPECT_TRUE(close(got, brute)) << "min cut " << got << " ms, brute force " << brute << " ms";
}

TEST(MinCut, MatchesBruteForceOnRandomDags) {
  for (uint64_t seed = 0; seed < 1200; ++seed) checkCase(seed, {});
}

// Ties, zero costs and values spanning 13 orders of magnitude: a floating-
// point residue must never move a vertex to the wrong side.
// At sizes brute force can't reach: the same device set as Boost's
// Boykov-Kolmogorov on the same network (the smallest optimal source side
// is unique), on the benchmark shapes in every cost regime and on random
// DAGs with pins and unknown sizes; one network re-solved for many weights.
void checkAgainstBoost(const PlanGraph& g, const NodeCosts& c, Precision p, const std::vector<signed char>& forced,
                       const std::vector<CutWeights>& weights) {
  const CutNetwork net(g, c, p, forced);
  for (const CutWeights& w : weights) {
    SCOPED_TRACE("up_per_byte " + std::to_string(w.up_per_byte) + " device " + std::to_string(w.device) +
                 " cloud " + std::to_string(w.cloud));
    auto csr = peers::buildCsr(net.arcs(w), net.vertexCount());
    peers::boykovKolmogorov(csr);
    const DeviceSet bk = peers::sourceSide(csr, g.num_nodes);
    const DeviceSet ours = net.solve(w);
    EXPECT_EQ(ours, bk);
    EXPECT_EQ(net.solve(w, Orientation::from_cloud), bk) << "solved from the cloud side";
    EXPECT_EQ(net.solve(w, Orientation::from_device), bk) << "solved from the device side";
    EXPECT_EQ(ours, minCutPlan(g, c, p, w, forced)) << "a re-solved network differs from a fresh one";
  }
}

TEST(MinCut, SameDeviceSetAsBoostOnBenchmarkShapes) {
  using Gen = bench::SyntheticCase (*)(int, uint64_t);
  for (Gen gen : {Gen(bench::cnnDag), Gen(bench::layeredDag), Gen(bench::denseDag)})
    for (int n : {200, 1000, 3000})
      for (uint64_t seed = 1; seed <= 3; ++seed) {
        SCOPED_TRACE("nodes " + std::to_string(n) + " seed " + std::to_string(seed));
        const auto sc = gen(n, seed);
        std::vector<CutWeights> ws;
        for (double mbps : {0.05, 0.5, 2.0, 8.0, 30.0, 120.0, 1000.0, 1e5})
          ws.push_back({1, 1.0 + static_cast<double>(seed % 3), transferMs(1, mbps), transferMs(1, mbps)});
        ws.push_back({0.1, 0.6, transferMs(0.3, 10), 0});  // throughput-search weightings
        ws.push_back({0, 1, 0, 0});
        checkAgainstBoost(sc.graph, sc.costs, Precision::fp32, std::vector<signed char>(sc.graph.num_nodes, kFree), ws);
      }
}

// Networks past the size where both orientations run at once on two
// threads (cut_network.cpp, kRaceSize): the raced answer is the one each
// orientation gives alone, whichever finishes first.
TEST(MinCut, RacedOrientationsGiveTheSameDeviceSet) {
  using Gen = bench::SyntheticCase (*)(int, uint64_t);
  for (Gen gen : {Gen(bench::cnnDag), Gen(bench::layeredDag), Gen(bench::denseDag)}) {
    const auto sc = gen(60000, 5);
    const CutNetwork net(sc.graph, sc.costs, Precision::fp32, std::vector<signed char>(sc.graph.num_nodes, kFree));
    ASSERT_GE(net.vertexCount(), 60000);
    for (double mbps : {0.5, 5.0, 50.0, 2000.0}) {
      SCOPED_TRACE(std::to_string(mbps) + " Mbit/s");
      const CutWeights w{1, 1, transferMs(1, mbps), transferMs(1, mbps)};
      const DeviceSet raced = net.solve(w);
      EXPECT_EQ(raced, net.solve(w, Orientation::from_cloud));
      long on = 0;
      for (char c : raced) on += c;
      EXPECT_TRUE(isValidPlan(sc.graph, raced));
      RecordProperty("on_device_" + std::to_string(static_cast<int>(mbps)), static_cast<int>(on));
    }
  }
}

// Past the first kTrials blocks of the global relabelling's search
// (push_relabel.cpp: 8 blocks of 4096 vertices), where both of its scans
// and then the faster one run; the smaller networks above see only the
// first. The bandwidths are those where these networks' searches run past
// 8 blocks (at 0.5 Mbit/s the CNN-shaped and layered ones need no global
// relabelling at all). Checked against Boost's push-relabel
// (Boykov-Kolmogorov is too slow here at low bandwidth).
TEST(MinCut, SameDeviceSetAsBoostPastTheSearchsTimedBlocks) {
  using Gen = bench::SyntheticCase (*)(int, uint64_t);
  const std::pair<Gen, std::vector<double>> cases[] = {
      {bench::cnnDag, {3.0, 20.0}}, {bench::layeredDag, {3.0, 20.0}}, {bench::denseDag, {0.5, 3.0}}};
  for (const auto& [gen, bandwidths] : cases) {
    const auto sc = gen(32000, 11);
    const CutNetwork net(sc.graph, sc.costs, Precision::fp32, std::vector<signed char>(sc.graph.num_nodes, kFree));
    ASSERT_GE(net.vertexCount(), 8 * 4096 + 2);
    for (double mbps : bandwidths) {
      SCOPED_TRACE(std::to_string(sc.graph.num_nodes) + " nodes, " + std::to_string(mbps) + " Mbit/s");
      const CutWeights w{1, 1, transferMs(1, mbps), transferMs(1, mbps)};
      auto csr = peers::buildCsr(net.arcs(w), net.vertexCount());
      peers::pushRelabel(csr);
      const DeviceSet boost = peers::sourceSide(csr, sc.graph.num_nodes);
      EXPECT_EQ(net.solve(w, Orientation::from_cloud), boost);
      EXPECT_EQ(net.solve(w), boost);
    }
  }
}

TEST(MinCut, SameDeviceSetAsBoostOnRandomDagsWithPins) {
  RandomOptions opt;
  opt.min_nodes = 30;
  opt.max_nodes = 150;
  for (uint64_t seed = 20000; seed < 20300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const RandomCase rc = randomCase(seed, opt);
    std::vector<signed char> forced;
    try { forced = forcedSides(rc.graph, rc.pins, {}); } catch (const InputError&) { continue; }
    std::vector<CutWeights> ws;
    for (double mbps : {0.1, 3.0, 50.0, 2000.0})
      ws.push_back({1, rc.net.load, transferMs(1, mbps), transferMs(1, mbps)});
    checkAgainstBoost(rc.graph, rc.costs, rc.net.precision, forced, ws);
  }
}

// withForced (the branch and bound's subproblems) against a network built
// from scratch with the same sides: the same plan for every weighting, and
// the same refusal when the sides admit no plan.
TEST(MinCut, WithForcedEqualsAFreshNetwork) {
  int compared = 0;
  for (uint64_t seed = 46000; seed < 46300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const RandomCase rc = randomCase(seed);
    std::vector<signed char> base;
    try {
      base = forcedSides(rc.graph, rc.pins, {});
    } catch (const InputError&) {
      continue;
    }
    const CutNetwork root(rc.graph, rc.costs, rc.net.precision, base);
    std::mt19937_64 rng(seed);
    Pins more = rc.pins;
    for (int v = 0; v < rc.graph.num_nodes; ++v)
      if (base[v] == kFree && rng() % 3 == 0) (rng() % 2 ? more.device : more.cloud).push_back(v);
    std::vector<signed char> forced;
    try {
      forced = forcedSides(rc.graph, more, {});
    } catch (const InputError&) {
      continue;  // contradictory extra sides
    }
    const CutNetwork sub = root.withForced(forced);
    const CutNetwork fresh(rc.graph, rc.costs, rc.net.precision, forced);
    for (const CutWeights w : {CutWeights{1, 1, 1e-6, 1e-6}, CutWeights{0.2, 3, 1e-4, 0}, CutWeights{5, 0.1, 0, 1e-5}}) {
      const DeviceSet d = sub.solve(w);
      EXPECT_EQ(d, fresh.solve(w));
      EXPECT_TRUE(respectsForced(d, forced));
    }
    ++compared;
  }
  EXPECT_GT(compared, 150);
}

TEST(MinCut, NoResidueErrorsWithTiesAndExtremeValues) {
  RandomOptions opt;
  opt.extreme_values = true;
  for (uint64_t seed = 5000; seed < 5600; ++seed) checkCase(seed, opt);
}

TEST(MinCut, LargerDagsMatchBruteForce) {
  RandomOptions opt;
  opt.min_nodes = 15;
  opt.max_nodes = 16;
  for (uint64_t seed = 9000; seed < 9040; ++seed) checkCase(seed, opt);
}

// The published DADS network lacks the infinite reverse edges: a plan where a
// cloud node feeds a device node would be cheaper there. Here the cheapest
// "plan" ignoring validity runs the middle node on the cloud; ours must not.
TEST(MinCut, NeverSendsDataBackDown) {
  PlanGraph g;
  g.num_nodes = 3;  // chain a -> b -> c
  g.tensors = {{-1, {0}, 4e6, true, true, false},
               {0, {1}, 4e6, true, true, false},
               {1, {2}, 4e6, true, true, false},
               {2, {}, 4, true, true, true}};
  NodeCosts c{{1, 100, 1}, {1, 0.1, 1}};
  const std::vector<signed char> forced(3, kFree);
  const DeviceSet d = minCutPlan(g, c, Precision::fp32, {1, 1, 1e-9, 1e-9}, forced);
  EXPECT_TRUE(isValidPlan(g, d));
  EXPECT_EQ(d, DeviceSet({0, 0, 0}));  // cheap transfers: everything goes up
}

TEST(MinCut, FanOutTensorIsPaidOnce) {
  // a feeds b and c, both cheap on the cloud: the tensor is sent once.
  PlanGraph g;
  g.num_nodes = 3;
  g.tensors = {{-1, {0}, 1e9, true, true, false},
               {0, {1, 2}, 1000, true, true, false},
               {1, {}, 1, true, false, true},
               {2, {}, 1, true, false, true}};
  NodeCosts c{{0, 10, 10}, {100, 0, 0}};
  const DeviceSet d = minCutPlan(g, c, Precision::fp32, {1, 1, 0.006, 0}, std::vector<signed char>(3, kFree));
  // Cost: a on device (0) + one transfer 1000*0.006 = 6 < 10 (b or c local).
  EXPECT_EQ(d, DeviceSet({1, 0, 0}));
  const auto f = planFigures(g, c, d, Precision::fp32);
  EXPECT_DOUBLE_EQ(f.up_bytes, 1000);
}

TEST(MinCut, ImpossiblePinsAreNamed) {
  PlanGraph g;
  g.num_nodes = 2;  // a -> b
  g.tensors = {{-1, {0}, 10, true, true, false}, {0, {1}, 10, true, true, false},
               {1, {}, 10, true, true, true}};
  Pins pins{{1}, {0}};  // b on device needs a on device
  try {
    forcedSides(g, pins, NodeKeys({"a", "b"}));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    // The library names options by field; a caller spells them its own way.
    const std::string msg = e.what();
    EXPECT_NE(msg.find("(pin_device 'b')"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(pin_cloud 'a')"), std::string::npos) << msg;
    const std::string flags = e.message([](const std::string& o) { return "--" + o; });
    EXPECT_NE(flags.find("(--pin_device 'b')"), std::string::npos) << flags;
  }
}

void checkBands(uint64_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  RandomOptions opt;
  opt.max_nodes = 12;
  const RandomCase rc = randomCase(seed, opt);
  std::vector<signed char> forced;
  try {
    forced = forcedSides(rc.graph, rc.pins, {});
  } catch (const InputError&) {
    return;
  }
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  const double lo = std::exp(std::log(0.05) + u(rng) * 3), hi = lo * std::exp(1 + u(rng) * 10);
  const LatencyProblem pr{rc.graph, rc.costs, forced, rc.net};
  const auto bands = latencyBands(pr, lo, hi);
  ASSERT_FALSE(bands.empty());
  EXPECT_EQ(bands.front().min_mbps, lo);
  EXPECT_EQ(bands.back().max_mbps, hi);
  for (size_t i = 0; i < bands.size(); ++i) {
    EXPECT_LT(bands[i].min_mbps, bands[i].max_mbps);
    if (i > 0) {
      EXPECT_EQ(bands[i].min_mbps, bands[i - 1].max_mbps) << "gap or overlap";
      EXPECT_NE(bands[i].plan, bands[i - 1].plan) << "repeated neighbour";
    }
    EXPECT_TRUE(isValidPlan(rc.graph, bands[i].plan));
    // Sample inside the band (log-spaced) and at its ends.
    const double a = bands[i].min_mbps, b = bands[i].max_mbps;
    for (int k = 0; k <= 6; ++k) {
      const double bw = std::exp(std::log(a) + (std::log(b) - std::log(a)) * k / 6.0);
      const double best = bruteForceMin(rc.graph, forced, [&](const DeviceSet& d) {
        return latencyOf(rc, d, bw);
      });
      const double got = latencyOf(rc, bands[i].plan, bw);
      EXPECT_TRUE(close(got, best)) << "band " << i << " [" << a << ", " << b << ") at " << bw
                                    << " Mbit/s: " << got << " ms vs optimum " << best;
    }
  }
}

TEST(Bands, ExactEnvelopeMatchesBruteForce) {
  for (uint64_t seed = 100; seed < 400; ++seed) checkBands(seed);
}

}  // namespace
}  // namespace onnxcut

namespace onnxcut {
namespace {

// Chain-only (Neurosurgeon) baseline: the bands equal the best valid prefix
// of the topological order at sampled bandwidths.
TEST(ChainBaseline, MatchesBestPrefixByBruteForce) {
  for (uint64_t seed = 700; seed < 900; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const auto rc = testing::randomCase(seed);
    std::vector<signed char> forced;
    try { forced = forcedSides(rc.graph, rc.pins, {}); } catch (const InputError&) { continue; }
    const LatencyProblem pr{rc.graph, rc.costs, forced, rc.net};
    const int n = rc.graph.num_nodes;
    std::vector<DeviceSet> prefixes;
    for (int k = 0; k <= n; ++k) {
      DeviceSet d(n, 0);
      for (int v = 0; v < k; ++v) d[v] = 1;
      if (respectsForced(d, forced) && isValidPlan(rc.graph, d)) prefixes.push_back(d);
    }
    EXPECT_EQ(chainPlans(pr), prefixes);
    const auto bands = chainBands(pr, 0.1, 1000);
    if (prefixes.empty()) { EXPECT_TRUE(bands.empty()); continue; }
    for (const auto& b : bands) {
      const double bw = std::sqrt(b.min_mbps * b.max_mbps);
      Network net = rc.net;
      net.up_mbps = bw;
      auto lat = [&](const DeviceSet& d) { return stageTimes(planFigures(rc.graph, rc.costs, d, net.precision), net).latency(); };
      double best = INFINITY;
      for (const auto& d : prefixes) best = std::min(best, lat(d));
      EXPECT_NEAR(lat(b.plan), best, 1e-9 * std::max(1.0, best));
    }
  }
}

}  // namespace
}  // namespace onnxcut
