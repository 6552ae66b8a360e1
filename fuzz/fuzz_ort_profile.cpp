// ONNX Runtime profile JSON, matched against a small fixed model.
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

#include "errors.h"
#include "model_view.h"
#include "ort_profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const onnxcut::ModelView mv = [] {
    onnx::ModelProto m;
    onnx::OnnxParser::Parse(m, R"(<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 8] x) => (float[1, 8] y) { a = Relu (x)  b = Sigmoid (a)  c = Tanh (a)  y = Add (b, c) })");
    return onnxcut::ModelView::fromProto(m, "diamond");
  }();
  try {
    onnxcut::parseOrtProfile(std::string(reinterpret_cast<const char*>(data), size), "fuzz", mv);
  } catch (const onnxcut::InputError&) {
  }
  return 0;
}
