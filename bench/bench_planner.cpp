// Planner benchmarks (issue 3): the full latency table for ResNet-50, and one
// min cut on layered DAGs of 10k and 100k nodes (peak RSS reported).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <filesystem>
#include <random>

#include "latency_planner.h"
#include "synthetic_dags.h"
#include "cut_network.h"
#include "model_view.h"
#include "pins.h"
#include "planning.h"
#include "size_costs.h"

namespace onnxcut {
namespace {

const std::string kResNet = std::string(ONNXCUT_SHARED_DIR) + "/data/models/resnet50_light.onnx";

double peakRssMiB() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_maxrss / 1024.0;
}

void BM_ResNet50Load(benchmark::State& state) {
  if (!std::filesystem::exists(kResNet)) { state.SkipWithError("shared data absent"); return; }
  for (auto _ : state) benchmark::DoNotOptimize(ModelView::load(kResNet));
}
BENCHMARK(BM_ResNet50Load)->Unit(benchmark::kMillisecond);

void BM_ResNet50FullLatencyTable(benchmark::State& state) {
  if (!std::filesystem::exists(kResNet)) { state.SkipWithError("shared data absent"); return; }
  const ModelView mv = ModelView::load(kResNet);
  const PlanGraph g = mv.planGraph();
  const NodeCosts costs = bench::sizeCosts(mv);
  PlanOptions opt;
  opt.loads = {1, 2, 4};
  opt.precisions = {Precision::fp32, Precision::fp16, Precision::int8};
  opt.rtt_ms = 20;
  size_t bands = 0, plans = 0;
  for (auto _ : state) {
    const PlanSet set = planTables(g, costs, mv.nodeKeys(), opt);
    bands = 0;
    for (const auto& t : set.tables) bands += t.bands.size();
    plans = set.plans.size();
  }
  state.counters["tables"] = 9;
  state.counters["bands"] = static_cast<double>(bands);
  state.counters["plans"] = static_cast<double>(plans);
}
BENCHMARK(BM_ResNet50FullLatencyTable)->Unit(benchmark::kMillisecond);

void BM_ResNet50FullThroughputTable(benchmark::State& state) {
  if (!std::filesystem::exists(kResNet)) { state.SkipWithError("shared data absent"); return; }
  const ModelView mv = ModelView::load(kResNet);
  const PlanGraph g = mv.planGraph();
  const NodeCosts costs = bench::sizeCosts(mv);
  PlanOptions opt;
  opt.objectives = {Objective::throughput};
  opt.loads = {1, 2, 4};
  opt.precisions = {Precision::fp32, Precision::fp16, Precision::int8};
  opt.rtt_ms = 20;
  for (auto _ : state) benchmark::DoNotOptimize(planTables(g, costs, mv.nodeKeys(), opt));
}
BENCHMARK(BM_ResNet50FullThroughputTable)->Unit(benchmark::kMillisecond);

void BM_MinCutLayered(benchmark::State& state) {
  const auto sc = bench::layeredDag(static_cast<int>(state.range(0)), 42);
  const std::vector<signed char> forced(sc.graph.num_nodes, kFree);
  CutWeights w{1, 1, transferMs(1, 10.0), transferMs(1, 10.0)};
  for (auto _ : state) benchmark::DoNotOptimize(minCutPlan(sc.graph, sc.costs, Precision::fp32, w, forced));
  state.counters["nodes"] = sc.graph.num_nodes;
  state.counters["peak_rss_MiB"] = peakRssMiB();
}
BENCHMARK(BM_MinCutLayered)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace onnxcut

BENCHMARK_MAIN();
