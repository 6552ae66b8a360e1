#include "precision_ops.h"

#include <onnx/onnx_pb.h>

#include <initializer_list>

namespace onnxcut {
namespace {

using onnx::TensorProto;

struct NodeMaker {
  onnx::GraphProto& g;
  std::string prefix;  // node names: "onnxcut/<t>/<op>"

  onnx::NodeProto& add(const std::string& op, std::initializer_list<std::string> in,
                       std::initializer_list<std::string> out) {
    auto* n = g.add_node();
    n->set_op_type(op);
    n->set_name(prefix + "/" + op + "_" + std::to_string(g.node_size()));
    for (const auto& i : in) n->add_input(i);
    for (const auto& o : out) n->add_output(o);
    return *n;
  }
  static void intAttr(onnx::NodeProto& n, const std::string& name, int64_t v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void floatAttr(onnx::NodeProto& n, const std::string& name, float v) {
    auto* a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  std::string scalar(const std::string& name, float v) {
    auto& n = add("Constant", {}, {name});
    auto* a = n.add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(TensorProto::FLOAT);
    a->mutable_t()->add_float_data(v);
    return name;
  }
};

// round-half-up then clamp to [0, 255]: Floor(x + 0.5), Clip.
std::string roundClip(NodeMaker& m, const std::string& x, const std::string& half, const std::string& base) {
  m.add("Add", {x, half}, {base + "_h"});
  m.add("Floor", {base + "_h"}, {base + "_r"});
  auto& c = m.add("Clip", {base + "_r"}, {base + "_c"});
  NodeMaker::floatAttr(c, "min", 0.0f);
  NodeMaker::floatAttr(c, "max", 255.0f);
  return base + "_c";
}

}  // namespace

onnx::TypeProto SentTensor::type(const onnx::TypeProto& original) const {
  onnx::TypeProto t;
  auto* tt = t.mutable_tensor_type();
  tt->set_elem_type(elem_type);
  if (scalar) tt->mutable_shape();
  else if (original.has_tensor_type() && original.tensor_type().has_shape())
    *tt->mutable_shape() = original.tensor_type().shape();
  return t;
}

std::vector<SentTensor> decodeInputs(const std::string& t, Precision p) {
  if (p == Precision::fp16) return {{t + "__fp16", TensorProto::FLOAT16, false}};
  return {{t + "__q", TensorProto::UINT8, false},
          {t + "__scale", TensorProto::FLOAT, true},
          {t + "__zp", TensorProto::UINT8, true}};
}

std::vector<SentTensor> appendEncode(onnx::GraphProto& g, const std::string& t, Precision p, int64_t opset) {
  NodeMaker m{g, "onnxcut/" + t};
  const auto sent = decodeInputs(t, p);
  if (p == Precision::fp16) {
    NodeMaker::intAttr(m.add("Cast", {t}, {sent[0].name}), "to", TensorProto::FLOAT16);
    return sent;
  }
  if (opset >= kDynamicQuantizeOpset) {
    m.add("DynamicQuantizeLinear", {t}, {sent[0].name, sent[1].name, sent[2].name});
    return sent;
  }
  // DynamicQuantizeLinear's definition with opset-7 ops:
  //   lo = min(0, min(t)), hi = max(0, max(t)), scale = (hi - lo) / 255
  //   zp = clip(round(-lo / scale), 0, 255), q = clip(round(t / scale) + zp, 0, 255)
  // scale is kept >= 1e-30 so an all-zero tensor does not divide by zero.
  const std::string b = t + "__onnxcut";
  const std::string zero = m.scalar(b + "_zero", 0.0f), half = m.scalar(b + "_half", 0.5f);
  const std::string c255 = m.scalar(b + "_255", 255.0f), tiny = m.scalar(b + "_tiny", 1e-30f);
  NodeMaker::intAttr(m.add("ReduceMin", {t}, {b + "_min"}), "keepdims", 0);
  NodeMaker::intAttr(m.add("ReduceMax", {t}, {b + "_max"}), "keepdims", 0);
  m.add("Min", {b + "_min", zero}, {b + "_lo"});
  m.add("Max", {b + "_max", zero}, {b + "_hi"});
  m.add("Sub", {b + "_hi", b + "_lo"}, {b + "_range"});
  m.add("Div", {b + "_range", c255}, {b + "_s0"});
  m.add("Max", {b + "_s0", tiny}, {sent[1].name});
  m.add("Div", {b + "_lo", sent[1].name}, {b + "_los"});
  m.add("Sub", {zero, b + "_los"}, {b + "_zf"});
  const std::string zp = roundClip(m, b + "_zf", half, b + "_zp");
  NodeMaker::intAttr(m.add("Cast", {zp}, {sent[2].name}), "to", TensorProto::UINT8);
  m.add("Div", {t, sent[1].name}, {b + "_x"});
  m.add("Add", {b + "_x", half}, {b + "_xh"});
  m.add("Floor", {b + "_xh"}, {b + "_xr"});
  m.add("Add", {b + "_xr", zp}, {b + "_xq"});
  auto& c = m.add("Clip", {b + "_xq"}, {b + "_qc"});
  NodeMaker::floatAttr(c, "min", 0.0f);
  NodeMaker::floatAttr(c, "max", 255.0f);
  NodeMaker::intAttr(m.add("Cast", {b + "_qc"}, {sent[0].name}), "to", TensorProto::UINT8);
  return sent;
}

void appendDecode(onnx::GraphProto& g, const std::string& t, Precision p, int64_t opset) {
  NodeMaker m{g, "onnxcut/" + t};
  const auto in = decodeInputs(t, p);
  if (p == Precision::fp16) {
    NodeMaker::intAttr(m.add("Cast", {in[0].name}, {t}), "to", TensorProto::FLOAT);
    return;
  }
  if (opset >= kDynamicQuantizeOpset) {
    m.add("DequantizeLinear", {in[0].name, in[1].name, in[2].name}, {t});
    return;
  }
  const std::string b = t + "__onnxcut";
  NodeMaker::intAttr(m.add("Cast", {in[0].name}, {b + "_qf"}), "to", TensorProto::FLOAT);
  NodeMaker::intAttr(m.add("Cast", {in[2].name}, {b + "_zpf"}), "to", TensorProto::FLOAT);
  m.add("Sub", {b + "_qf", b + "_zpf"}, {b + "_d"});
  m.add("Mul", {b + "_d", in[1].name}, {t});
}

}  // namespace onnxcut
