// Calibration input parsers (fidelity/calibration_inputs.h): the first byte
// picks .npy, TensorProto .pb or an image (PNG/JPEG, resized to 8 x 6);
// the rest is the file.
#include <cstdint>
#include <string>

#include "calibration_inputs.h"
#include "errors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 3) {
      case 0: onnxcut::readNpy(bytes, "fuzz.npy"); break;
      case 1: onnxcut::readTensorPb(bytes, "fuzz.pb"); break;
      default: onnxcut::readImage(bytes, "fuzz.png", 8, 6, data[0] & 4, {}); break;
    }
  } catch (const onnxcut::InputError&) {
  }
  return 0;
}
