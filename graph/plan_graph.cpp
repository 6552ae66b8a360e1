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

NodeEdges nodeEdges(const PlanGraph& g) {
  NodeEdges e{std::vector<std::vector<int>>(g.num_nodes), std::vector<std::vector<int>>(g.num_nodes)};
  for (int t = 0; t < static_cast<int>(g.tensors.size()); ++t) {
    for (int c : g.tensors[t].consumers) e.in[c].push_back(t);
    if (g.tensors[t].producer >= 0) e.out[g.tensors[t].producer].push_back(t);
  }
  return e;
}

NodeKeys::NodeKeys(std::vector<std::string> keys) : names_(std::move(keys)) {
  for (int v = 0; v < size(); ++v) index_.emplace(names_[v], v);
}

std::string NodeKeys::name(int v) const {
  return v >= 0 && v < size() ? names_[v] : "#" + std::to_string(v);
}

std::optional<int> NodeKeys::find(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? std::nullopt : std::optional<int>(it->second);
}

}  // namespace onnxcut
