// The wire protocol's decoder (runtime/onnxcut_wire.h): never crashes, never
// allocates past its input; whatever it accepts encodes back to the same
// bytes (one encoding per frame), and an accepted infer frame is checked
// against a plan's wire without trouble.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "onnxcut_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace onnxcut::runtime;
  const char* p = reinterpret_cast<const char*>(data);
  wire::decodeHeader(p, size);
  const auto f = wire::decode(p, size);
  if (!f.ok()) return 0;
  if (wire::encode(*f.value) != std::string(p, size)) std::abort();
  PlanInfo plan;
  TensorDesc d;
  d.name = "c__q";
  d.dtype = "uint8";
  d.shape = std::vector<int64_t>{1, 8, 4, 4};
  d.dim_params = {"N", "", "", ""};
  plan.wire = {d};
  wire::checkWire(plan, f.value->tensors);
  return 0;
}
