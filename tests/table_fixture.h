// A two-plan table shared by the runtime and simulator tests.
#pragma once
#include <string>

namespace onnxcut::testing {

// Two plans: 0 all-device (10 ms), 1 all-cloud (1000 B up, 2 ms cloud).
// Latency: 10 vs 2 + 8/U  ->  breakpoint at U = 1 Mbit/s.
inline std::string tableJson(const std::string& bands = R"([{"min_mbps": 0.1, "max_mbps": 1.0, "plan": 0},
                                                     {"min_mbps": 1.0, "max_mbps": 100.0, "plan": 1}])",
                      const std::string& extra_tables = "") {
  return R"({"format": "onnxcut.plan-table", "version": 1,
    "network": {"rtt_ms": 0.0, "down_mbps": null},
    "plans": [
      {"id": 0, "precision": "fp32", "device_nodes": ["a", "b"], "cut": [], "device_ms": 10.0, "cloud_ms": 0.0,
       "up_bytes_fp32": 0, "down_bytes": 0, "head": "plans/0/head.onnx", "tail": null},
      {"id": 1, "precision": "fp32", "device_nodes": [], "cut": [], "device_ms": 0.0, "cloud_ms": 2.0,
       "up_bytes_fp32": 1000, "down_bytes": 0, "head": null, "tail": "plans/1/tail.onnx"}],
    "tables": [{"objective": "latency", "server_load": 1.0, "precision": "fp32", "bands": )" +
         bands + "}" + extra_tables + R"(],
    "baselines": {"device_only": {"fp32": 0}, "cloud_only": {"fp32": 1}, "chain_only": []}})";
}

}  // namespace onnxcut::testing
