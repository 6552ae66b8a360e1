// FLOPs and bytes per node (see analytic.h). Conventions: a multiply-add is
// 2 FLOPs; a bias add is 1 per output element; activations count the
// arithmetic of their usual implementation (sigmoid/tanh 4, softmax 5 per
// element); data movement ops count 0 FLOPs and their bytes.
#include "analytic.h"

#include <onnx/onnx_pb.h>

#include <cstring>
#include <map>
#include <optional>
#include <numeric>
#include <set>

namespace onnxcut {
namespace {

double numel(const std::optional<std::vector<int64_t>>& s) {
  if (!s) return 0;
  return std::accumulate(s->begin(), s->end(), 1.0, [](double a, int64_t d) { return a * static_cast<double>(d); });
}

int64_t intAttr(const onnx::NodeProto& n, const char* name, int64_t def) {
  for (const auto& a : n.attribute())
    if (a.name() == name && a.has_i()) return a.i();
  return def;
}
std::vector<int64_t> intsAttr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return {a.ints().begin(), a.ints().end()};
  return {};
}
std::string strAttr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.s();
  return "";
}

// The value of a one-element float/double constant (initializer or Constant
// node output), if `name` is one.
std::optional<double> scalarConstant(const onnx::GraphProto& g, const std::string& name) {
  auto fromTensor = [](const onnx::TensorProto& t) -> std::optional<double> {
    int64_t n = 1;
    for (auto d : t.dims()) n *= d;
    if (n != 1) return std::nullopt;
    if (t.data_type() == onnx::TensorProto::FLOAT) {
      if (t.float_data_size() == 1) return t.float_data(0);
      if (t.raw_data().size() == sizeof(float)) { float f; std::memcpy(&f, t.raw_data().data(), sizeof f); return f; }
    } else if (t.data_type() == onnx::TensorProto::DOUBLE) {
      if (t.double_data_size() == 1) return t.double_data(0);
      if (t.raw_data().size() == sizeof(double)) { double d; std::memcpy(&d, t.raw_data().data(), sizeof d); return d; }
    }
    return std::nullopt;
  };
  for (const auto& t : g.initializer())
    if (t.name() == name) return fromTensor(t);
  for (const auto& n : g.node())
    if (n.op_type() == "Constant" && n.output_size() == 1 && n.output(0) == name)
      for (const auto& a : n.attribute())
        if (a.name() == "value" && a.has_t()) return fromTensor(a.t());
  return std::nullopt;
}

// FLOPs per output element of elementwise ops (and activations).
const std::map<std::string, double>& unaryCost() {
  static const std::map<std::string, double> m = {
      {"Relu", 1}, {"LeakyRelu", 2}, {"PRelu", 2}, {"Clip", 2}, {"Abs", 1}, {"Neg", 1}, {"Floor", 1},
      {"Ceil", 1}, {"Round", 1}, {"Sign", 1}, {"Reciprocal", 1}, {"Sqrt", 1}, {"Exp", 1}, {"Log", 1},
      {"Sigmoid", 4}, {"Tanh", 4}, {"HardSigmoid", 3}, {"HardSwish", 4}, {"Elu", 4}, {"Selu", 5},
      {"Softplus", 3}, {"Softsign", 3}, {"Erf", 4}, {"Mish", 6}, {"Not", 1}, {"IsNaN", 1}, {"Cast", 1},
      {"ThresholdedRelu", 1}, {"Celu", 4}, {"Gelu", 8}};
  return m;
}
const std::set<std::string>& binaryOps() {
  static const std::set<std::string> s = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean",
                                          "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual",
                                          "And", "Or", "Xor", "Where", "Mod", "BitShift"};
  return s;
}
const std::set<std::string>& movementOps() {
  static const std::set<std::string> s = {"Concat", "Split", "Slice", "Transpose", "Gather", "GatherElements",
                                          "GatherND", "Pad", "Tile", "Expand", "DepthToSpace", "SpaceToDepth",
                                          "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout",
                                          "Shape", "Size", "ScatterND", "ScatterElements", "ConstantOfShape",
                                          "Range", "NonZero", "TopK", "ArgMax", "ArgMin", "OneHot"};
  return s;
}

}  // namespace

const char* toString(OpClass c) {
  switch (c) {
    case OpClass::conv: return "conv";
    case OpClass::depthwise_conv: return "depthwise_conv";
    case OpClass::gemm: return "gemm";
    case OpClass::pool: return "pool";
    case OpClass::norm: return "norm";
    case OpClass::elementwise: return "elementwise";
    case OpClass::data_movement: return "data_movement";
    case OpClass::other: return "other";
  }
  return "other";
}

