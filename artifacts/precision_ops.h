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
  int64_t length = -1;  // >= 0: a 1-D tensor of this many elements (packed bytes)
  // The sent tensor's type, from the original tensor's type.
  onnx::TypeProto type(const onnx::TypeProto& original) const;
};

// Appends the head's encoding of float tensor `t`; returns the head outputs.
std::vector<SentTensor> appendEncode(onnx::GraphProto& g, const std::string& t, Precision p, int64_t opset);
// The tail inputs that carry `t`.
std::vector<SentTensor> decodeInputs(const std::string& t, Precision p);
// Appends the tail's decoding, producing `t` again.
void appendDecode(onnx::GraphProto& g, const std::string& t, Precision p, int64_t opset);

// ---- Per-tensor bit widths (docs/precision.md) ----
// A cut tensor travels at one width from kTransferBits: 32 (as it is), 16
// (Cast to float16, as fp16 plans), 8 (DynamicQuantizeLinear, as int8
// plans), or w in {6, 4, 2} (8 also supported here): affine quantisation with a
// per-tensor scale computed on the device for each frame,
//   lo = min(t), s = max((max(t) - lo) / (2^w - 1), 1e-30)
//   q  = floor((t - lo) / s + 0.5)            in [0, 2^w - 1]
//   t' = q * s + lo                           (the tail's value)
// packed densely: k values of w bits go big-endian into B bytes
// (w=8: 1 in 1, w=6: 4 in 3, w=4: 2 in 1, w=2: 4 in 1), the last group
// padded with zeros. Head outputs t__p<w> (uint8, [bytes]), t__lo and
// t__scale (float scalars). Every op is standard and in opset 7 (Slice is
// spelled per opset); all integer arithmetic stays below 2^24, so float32
// holds it exactly. Needs the tensor's static shape.
// (kTransferBits, packGroup: plan_graph.h.)
// Bytes of the packed payload of `numel` values at width `bits` (< 16);
// numel x 2 for 16, numel x 4 for 32.
int64_t packedBytes(int64_t numel, int bits);

std::vector<SentTensor> packedInputs(const std::string& t, int bits, int64_t numel);
std::vector<SentTensor> appendEncodeBits(onnx::GraphProto& g, const std::string& t, int bits,
                                         const std::vector<int64_t>& shape, int64_t opset);
void appendDecodeBits(onnx::GraphProto& g, const std::string& t, int bits, const std::vector<int64_t>& shape,
                      int64_t opset);

// The same arithmetic in C++ (float32, operation by operation, as the ops
// above): the tests' reference and the planner's estimates.
struct PackedTensor {
  std::vector<uint8_t> bytes;
  float lo = 0, scale = 0;
};
PackedTensor packReference(const std::vector<float>& x, int bits);
std::vector<float> unpackReference(const PackedTensor& p, int bits, int64_t numel);

}  // namespace onnxcut
