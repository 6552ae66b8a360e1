// Exact throughput on synthetic DAGs (issue 16, part 3): which method each
// table gets and the worst proven ratio, cnn / layered / DenseNet-shaped
// graphs (bench/synthetic_dags.h) of about 100, 300 and 1,000 nodes, loads
// 1 and 4, fp32, 0.1-1000 Mbit/s.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include "synthetic_dags.h"
#include "throughput_planner.h"
#include "pins.h"
using namespace onnxcut;
int main() {
  using Gen = bench::SyntheticCase (*)(int, uint64_t);
  std::pair<const char*, Gen> shapes[] = {{"cnn", bench::cnnDag}, {"layered", bench::layeredDag}, {"dense", bench::denseDag}};
  for (auto [name, gen] : shapes) for (int n : {100, 300, 1000}) for (uint64_t seed : {1, 2}) {
    auto sc = gen(n, seed);
    std::vector<signed char> forced(sc.graph.num_nodes, kFree);
    for (double load : {1.0, 4.0}) {
      Network net; net.load = load; net.precision = Precision::fp32;
      LatencyProblem pr{sc.graph, sc.costs, forced, net};
      ThroughputMethod m;
      auto t0 = std::chrono::steady_clock::now();
      auto b = throughputBands(pr, 0.1, 1000, &m);
      double worst = 1; for (auto& x : b) worst = std::min(worst, x.proven_ratio);
      printf("%s n=%d seed=%lu load=%g: %s, %zu bands, worst proven %.3f, %.3f s\n", name, sc.graph.num_nodes, seed, load, toString(m), b.size(), worst, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      fflush(stdout);
    }
  }
}
