// Throughput quality on a real model (issue 4 figures): for loads 1,2,4 x
// fp32,fp16,int8 and 10 bandwidths per decade over 0.1-1000 Mbit/s, the
// search's throughput against the exact optimum (when the valid plans can be
// enumerated) and against its own proven bound; and the time for the full
// throughput table (9 tables) as the planner builds it.
//   throughput_quality MODEL COSTS.csv [--input-shape N=D]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "costs_csv.h"
#include "model_view.h"
#include "pins.h"
#include "plan_enumeration.h"
#include "planning.h"
#include "throughput_planner.h"

using namespace onnxcut;

static double pct(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1))];
}

int main(int argc, char** argv) {
  if (argc < 3) { std::fprintf(stderr, "usage: throughput_quality MODEL COSTS [--input-shape N=D]\n"); return 2; }
  LoadOptions lo;
  if (argc == 5 && !std::strcmp(argv[3], "--input-shape")) lo.input_shapes.push_back(parseInputShape(argv[4]));
  const ModelView mv = ModelView::load(argv[1], lo);
  const PlanGraph g = mv.planGraph();
  const NodeCosts costs = readCostsCsv(argv[2], mv.nodeKeys());
  const auto forced = forcedSides(g, {}, {});
  std::vector<double> vs_opt, vs_bound, bound_tight;
  bool exact_available = true;
  for (double load : {1.0, 2.0, 4.0})
    for (Precision p : {Precision::fp32, Precision::fp16, Precision::int8}) {
      Network net;
      net.load = load;
      net.precision = p;
      net.rtt_ms = 20;
      const LatencyProblem pr{g, costs, forced, net};
      const auto front = paretoPlans(g, costs, forced, p, kEnumerationCap);
      exact_available = exact_available && front.has_value();
      for (int i = 0; i <= 40; ++i) {
        const double bw = 0.1 * std::pow(10.0, i / 10.0);
        Network n = net;
        n.up_mbps = bw;
        const ThroughputResult r = bestThroughputPlan(pr, bw);
        vs_bound.push_back(r.bound_ms / r.bottleneck_ms);
        if (front) {
          double opt = INFINITY;
          for (const auto& e : *front) opt = std::min(opt, stageTimes(e.figures, n).bottleneck());
          vs_opt.push_back(opt / r.bottleneck_ms);
          bound_tight.push_back(r.bound_ms / opt);
        }
      }
    }
  PlanOptions opt;
  opt.objectives = {Objective::throughput};
  opt.loads = {1, 2, 4};
  opt.precisions = {Precision::fp32, Precision::fp16, Precision::int8};
  opt.rtt_ms = 20;
  const auto t0 = std::chrono::steady_clock::now();
  const PlanSet set = planTables(g, costs, mv.nodeKeys(), opt);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s: %d nodes, method %s, full throughput table (9 tables, %zu plans) %.3f s\n", argv[1], g.num_nodes,
              set.tables[0].method.c_str(), set.plans.size(), secs);
  std::printf("  search vs proven bound (%zu points): median %.4f, worst %.4f\n", vs_bound.size(), pct(vs_bound, 0.5),
              pct(vs_bound, 0));
  if (exact_available)
    std::printf("  search vs exact optimum: median %.4f, worst %.4f; bound / optimum: median %.4f, worst %.4f\n",
                pct(vs_opt, 0.5), pct(vs_opt, 0), pct(bound_tight, 0.5), pct(bound_tight, 0));
}
