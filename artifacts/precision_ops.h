// Precision boundaries in standard ONNX (DynO's packing of the cut tensors).
//   fp16: head  t -> Cast(float16) -> t__fp16;   tail  t__fp16 -> Cast(float) -> t
//   int8: head  t -> DynamicQuantizeLinear -> t__q (uint8), t__scale, t__zp
//         tail  DequantizeLinear(t__q, t__scale, t__zp) -> t
// For opset < 11 (no DynamicQuantizeLinear) the same arithmetic is spelled
// with opset-7 ops (docs/codegen.md), so old exports still work.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "plan_graph.h"

namespace onnx {
class GraphProto;
class TypeProto;
}  // namespace onnx

namespace onnxcut {

// Broadcasting arithmetic without attributes arrived with opset 7.
constexpr int64_t kMinPrecisionOpset = 7;
constexpr int64_t kDynamicQuantizeOpset = 11;

struct SentTensor {
  std::string name;
  int32_t elem_type;
  bool scalar;
  // The sent tensor's type, from the original tensor's type.
  onnx::TypeProto type(const onnx::TypeProto& original) const;
};

// Appends the head's encoding of float tensor `t`; returns the head outputs.
std::vector<SentTensor> appendEncode(onnx::GraphProto& g, const std::string& t, Precision p, int64_t opset);
// The tail inputs that carry `t`.
std::vector<SentTensor> decodeInputs(const std::string& t, Precision p);
// Appends the tail's decoding, producing `t` again.
void appendDecode(onnx::GraphProto& g, const std::string& t, Precision p, int64_t opset);

}  // namespace onnxcut
