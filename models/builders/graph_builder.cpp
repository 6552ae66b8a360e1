#include "graph_builder.h"

#include <cmath>

namespace onnxcut::models {
namespace {

void intsAttr(onnx::NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}
void intAttr(onnx::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void floatAttr(onnx::NodeProto& n, const std::string& name, float v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

}  // namespace

GraphBuilder::GraphBuilder(const std::string& name, Weights mode, uint64_t seed) : mode_(mode), rng_(seed) {
  model_.set_ir_version(8);
  model_.set_producer_name("onnxcut models/builders");
  model_.set_doc_string(name + (mode == Weights::light ? " (light: generated weights)" : " (random seeded weights)"));
  auto* op = model_.add_opset_import();
  op->set_domain("");
  op->set_version(13);
  g_ = model_.mutable_graph();
  g_->set_name(name);
}

std::string GraphBuilder::fresh(const std::string& stem) { return stem + "_" + std::to_string(++counter_); }

onnx::NodeProto& GraphBuilder::node(const std::string& op, const std::vector<std::string>& in, const std::string& out,
                                    const std::string& name) {
  auto* n = g_->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : in) n->add_input(i);
  n->add_output(out);
  return *n;
}

std::string GraphBuilder::weight(const std::string& stem, std::vector<int64_t> dims, double fan_in, float constant) {
  const std::string name = stem;
  int64_t n = 1;
  for (auto d : dims) n *= d;
  params_ += n;
  if (mode_ == Weights::light) {
    auto* s = g_->add_initializer();
    s->set_name(name + "_shape");
    s->set_data_type(onnx::TensorProto::INT64);
    s->add_dims(static_cast<int64_t>(dims.size()));
    for (auto d : dims) s->add_int64_data(d);
    auto& c = node("ConstantOfShape", {name + "_shape"}, name, name + "_gen");
    auto* a = c.add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
    a->mutable_t()->add_dims(1);
    a->mutable_t()->add_float_data(constant);
    return name;
  }
  auto* t = g_->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : dims) t->add_dims(d);
  std::string raw(sizeof(float) * static_cast<size_t>(n), '\0');
  auto* f = reinterpret_cast<float*>(raw.data());
  if (fan_in > 0) {
    // LeCun scaling (variance 1/fan_in): deep residual nets stay out of
    // softmax saturation, so outputs depend on the input.
    std::normal_distribution<float> dist(0.0f, static_cast<float>(std::sqrt(1.0 / fan_in)));
    for (int64_t i = 0; i < n; ++i) f[i] = dist(rng_);
  } else {
    for (int64_t i = 0; i < n; ++i) f[i] = constant;
  }
  t->set_raw_data(std::move(raw));
  return name;
}

std::string GraphBuilder::input(const std::string& name, std::vector<int64_t> shape) {
  auto* in = g_->add_input();
  in->set_name(name);
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (auto d : shape) tt->mutable_shape()->add_dim()->set_dim_value(d);
  return name;
}

void GraphBuilder::output(const std::string& tensor) {
  auto* out = g_->add_output();
  out->set_name(tensor);
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
}

std::string GraphBuilder::conv(const std::string& x, int64_t cin, int64_t cout, int64_t k, int64_t stride, int64_t pad,
                               int64_t groups, bool with_bn, const std::string& activation, bool bias) {
  if (pad < 0) pad = k / 2;
  const std::string name = fresh("conv");
  // Light weights are 1/fan_in: each output averages its inputs, so
  // activations stay bounded through any depth (finite outputs).
  const double fan_in = static_cast<double>(cin / groups * k * k);
  const std::string w = weight(name + "_w", {cout, cin / groups, k, k}, fan_in, static_cast<float>(1.0 / fan_in));
  std::vector<std::string> in = {x, w};
  if (bias) in.push_back(weight(name + "_b", {cout}, 0, 0.0f));
  auto& n = node("Conv", in, name, name);
  intsAttr(n, "kernel_shape", {k, k});
  intsAttr(n, "strides", {stride, stride});
  intsAttr(n, "pads", {pad, pad, pad, pad});
  if (groups > 1) intAttr(n, "group", groups);
  std::string y = name;
  if (with_bn) y = bn(y, cout);
  return activation.empty() ? y : act(y, activation);
}

std::string GraphBuilder::bn(const std::string& x, int64_t c) {
  const std::string name = fresh("bn");
  const auto s = weight(name + "_scale", {c}, 0, 1.0f), b = weight(name + "_bias", {c}, 0, 0.0f);
  const auto m = weight(name + "_mean", {c}, 0, 0.0f), v = weight(name + "_var", {c}, 0, 1.0f);
  node("BatchNormalization", {x, s, b, m, v}, name, name);
  return name;
}

std::string GraphBuilder::act(const std::string& x, const std::string& kind) {
  const std::string name = fresh(kind);
  if (kind == "relu") node("Relu", {x}, name, name);
  else if (kind == "leaky") floatAttr(node("LeakyRelu", {x}, name, name), "alpha", 0.1f);
  else {  // relu6: Clip with constant bounds (opset 13 takes them as inputs)
    auto* lo = g_->add_initializer();
    lo->set_name(name + "_min");
    lo->set_data_type(onnx::TensorProto::FLOAT);
    lo->add_float_data(0.0f);
    auto* hi = g_->add_initializer();
    hi->set_name(name + "_max");
    hi->set_data_type(onnx::TensorProto::FLOAT);
    hi->add_float_data(6.0f);
    node("Clip", {x, name + "_min", name + "_max"}, name, name);
  }
  return name;
}

std::string GraphBuilder::maxpool(const std::string& x, int64_t k, int64_t stride, int64_t pad) {
  const std::string name = fresh("maxpool");
  auto& n = node("MaxPool", {x}, name, name);
  intsAttr(n, "kernel_shape", {k, k});
  intsAttr(n, "strides", {stride, stride});
  intsAttr(n, "pads", {pad, pad, pad, pad});
  return name;
}

std::string GraphBuilder::avgpool(const std::string& x, int64_t k, int64_t stride, int64_t pad) {
  const std::string name = fresh("avgpool");
  auto& n = node("AveragePool", {x}, name, name);
  intsAttr(n, "kernel_shape", {k, k});
  intsAttr(n, "strides", {stride, stride});
  intsAttr(n, "pads", {pad, pad, pad, pad});
  return name;
}

std::string GraphBuilder::gap(const std::string& x) {
  const std::string name = fresh("gap");
  node("GlobalAveragePool", {x}, name, name);
  return name;
}

std::string GraphBuilder::add(const std::string& a, const std::string& b) {
  const std::string name = fresh("add");
  node("Add", {a, b}, name, name);
  return name;
}

std::string GraphBuilder::concat(const std::vector<std::string>& xs) {
  const std::string name = fresh("concat");
  intAttr(node("Concat", xs, name, name), "axis", 1);
  return name;
}

std::string GraphBuilder::flatten(const std::string& x) {
  const std::string name = fresh("flatten");
  node("Flatten", {x}, name, name);
  return name;
}

std::string GraphBuilder::fc(const std::string& x, int64_t in, int64_t out) {
  const std::string name = fresh("fc");
  const auto w = weight(name + "_w", {out, in}, static_cast<double>(in), static_cast<float>(1.0 / in));
  const auto b = weight(name + "_b", {out}, 0, 0.0f);
  intAttr(node("Gemm", {x, w, b}, name, name), "transB", 1);
  return name;
}

std::string GraphBuilder::softmax(const std::string& x) {
  const std::string name = fresh("softmax");
  intAttr(node("Softmax", {x}, name, name), "axis", 1);
  return name;
}

}  // namespace onnxcut::models
