// A read-only index over an ONNX model, following ../shared/spec/cost-model.md:
// planning nodes vs constants, node keys, data tensors with sizes, producers
// and consumers. Every later stage reads models through it.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "plan_graph.h"

namespace onnx {
class ModelProto;
class TypeProto;
}

namespace onnxcut {

struct InputShape {
  std::string name;
  std::vector<int64_t> dims;
};
// Parses NAME=1x3x224x224; throws InputError.
InputShape parseInputShape(const std::string& spec);

// An input dim the model leaves unknown or symbolic, fixed at 1 because the
// user gave no --input-shape for it (axis -1: the input has no shape at all),
// or a symbolic batch the user sized (given).
struct DynamicDim {
  std::string input;
  int axis = 0;
  std::string param;   // the model's dim_param, "" when the dim is just unknown
  bool batch = false;  // the leading dim of a rank >= 2 input
  bool given = false;  // sized by --input-shape (a batch that stays symbolic)
};

struct LoadOptions {
  std::vector<InputShape> input_shapes;  // overrides for graph inputs
  // Shapes naming no input of this model are skipped instead of refused
  // (one set of --input-shape for several models).
  bool skip_absent_inputs = false;
  // For planning: refuse (InputError) an unknown non-batch input dim, an
  // input without a shape, and ops of other domains whose outputs have no
  // size, instead of warning (docs/model-view.md, "Dynamic dims").
  bool require_sizes = false;
};

struct TensorInfo {
  std::string name;
  int32_t elem_type = 0;                      // onnx::TensorProto_DataType
  std::optional<std::vector<int64_t>> shape;  // fully static shape, if known
  std::optional<int64_t> bytes;               // numel x element size, if known
  int producer = -1;                          // planning node, -1 for a graph input
  std::vector<int> consumers;                 // planning nodes, ascending
  bool is_graph_input = false;
  bool is_graph_output = false;
};

struct NodeInfo {
  std::string key;      // name if unique and non-empty, else first output
  std::string op_type;
  std::string domain;
  int proto_index = 0;  // position in graph().node()
  std::vector<int> inputs;   // data tensors read (incl. by sub-graphs)
  std::vector<int> outputs;  // data tensors produced
};

// One file of a model: the .onnx itself, then its external data files.
struct ModelFile {
  std::string path;  // relative to the model's folder
  std::string sha256;
  int64_t bytes = 0;
};

class ModelView {
 public:
  // Throws InputError naming the file and the offending node or tensor.
  static ModelView load(const std::string& path, const LoadOptions& opt = {});
  // `label` names the model in messages (a file name, "<test>").
  static ModelView fromProto(const onnx::ModelProto& model, const std::string& label,
                             const LoadOptions& opt = {});
  // The same, taking ownership (no copy of the weights).
  static ModelView fromProto(onnx::ModelProto&& model, const std::string& label,
                             const LoadOptions& opt = {});

  // The model as loaded, with its input dims fixed (what codegen rewrites).
  const onnx::ModelProto& model() const { return *model_; }
  // The same after shape inference (value_info filled in), with the data
  // of large weights cleared: use it for types, model() for contents.
  const onnx::ModelProto& inferred() const { return *inferred_; }
  const std::string& label() const { return label_; }

  const std::vector<NodeInfo>& nodes() const { return nodes_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::vector<int>& graphInputs() const { return inputs_; }    // tensor indices
  const std::vector<int>& graphOutputs() const { return outputs_; }  // tensor indices
  // Proto indices of the constant nodes (initializer-only computations).
  const std::vector<int>& constantNodes() const { return constant_nodes_; }
  int totalNodes() const;
  std::map<std::string, int> opHistogram() const;  // all nodes
  // Tensors a plan would need to send or return whose size is unknown.
  std::vector<int> unknownSizeTensors() const;
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Input dims fixed at 1 for want of a size (none when every dim is known).
  const std::vector<DynamicDim>& dynamicDims() const { return dynamic_; }
  // How split files declare a tensor's dims when the model has a symbolic
  // batch: per axis, the batch's dim_param where the dim follows the batch,
  // "?" where it changes with the batch otherwise, "" where it is fixed.
  // Empty when the tensor does not depend on the batch (or the batch is not
  // free: the model does not run at another batch).
  std::vector<std::string> dimParams(const std::string& name) const;
  // The same applied to a type (a copy of inferred()'s).
  void applyDimParams(const std::string& name, onnx::TypeProto& type) const;

  // Static shape and element type of any tensor, constants included
  // (weights, generated weights); nullopt when unknown.
  std::optional<std::vector<int64_t>> shapeOf(const std::string& name) const;
  int32_t elemTypeOf(const std::string& name) const;

  std::optional<int> findNode(const std::string& key) const;
  std::optional<int> findTensor(const std::string& name) const;
  const NodeKeys& nodeKeys() const { return keys_; }
  // The model's identity as read by load() (empty from fromProto): the
  // SHA-256 of the .onnx file, or, with external data, of a manifest of
  // every file ("<sha256>  <path>" lines, the .onnx first, then the data
  // files sorted), as files() lists them.
  const std::string& sha256() const { return sha256_; }
  const std::vector<ModelFile>& files() const { return files_; }
  // The folder external data locations are relative to ("." by default).
  const std::string& baseDir() const { return base_dir_; }

  // What the solvers see; tensor indices equal those of tensors().
  PlanGraph planGraph() const;

 private:
  ModelView() = default;
  void index(const LoadOptions& opt);
  void reportDynamicDims(const LoadOptions& opt);
  void probeBatch();

  std::shared_ptr<onnx::ModelProto> model_, inferred_;
  std::string label_;
  std::vector<NodeInfo> nodes_;
  std::vector<TensorInfo> tensors_;
  std::vector<int> inputs_, outputs_, constant_nodes_;
  std::vector<std::string> warnings_;
  std::vector<DynamicDim> dynamic_;
  std::map<std::string, std::vector<std::string>> dim_params_;
  std::map<std::string, int> tensor_index_;
  NodeKeys keys_;
  std::string sha256_;
  std::vector<ModelFile> files_;
  std::string base_dir_ = ".";
};

// Data types of IR 9/10 that ONNX 1.12's TensorProto enum does not name.
constexpr int32_t kFloat8E4M3FN = 17, kFloat8E4M3FNUZ = 18, kFloat8E5M2 = 19, kFloat8E5M2FNUZ = 20;
constexpr int32_t kUint4 = 21, kInt4 = 22;

// Element size in bytes of an ONNX data type; 0 when not a whole number of
// bytes or not fixed (strings, 4-bit types: such tensors are never cut).
int elementSize(int32_t elem_type);
// "float32", "int64", ... as in plan tables.
std::string dtypeName(int32_t elem_type);

}  // namespace onnxcut
