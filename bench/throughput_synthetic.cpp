// Exact throughput on synthetic DAGs (issue 16, part 3): which method each
// table gets and the worst proven ratio, cnn / layered / DenseNet-shaped
// graphs (bench/synthetic_dags.h) of about 100, 300 and 1,000 nodes, loads
// 1 and 4, fp32, 0.1-1000 Mbit/s; then the tables left unproven, again with
// --proof-effort 10 and, if still unproven, 40.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <tuple>
#include <vector>
#include "synthetic_dags.h"
#include "throughput_planner.h"
#include "pins.h"
using namespace onnxcut;
namespace {
// One table; returns whether it is exact. `effort` is --proof-effort.
bool table(const char* name, const bench::SyntheticCase& sc, uint64_t seed, double load, double effort) {
  std::vector<signed char> forced(sc.graph.num_nodes, kFree);
  Network net; net.load = load; net.precision = Precision::fp32;
  LatencyProblem pr{sc.graph, sc.costs, forced, net};
  ThroughputMethod m;
  ThroughputEffort e;
  e.budget_scale = effort;
  auto t0 = std::chrono::steady_clock::now();
  auto b = throughputBands(pr, 0.1, 1000, &m, e);
  double worst = 1; for (auto& x : b) worst = std::min(worst, x.proven_ratio);
  printf("%s n=%d seed=%lu load=%g", name, sc.graph.num_nodes, seed, load);
  if (effort != 1) printf(" --proof-effort %g", effort);
  printf(": %s, %zu bands, worst proven %.3f, %.3f s\n", toString(m), b.size(), worst, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  fflush(stdout);
  return m == ThroughputMethod::exact;
}
}  // namespace

int main() {
  using Gen = bench::SyntheticCase (*)(int, uint64_t);
  std::pair<const char*, Gen> shapes[] = {{"cnn", bench::cnnDag}, {"layered", bench::layeredDag}, {"dense", bench::denseDag}};
  std::vector<std::tuple<const char*, Gen, int, uint64_t, double>> unproven;
  for (auto [name, gen] : shapes) for (int n : {100, 300, 1000}) for (uint64_t seed : {1, 2}) {
    auto sc = gen(n, seed);
    for (double load : {1.0, 4.0})
      if (!table(name, sc, seed, load, 1)) unproven.emplace_back(name, gen, n, seed, load);
  }
  // The tables the default budget leaves unproven, with more proof effort
  // (as a CI step that can wait would ask for).
  for (auto [name, gen, n, seed, load] : unproven)
    for (double effort : {10.0, 40.0})
      if (table(name, gen(n, seed), seed, load, effort)) break;
}
