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

// Throws InputError when the precision needs ops the model's opset lacks.
SplitResult splitModel(const ModelView& mv, const SplitRequest& req);

// Names the sent form of a cut tensor takes at a precision (what the head
// outputs and the tail reads): the tensor itself at fp32 or for non-float
// tensors; "<t>__fp16"; "<t>__q", "<t>__scale", "<t>__zp" for int8.
std::vector<std::string> sentNames(const TensorInfo& t, Precision p);

// Deterministic serialization (byte-identical for identical inputs).
std::string serializeModel(const onnx::ModelProto& m);
void serializeModel(const onnx::ModelProto& m, std::ostream& out);

}  // namespace onnxcut
