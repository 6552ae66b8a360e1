// Trace parsing in every format, transfers over the trace, and a short
// replay against a fixed plan table: bounded time whatever the trace.
#include <cstdint>
#include <string>

#include "errors.h"
#include "onnxcut_runtime.h"
#include "simulator.h"
#include "trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const onnxcut::runtime::PlanTable table = *onnxcut::runtime::parsePlanTable(R"({"format": "onnxcut.plan-table",
    "version": 1, "network": {"rtt_ms": 1.0, "down_mbps": null},
    "plans": [{"id": 0, "precision": "fp32", "device_nodes": ["a"], "cut": [], "device_ms": 10, "cloud_ms": 0,
               "up_bytes_fp32": 0, "down_bytes": 0, "head": null, "tail": null},
              {"id": 1, "precision": "fp32", "device_nodes": [], "cut": [], "device_ms": 0, "cloud_ms": 2,
               "up_bytes_fp32": 1000, "down_bytes": 0, "head": null, "tail": null}],
    "tables": [{"objective": "latency", "server_load": 1, "precision": "fp32",
                "bands": [{"min_mbps": 0.1, "max_mbps": 1, "plan": 0}, {"min_mbps": 1, "max_mbps": 100, "plan": 1}]}]})").value;
  if (size < 1) return 0;
  const auto format = static_cast<onnxcut::TraceFormat>(data[0] % 3);
  try {
    const onnxcut::Trace t = onnxcut::parseTrace(std::string(reinterpret_cast<const char*>(data) + 1, size - 1), format, "fuzz");
    for (double t0 : {0.0, 0.3, 1e3}) t.transferEnd(t0, 8e6);
    onnxcut::SimConfig cfg;
    cfg.frames = 40;
    onnxcut::simulate(table, t, cfg);
  } catch (const onnxcut::InputError&) {
  }
  return 0;
}
