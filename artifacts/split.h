// Splits a model into the device head and the cloud tail of a plan.
//
//   original:  x -> A -> t -> B -> y        plan: D = {A}, cut = [t]
//   head:      x -> A -> t  [-> Cast(fp16) -> t__fp16]          outputs: t (or t__fp16)
//   tail:      t [or t__fp16 -> Cast(float) -> t] -> B -> y     outputs: y
//
// Each side gets exactly the initializers and constant sub-graphs its nodes
// need (shared ones are copied to both); Shape/Size of a statically shaped
// tensor become Constant nodes, so a side never needs a tensor it doesn't
// have. Opset, IR version, names, doc strings and metadata are kept; a
// metadata_props entry links each file to the plan and the model hash.
#pragma once
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "model_view.h"

namespace onnx {
class ModelProto;
}

namespace onnxcut {

struct SplitRequest {
  int plan_id = 0;
  DeviceSet device;
  Precision precision = Precision::fp32;
  std::vector<int> cut;  // tensors sent up, in graph order
  std::string model_sha256;
  // precision == mixed: the width of each cut tensor (parallel to `cut`,
  // from kTransferBits; widths below 16 need a static shape).
  std::vector<int> bits;
};

struct SplitResult {
  std::unique_ptr<onnx::ModelProto> head;  // null: no head (all-cloud at fp32)
  std::unique_ptr<onnx::ModelProto> tail;  // null: no tail (all-device)
  // The model has a symbolic batch but a side needed the shape of a
  // batch-dependent tensor it does not have: written as a constant, so these
  // files run at batch 1 only.
  bool batch_fixed = false;
  SplitResult();
  SplitResult(SplitResult&&) noexcept;
  ~SplitResult();
};

// What each side of a plan reads and writes (the deployment manifest of
// plan-table.json, docs/plan-table.md): computed from the plan alone, and the
// one list splitModel() builds the files' inputs and outputs from, so the
// table and the files cannot disagree.
struct PortTensor {
  std::string name;       // as in the split file
  int32_t elem_type = 0;  // onnx::TensorProto data type
  int tensor = -1;        // the model tensor it carries (index in mv.tensors())
  // "raw" (the tensor itself), "fp16", "int8_q", "int8_scale", "int8_zero_point",
  // "packed" (bits 8/6/4/2, 1-D uint8), "packed_lo", "packed_scale"
  std::string encoding = "raw";
  bool scalar = false;    // a scale or zero point: shape []
  int bits = 0;           // packed: the width
  int64_t length = -1;    // packed: its bytes
};
struct SplitInterface {
  bool has_head = false, has_tail = false;
  std::vector<PortTensor> head_inputs, head_outputs, tail_inputs, tail_outputs;
  // What travels up: the tail's inputs (empty for an all-device plan).
  const std::vector<PortTensor>& wire() const { return tail_inputs; }
  // Graph outputs (tensor indices, graph order) by the side computing them.
  std::vector<int> device_outputs, cloud_outputs;
};
SplitInterface splitInterface(const ModelView& mv, const SplitRequest& req);

// Throws InputError when the precision needs ops the model's opset lacks.
SplitResult splitModel(const ModelView& mv, const SplitRequest& req);

// Names the sent form of a cut tensor takes at a precision (what the head
// outputs and the tail reads): the tensor itself at fp32 or for non-float
// tensors; "<t>__fp16"; "<t>__q", "<t>__scale", "<t>__zp" for int8.
std::vector<std::string> sentNames(const TensorInfo& t, Precision p);

// Checks a mixed request's widths against the model; throws InputError.
void checkTransferBits(const ModelView& mv, const SplitRequest& req);

// Deterministic serialization (byte-identical for identical inputs).
std::string serializeModel(const onnx::ModelProto& m);
void serializeModel(const onnx::ModelProto& m, std::ostream& out);

}  // namespace onnxcut
