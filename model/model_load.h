// Loading and checking an ONNX file before it is indexed: the file itself,
// its header (IR version, opsets), its structure (every tensor produced once,
// before it is read), fixing input dims, and shape inference.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "model_view.h"

namespace onnx {
class ModelProto;
class NodeProto;
class TypeProto;
class TensorProto;
class ValueInfoProto;
}  // namespace onnx

namespace onnxcut {

// The newest IR version and default-domain opset onnxcut reads: what the
// pinned ONNX Runtime (1.22) runs. ONNX 1.12's own analysis stops at IR 8 /
// opset 17; newer models are analysed through lowering.h.
constexpr int64_t kMaxIrVersion = 10;
constexpr int64_t kMaxOpset = 22;
// Opset imports arrived with IR version 3.
constexpr int64_t kMinIrVersion = 3;

// Returns the SHA-256 of the file's bytes (hashed while they are parsed).
std::string readModelFile(const std::string& path, onnx::ModelProto& out);
void checkHeader(const onnx::ModelProto& m, const std::string& label);
void checkStructure(const onnx::ModelProto& m, const std::string& label);
// Attribute values ONNX's shape rules divide by or index with: strides,
// dilations, kernel_shape, group >= 1; pads, output_padding >= 0.
void checkAttributeValues(const onnx::ModelProto& m, const std::string& label);
// Every default-domain node against its ONNX schema (inputs, outputs,
// attributes: the ONNX checker's check_node); throws InputError naming them.
void checkNodeSchemas(const onnx::ModelProto& m, const std::string& label);
// Every tensor's data matches its dims and type (non-negative dims, the
// product fits, raw_data of the exact length, as many typed values as
// elements), before ONNX's own code reads any of it.
void checkTensorData(const onnx::ModelProto& m, const std::string& label);
// Weights stored outside the file (external data) must be in files inside
// the model's folder (like ONNX Runtime: no absolute path, no '..', no link
// out), exist, and hold the bytes the model says; throws InputError naming
// every offending initializer.
void checkExternalData(const onnx::ModelProto& m, const std::string& model_path);
// Fixes unknown or symbolic dims of the real graph inputs (not initializers):
// the user's --input-shape, else 1. Every dim so fixed at 1 is appended to
// `dynamic` when given.
void fixInputShapes(onnx::ModelProto& m, const std::vector<InputShape>& shapes,
                    const std::string& label, bool skip_absent = false,
                    std::vector<DynamicDim>* dynamic = nullptr);
// Clears the data of weights larger than kMaxFoldElements (shape inference
// needs only their types and dims): the copy inference works on stays small.
void stripLargeInitializers(onnx::ModelProto& m);
// Shape inference with data propagation; symbolic dims elsewhere are cleared
// first so that only what follows from the fixed inputs remains.
void inferShapes(onnx::ModelProto& m, const std::string& label, std::vector<std::string>& warnings);
// A tensor type's fully static dims (every dim a non-negative value), or
// nullopt (no shape, a symbolic or missing dim, not a tensor).
std::optional<std::vector<int64_t>> staticShape(const onnx::TypeProto* type);
// Sets `out` to a tensor's name, element type and dims (the value_info a
// constant tensor would have).
void typeOfTensor(const onnx::TensorProto& t, onnx::ValueInfoProto& out);
// Names a node reads: its inputs, then outer-scope names its sub-graphs use.
std::vector<std::string> nodeReads(const onnx::NodeProto& n);
std::string describeNode(const onnx::NodeProto& n, int index);

}  // namespace onnxcut
