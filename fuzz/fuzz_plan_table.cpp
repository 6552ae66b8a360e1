// The runtime library's plan-table loader (it never throws), then select,
// predict and the light/heavy rule on whatever it accepted.
#include <cstdint>
#include <string>

#include "onnxcut_runtime.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxcut::runtime;
  const auto t = parsePlanTable(std::string(reinterpret_cast<const char*>(data), size));
  if (!t.ok()) return 0;
  for (double mbps : {1e-3, 0.7, 15.0, 3e4})
    for (double load : {1.0, 2.5, 1e3}) {
      Query q;
      q.mbps = mbps;
      q.load = load;
      for (const char* p : {"fp32", "int8"}) {
        q.precision = p;
        select(*t.value, q);
        q.fps = 30;
        select(*t.value, q);
        q.fps.reset();
      }
    }
  for (const auto& p : t.value->plans) predict(*t.value, p, 10, 1);
  return 0;
}
