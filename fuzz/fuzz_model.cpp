// Model loading from bytes: ONNX protobuf (and ONNX text when the bytes
// start with '<'), checks, input dims, shape inference, constant folding,
// the plan graph and bottlenecks. Only InputError may come out.
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

#include "bottlenecks.h"
#include "errors.h"
#include "model_view.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 20)) return -1;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  onnx::ModelProto m;
  try {
    if (!bytes.empty() && bytes[0] == '<') {
      if (!onnx::OnnxParser::Parse(m, bytes.c_str()).IsOK()) return 0;
    } else if (!m.ParseFromString(bytes)) {
      return 0;
    }
  } catch (const std::exception&) {
    return 0;  // the text parser's own exceptions are caught in readModelFile
  }
  try {
    onnxcut::LoadOptions opt;
    opt.require_sizes = (size & 1) != 0;  // inspect's and plan's checks, by turns
    const onnxcut::ModelView mv = onnxcut::ModelView::fromProto(std::move(m), "fuzz", opt);
    onnxcut::findBottlenecks(mv.planGraph());
  } catch (const onnxcut::InputError&) {
  }
  return 0;
}