std::vector<NodeWork> analyzeNodes(const ModelView& mv) {
  std::vector<NodeWork> out;
  const auto& g = mv.model().graph();
  for (const auto& info : mv.nodes()) {
    const onnx::NodeProto& n = g.node(info.proto_index);
    NodeWork w;
    auto shape = [&](int i) { return i < n.input_size() && !n.input(i).empty() ? mv.shapeOf(n.input(i)) : std::nullopt; };
    auto bytesOf = [&](const std::string& name) { return numel(mv.shapeOf(name)) * std::max(1, elementSize(mv.elemTypeOf(name))); };
    for (const auto& i : n.input()) if (!i.empty()) w.bytes += bytesOf(i);
    double out_numel = 0;
    for (const auto& o : n.output()) if (!o.empty()) { w.bytes += bytesOf(o); out_numel += numel(mv.shapeOf(o)); }
    // ONNX Runtime's fused ops cost what the op they extend costs.
    static const std::map<std::string, std::string> kFused = {
        {"FusedConv", "Conv"}, {"DeformConv", "Conv"}, {"FusedGemm", "Gemm"}, {"FusedMatMul", "MatMul"},
        {"QuickGelu", "Gelu"}, {"FastGelu", "Gelu"}, {"BiasGelu", "Gelu"}};
    const auto alias = kFused.find(n.op_type());
    const std::string& op = alias != kFused.end() ? alias->second : n.op_type();
    const auto x = shape(0), wt = shape(1);
    if (op == "Conv" && wt && wt->size() >= 3) {
      const double per_out = 2.0 * numel(wt) / static_cast<double>((*wt)[0]);  // (Cin/g)·k… per output channel
      w.flops = out_numel * per_out + (n.input_size() > 2 ? out_numel : 0);
      const int64_t group = intAttr(n, "group", 1);
      w.cls = group > 1 && (*wt)[1] == 1 ? OpClass::depthwise_conv : OpClass::conv;
      if (w.cls == OpClass::depthwise_conv) w.windows = out_numel;
    } else if (op == "ConvTranspose" && wt && x && wt->size() >= 3) {
      // W is [Cin, Cout/group, k...]: each input element feeds (Cout/g)·k MACs.
      double k = 1;
      for (size_t i = 2; i < wt->size(); ++i) k *= static_cast<double>((*wt)[i]);
      w.flops = 2.0 * numel(x) * static_cast<double>((*wt)[1]) * k + (n.input_size() > 2 ? out_numel : 0);
      w.cls = OpClass::conv;
    } else if (op == "Gemm" && x && x->size() == 2) {
      const double k = static_cast<double>(intAttr(n, "transA", 0) ? (*x)[0] : (*x)[1]);
      w.flops = 2.0 * out_numel * k + (n.input_size() > 2 ? out_numel : 0);
      w.cls = OpClass::gemm;
    } else if (op == "MatMul" && x && !x->empty()) {
      w.flops = 2.0 * out_numel * static_cast<double>(x->back());
      w.cls = OpClass::gemm;
    } else if (op == "MaxPool" || op == "AveragePool" || op == "LpPool") {
      double k = 1;
      for (auto d : intsAttr(n, "kernel_shape")) k *= static_cast<double>(d);
      w.flops = out_numel * k;
      w.windows = out_numel;
      w.cls = OpClass::pool;
    } else if (op == "GlobalAveragePool" || op == "GlobalMaxPool") {
      w.flops = numel(x);
      w.windows = out_numel;
      w.cls = OpClass::pool;
    } else if (op == "BatchNormalization") {
      w.flops = 2 * out_numel;
      w.cls = OpClass::norm;
    } else if (op == "InstanceNormalization" || op == "LayerNormalization" || op == "GroupNormalization") {
      w.flops = 5 * out_numel;
      w.cls = OpClass::norm;
    } else if (op == "LRN") {
      w.flops = out_numel * (static_cast<double>(intAttr(n, "size", 5)) + 3);
      w.transcendentals = out_numel;  // the power -beta of every element's scale
      w.cls = OpClass::norm;
    } else if (op == "Softmax" || op == "LogSoftmax") {
      w.flops = 5 * out_numel;
      w.cls = OpClass::elementwise;
    } else if (op == "Resize" || op == "Upsample") {
      const std::string mode = strAttr(n, "mode");
      w.flops = out_numel * (mode == "linear" || mode == "bilinear" ? 4 : mode == "cubic" ? 16 : 1);
      w.cls = OpClass::data_movement;
    } else if (op.rfind("Reduce", 0) == 0) {
      w.flops = numel(x);
      w.cls = OpClass::elementwise;
    } else if (op == "Pow") {
      // Exponents 1, 2, 3 and 0.5 are multiplications or a square root
      // (kernels special-case them); any other exponent is a pow call.
      w.flops = out_numel;
      const auto e = n.input_size() > 1 ? scalarConstant(g, n.input(1)) : std::nullopt;
      if (!(e && (*e == 1 || *e == 2 || *e == 3 || *e == 0.5))) w.transcendentals = out_numel;
      w.cls = OpClass::elementwise;
    } else if (binaryOps().count(op)) {
      w.flops = out_numel * std::max(1, n.input_size() - 1);
      w.cls = OpClass::elementwise;
    } else if (auto it = unaryCost().find(op); it != unaryCost().end()) {
      w.flops = out_numel * it->second;
      w.cls = OpClass::elementwise;
    } else if (movementOps().count(op)) {
      w.flops = 0;
      w.cls = OpClass::data_movement;
    } else {
      // Unknown op: one FLOP per output element, all bytes moved, reported.
      w.flops = out_numel;
      w.cls = OpClass::other;
      w.modelled = false;
    }
    out.push_back(w);
  }
  return out;
}

std::vector<std::pair<std::string, int>> unmodelledOps(const ModelView& mv, const std::vector<NodeWork>& w) {
  std::map<std::string, int> count;
  for (size_t v = 0; v < w.size(); ++v)
    if (!w[v].modelled) ++count[mv.nodes()[v].op_type];
  return {count.begin(), count.end()};
}

}  // namespace onnxcut
