// The costs CSV parser against a fixed set of node keys.
#include <cstdint>
#include <string>

#include "costs_csv.h"
#include "errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const onnxcut::NodeKeys keys({"relu", "sig", "tanh", "add"});
  try {
    onnxcut::parseCostsCsv(std::string(reinterpret_cast<const char*>(data), size), "fuzz", keys);
  } catch (const onnxcut::InputError&) {
  }
  return 0;
}
