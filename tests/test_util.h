// Helpers shared by the tests: models written as ONNX text, inline.
#pragma once
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include "model_view.h"

namespace onnxcut::testing {

inline ModelView fromText(const char* text, const LoadOptions& opt = {}) {
  onnx::ModelProto m;
  const auto status = onnx::OnnxParser::Parse(m, text);
  EXPECT_TRUE(status.IsOK()) << status.ErrorMessage();
  return ModelView::fromProto(m, "<test>", opt);
}

// x -> a -> {b, c} -> y: a fan-out and a merge.
constexpr const char* kDiamond = R"(
<ir_version: 8, opset_import: ["" : 13], producer_name: "tests">
g (float[1, 8] x) => (float[1, 8] y) {
  a = Relu (x)
  b = Sigmoid (a)
  c = Tanh (a)
  y = Add (b, c)
}
)";

}  // namespace onnxcut::testing
