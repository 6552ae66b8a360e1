// The planning graph: what every solver sees of a model, with no ONNX in it
// (STYLE.md: ModelView -> PlanGraph -> FlowNetwork -> Plan).
//
// Nodes are numbered 0..num_nodes-1 in graph (topological) order. Tensors are
// the data tensors that matter for a split: graph inputs (produced by the
// device) and node outputs that some node reads or that are graph outputs.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace onnxcut {

struct PlanTensor {
  int producer = -1;           // node index, or -1 for a graph input
  std::vector<int> consumers;  // node indices, ascending, unique
  double bytes = 0;            // numel x element size (when known)
  bool size_known = true;      // false: can't be sent (cost-model.md)
  bool is_float32 = false;     // sent at the transfer precision when true
  bool is_output = false;      // a graph output
};

struct PlanGraph {
  int num_nodes = 0;
  std::vector<PlanTensor> tensors;
};

// Per node, the tensors it reads and makes (ascending tensor indices): the
// one place that turns the tensor-centred graph around.
struct NodeEdges {
  std::vector<std::vector<int>> in, out;
};
NodeEdges nodeEdges(const PlanGraph& g);

// Per node, its descendants (itself included) as a bitset of
// descendantWords(g) words: node v's set is words [v·W, (v+1)·W), bit u of
// word u / 64. n^2 / 8 bytes in all. Nodes must be in topological order.
size_t descendantWords(const PlanGraph& g);
std::vector<uint64_t> descendantBits(const PlanGraph& g, const NodeEdges& edges);

// Transfer precision of the cut tensors. `mixed`: each cut tensor has its own
// bit width (docs/precision.md); never a table request's precision.
enum class Precision { fp32, fp16, int8, mixed };

const char* toString(Precision p);
// Throws InputError naming the allowed values.
Precision parsePrecision(const std::string& s);
// Bytes sent for a tensor at precision p (cost-model.md `bytes_p`); mixed:
// the full size (a mixed plan's bytes come from its widths, sentBytesBits).
double sentBytes(const PlanTensor& t, Precision p);
// Bytes sent for a tensor at width `bits` (32, 16, or packed 8/6/4/2:
// ceil(numel / k) x B, docs/precision.md); non-float tensors as they are.
double sentBytesBits(const PlanTensor& t, int bits);

// The widths a cut tensor can travel at (docs/precision.md).
inline constexpr int kTransferBits[] = {32, 16, 8, 6, 4, 2};
bool validTransferBits(int bits);
// Packing of widths 8, 6, 4, 2: `values` of them go into `bytes` bytes.
struct PackGroup {
  int values = 1, bytes = 1;
};
// Throws std::invalid_argument for any other width.
PackGroup packGroup(int bits);

// A plan: on_device[v] != 0 for nodes that run on the device.
using DeviceSet = std::vector<char>;

// Node keys (cost-model.md) with their index, built once per model: how
// costs files, pins and messages name nodes.
class NodeKeys {
 public:
  NodeKeys() = default;
  explicit NodeKeys(std::vector<std::string> keys);
  const std::vector<std::string>& names() const { return names_; }
  int size() const { return static_cast<int>(names_.size()); }
  bool empty() const { return names_.empty(); }
  // The key of node v, or "#v" when there are no keys (synthetic graphs).
  std::string name(int v) const;
  std::optional<int> find(const std::string& key) const;

 private:
  std::vector<std::string> names_;
  std::map<std::string, int> index_;
};

}  // namespace onnxcut
