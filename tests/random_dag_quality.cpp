// The throughput search at scale (issue 15): N seeded random DAGs (half of
// them with per-node costs spread over 12 orders of magnitude, crawling
// downlinks and bandwidths from 1e-3x to 1e4x), each solved by
// bestThroughputPlan and by brute force. Fails on any exception, invalid
// plan, plan below 1/3 of the optimum or bound above it; prints the worst
// and median ratios (docs/reliability.md).
//   random_dag_quality [N=10000]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "errors.h"
#include "latency_planner.h"
#include "pins.h"
#include "random_dag.h"
#include "throughput_planner.h"

using namespace onnxcut;

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 10000;
  std::mt19937_64 rng(2026);
  std::vector<double> ratios, extreme_ratios;
  long failures = 0, skipped = 0;
  for (long i = 0; i < n; ++i) {
    const uint64_t seed = 900000 + static_cast<uint64_t>(i);
    testing::RandomOptions o;
    o.max_nodes = 11;
    const bool extreme = i % 2 == 1;
    o.extreme_values = extreme && i % 4 == 1;
    testing::RandomCase rc = testing::randomCase(seed, o);
    double up = rc.net.up_mbps;
    if (extreme) {
      for (int v = 0; v < rc.graph.num_nodes; ++v) {
        rc.costs.device_ms[v] *= std::pow(10.0, static_cast<int>(rng() % 13) - 6);
        rc.costs.cloud_ms[v] *= std::pow(10.0, static_cast<int>(rng() % 13) - 6);
      }
      if (rng() % 3 == 0) rc.net.down_mbps = 1e-4 * static_cast<double>(1 + rng() % 10);
      up *= std::pow(10.0, static_cast<int>(rng() % 8) - 3);
    }
    std::vector<signed char> forced;
    try {
      forced = forcedSides(rc.graph, rc.pins, {});
    } catch (const InputError&) {
      ++skipped;  // pins with no valid plan: refused, nothing to solve
      continue;
    }
    Network net = rc.net;
    net.up_mbps = up;
    auto bottleneck = [&](const DeviceSet& d) {
      return stageTimes(planFigures(rc.graph, rc.costs, d, net.precision), net).bottleneck();
    };
    const double opt = testing::bruteForceMin(rc.graph, forced, bottleneck);
    try {
      const ThroughputResult r = bestThroughputPlan({rc.graph, rc.costs, forced, rc.net}, up);
      const double got = bottleneck(r.plan);
      const bool ok = isValidPlan(rc.graph, r.plan) && respectsForced(r.plan, forced) &&
                      got <= 3 * opt * (1 + 1e-9) + 1e-12 && r.bound_ms <= opt * (1 + 1e-9) + 1e-12;
      if (!ok) {
        std::printf("seed %lu: plan %s (bottleneck %.6g, optimum %.6g, bound %.6g)\n", static_cast<unsigned long>(seed),
                    isValidPlan(rc.graph, r.plan) ? "valid" : "INVALID", got, opt, r.bound_ms);
        ++failures;
      }
      (extreme ? extreme_ratios : ratios).push_back(got > 0 ? opt / got : 1.0);
    } catch (const std::exception& e) {
      std::printf("seed %lu: exception: %s\n", static_cast<unsigned long>(seed), e.what());
      ++failures;
    }
  }
  auto report = [](const char* what, std::vector<double> v) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    const long optimal = std::count_if(v.begin(), v.end(), [](double r) { return r > 1 - 1e-9; });
    std::printf("%s: %zu DAGs, optimal %ld, median %.4f, p1 %.4f, worst %.4f\n", what, v.size(), optimal,
                v[v.size() / 2], v[v.size() / 100], v.front());
  };
  report("moderate costs", ratios);
  report("extreme cost ratios", extreme_ratios);
  std::printf("%ld DAGs, %ld refused pins, %ld failures\n", n, skipped, failures);
  return failures == 0 ? 0 : 1;
}
