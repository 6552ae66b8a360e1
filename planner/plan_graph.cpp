#include "plan_graph.h"

#include "errors.h"

namespace onnxcut {

const char* toString(Precision p) {
  switch (p) {
    case Precision::fp32: return "fp32";
    case Precision::fp16: return "fp16";
    case Precision::int8: return "int8";
  }
  return "?";
}

Precision parsePrecision(const std::string& s) {
  if (s == "fp32") return Precision::fp32;
  if (s == "fp16") return Precision::fp16;
  if (s == "int8") return Precision::int8;
  throw InputError("unknown precision '" + s + "' (allowed: fp32, fp16, int8)");
}

double sentBytes(const PlanTensor& t, Precision p) {
  if (!t.is_float32) return t.bytes;
  switch (p) {
    case Precision::fp32: return t.bytes;
    case Precision::fp16: return t.bytes * 0.5;
    case Precision::int8: return t.bytes * 0.25;
  }
  return t.bytes;
}

}  // namespace onnxcut
