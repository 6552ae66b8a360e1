#include "plan_graph.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>

#include "errors.h"

namespace onnxcut {

const char* toString(Precision p) {
  switch (p) {
    case Precision::fp32: return "fp32";
    case Precision::fp16: return "fp16";
    case Precision::int8: return "int8";
    case Precision::mixed: return "mixed";
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
    case Precision::mixed: return t.bytes;
  }
  return t.bytes;
}

double sentBytesBits(const PlanTensor& t, int bits) {
  if (!t.is_float32 || bits >= 32) return t.bytes;
  if (bits == 16) return t.bytes * 0.5;
  const PackGroup g = packGroup(bits);
  return std::ceil(t.bytes / 4 / g.values) * g.bytes;
}

bool validTransferBits(int bits) {
  return std::find(std::begin(kTransferBits), std::end(kTransferBits), bits) != std::end(kTransferBits);
}

PackGroup packGroup(int bits) {
  switch (bits) {
    case 8: return {1, 1};
    case 6: return {4, 3};
    case 4: return {2, 1};
    case 2: return {4, 1};
    default: throw std::invalid_argument("packGroup: no packing for " + std::to_string(bits) + " bits");
  }
}

NodeEdges nodeEdges(const PlanGraph& g) {
  NodeEdges e{std::vector<std::vector<int>>(g.num_nodes), std::vector<std::vector<int>>(g.num_nodes)};
  for (int t = 0; t < static_cast<int>(g.tensors.size()); ++t) {
    for (int c : g.tensors[t].consumers) e.in[c].push_back(t);
    if (g.tensors[t].producer >= 0) e.out[g.tensors[t].producer].push_back(t);
  }
  return e;
}

size_t descendantWords(const PlanGraph& g) { return (static_cast<size_t>(g.num_nodes) + 63) / 64; }

std::vector<uint64_t> descendantBits(const PlanGraph& g, const NodeEdges& edges) {
  const size_t words = descendantWords(g);
  std::vector<uint64_t> desc(static_cast<size_t>(g.num_nodes) * words, 0);
  for (int v = g.num_nodes - 1; v >= 0; --v) {
    uint64_t* d = &desc[v * words];
    d[v / 64] |= 1ULL << (v % 64);
    for (int t : edges.out[v])
      for (int r : g.tensors[t].consumers)
        for (size_t w = 0; w < words; ++w) d[w] |= desc[r * words + w];
  }
  return desc;
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
