// Writes a layered DAG (bench/synthetic_dags.h) as JSON, and prints the cost of
// onnxcut's min cut on it and the solve time, for bench/networkx_mincut.py.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "synthetic_dags.h"
#include "cut_network.h"
#include "pins.h"

using namespace onnxcut;

int main(int argc, char** argv) {
  if (argc != 3) { std::fprintf(stderr, "usage: export_dag NODES OUT.json\n"); return 2; }
  const auto sc = bench::layeredDag(std::atoi(argv[1]), 42);
  const double up = 10.0;
  nlohmann::json j;
  j["num_nodes"] = sc.graph.num_nodes;
  j["device_ms"] = sc.costs.device_ms;
  j["cloud_ms"] = sc.costs.cloud_ms;
  j["ms_per_byte"] = transferMs(1, up);
  for (const auto& t : sc.graph.tensors)
    j["tensors"].push_back({{"producer", t.producer}, {"consumers", t.consumers}, {"bytes", t.bytes}, {"output", t.is_output}});
  std::ofstream(argv[2]) << j.dump();
  const std::vector<signed char> forced(sc.graph.num_nodes, kFree);
  const CutWeights w{1, 1, transferMs(1, up), transferMs(1, up)};
  const auto t0 = std::chrono::steady_clock::now();
  const DeviceSet d = minCutPlan(sc.graph, sc.costs, Precision::fp32, w, forced);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Network net;
  net.up_mbps = up;
  const double cost = stageTimes(planFigures(sc.graph, sc.costs, d, Precision::fp32), net).latency();
  std::printf("{\"onnxcut_seconds\": %.6f, \"onnxcut_cost_ms\": %.9f}\n", secs, cost);
}
