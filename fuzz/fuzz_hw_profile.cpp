// Hardware profile JSON, then an estimate with the profile it gave.
#include <cstdint>
#include <string>

#include "errors.h"
#include "hw_profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const onnxcut::HwProfile p = onnxcut::parseProfile(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    onnxcut::NodeWork w;
    w.flops = 1e6;
    w.bytes = 1e5;
    onnxcut::estimateMs(p, w);
  } catch (const onnxcut::InputError&) {
  }
  return 0;
}
