// select() against the number of tables and bands in a plan table: the
// runtime header promises O(log bands); tables are found through an index
// (O(log tables)). Figures in docs/reliability.md.
#include <benchmark/benchmark.h>

#include <string>

#include "onnxcut_runtime.h"

namespace {

// `tables` latency tables at loads 1, 2, ..., each with `bands` bands over
// two alternating plans.
std::string tableText(int tables, int bands) {
  std::string s = R"({"format": "onnxcut.plan-table", "version": 1, "network": {"rtt_ms": 1.0, "down_mbps": null},
    "plans": [{"id": 0, "precision": "fp32", "device_nodes": ["a"], "cut": [], "device_ms": 10, "cloud_ms": 0,
               "up_bytes_fp32": 0, "down_bytes": 0, "head": null, "tail": null},
              {"id": 1, "precision": "fp32", "device_nodes": [], "cut": [], "device_ms": 0, "cloud_ms": 2,
               "up_bytes_fp32": 1000, "down_bytes": 0, "head": null, "tail": null}], "tables": [)";
  for (int t = 0; t < tables; ++t) {
    s += std::string(t ? ", " : "") + R"({"objective": "latency", "server_load": )" + std::to_string(1 + t) +
         R"(, "precision": "fp32", "bands": [)";
    for (int b = 0; b < bands; ++b)
      s += std::string(b ? ", " : "") + R"({"min_mbps": )" + std::to_string(0.1 + b) + R"(, "max_mbps": )" +
           std::to_string(1.1 + b) + R"(, "plan": )" + std::to_string(b % 2) + "}";
    s += "]}";
  }
  return s + "]}";
}

void BM_Select(benchmark::State& state) {
  const auto parsed = onnxcut::runtime::parsePlanTable(tableText(static_cast<int>(state.range(0)), static_cast<int>(state.range(1))));
  if (!parsed.ok()) {
    state.SkipWithError(parsed.error.c_str());
    return;
  }
  onnxcut::runtime::Query q;
  q.load = static_cast<double>(state.range(0)) / 2;
  double mbps = 0.2;
  for (auto _ : state) {
    q.mbps = mbps;
    benchmark::DoNotOptimize(onnxcut::runtime::select(*parsed.value, q));
    mbps = mbps > static_cast<double>(state.range(1)) ? 0.2 : mbps * 1.7;
  }
}
BENCHMARK(BM_Select)->Args({1, 10})->Args({1000, 10})->Args({100000, 10})->Args({1, 100000});

}  // namespace

BENCHMARK_MAIN();
