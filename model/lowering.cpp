#include "lowering.h"

#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>

#include "const_fold.h"
#include "errors.h"
#include "model_load.h"

namespace onnxcut {
namespace {

using onnx::NodeProto;
using TP = onnx::TensorProto;

constexpr const char* kDomainAttr = "onnxcut_domain";

bool isDefault(const std::string& d) { return d.empty() || d == "ai.onnx"; }

const onnx::AttributeProto* findAttr(const NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
int64_t intAttr(const NodeProto& n, const std::string& name, int64_t def) {
  const auto* a = findAttr(n, name);
  return a && a->has_i() ? a->i() : def;
}
std::string strAttr(const NodeProto& n, const std::string& name, const std::string& def) {
  const auto* a = findAttr(n, name);
  return a && a->has_s() ? a->s() : def;
}
void dropAttrs(NodeProto& n, std::initializer_list<const char*> names) {
  auto* attrs = n.mutable_attribute();
  for (int i = attrs->size() - 1; i >= 0; --i)
    for (const char* name : names)
      if (attrs->Get(i).name() == name) {
        attrs->DeleteSubrange(i, 1);
        break;
      }
}
void setInts(NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  dropAttrs(n, {name.c_str()});
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a->add_ints(x);
}
void setStr(NodeProto& n, const std::string& name, const std::string& v) {
  dropAttrs(n, {name.c_str()});
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(v);
}
// Keeps only the inputs at `keep` (in that order; -1 gives an empty name).
void keepInputs(NodeProto& n, const std::vector<int>& keep) {
  std::vector<std::string> in;
  for (int k : keep) in.push_back(k >= 0 && k < n.input_size() ? n.input(k) : std::string());
  while (!in.empty() && in.back().empty()) in.pop_back();
  n.clear_input();
  for (const auto& s : in) n.add_input(s);
}
std::string input(const NodeProto& n, int k) { return k < n.input_size() ? n.input(k) : std::string(); }

enum class Result { kUnchanged, kRewritten, kPending, kInvalid };

class Lowerer {
 public:
  // The main graph: constants from initializers and Constant nodes, shapes
  // from the value_info of the last inference round.
  Lowerer(onnx::ModelProto& m, int64_t opset)
      : nodes_(m.mutable_graph()->mutable_node()), graph_(m.mutable_graph()), ir_(m.ir_version()), opset_(opset) {
    const auto& g = m.graph();
    for (const auto& t : g.initializer()) {
      if (auto v = smallTensorValues(t)) values_[t.name()] = *v;
      ranks_[t.name()] = t.dims_size();
      shapes_[t.name()] = {t.dims().begin(), t.dims().end()};
    }
    auto add = [&](const onnx::ValueInfoProto& vi) {
      if (vi.type().has_tensor_type() && vi.type().tensor_type().has_shape())
        ranks_[vi.name()] = vi.type().tensor_type().shape().dim_size();
      if (auto s = staticShape(&vi.type())) shapes_[vi.name()] = *s;
    };
    for (const auto& vi : g.input()) add(vi);
    for (const auto& vi : g.value_info()) add(vi);
    for (const auto& vi : g.output()) add(vi);
    addConstantNodes();
  }
  // A model-local function (exporters such as PyTorch's dynamo write them):
  // constants from its Constant nodes; shapes inside it are not known here,
  // so forms that need one stay opaque.
  Lowerer(onnx::FunctionProto& f, int64_t opset) : nodes_(f.mutable_node()), graph_(nullptr), ir_(8), opset_(opset) {
    addConstantNodes();
  }

  int run() {
    int rewritten = 0, index = 0;
    for (auto& n : *nodes_) {
      NodeProto work = n;
      std::string domain = work.domain();
      const bool was_pending = domain == kPendingDomain;
      if (was_pending) {
        domain = strAttr(work, kDomainAttr, "");
        dropAttrs(work, {kDomainAttr});
        work.set_domain(domain);
      }
      Result r = checkArity(work);
      if (r != Result::kInvalid) r = lower(work);
      if (r == Result::kInvalid) {
        errors_.push_back(describeNode(work, index) + ": " + why_);
        ++index;
        continue;
      }
      ++index;
      if (r == Result::kRewritten || (r == Result::kUnchanged && was_pending)) {
        n = std::move(work);
        ++rewritten;
      } else if (r == Result::kPending && !was_pending) {
        auto* a = n.add_attribute();
        a->set_name(kDomainAttr);
        a->set_type(onnx::AttributeProto::STRING);
        a->set_s(n.domain());
        n.set_domain(kPendingDomain);
      }
    }
    if (!new_nodes_.empty()) {  // Constant nodes a function needs, first
      google::protobuf::RepeatedPtrField<NodeProto> all;
      for (auto& c : new_nodes_) *all.Add() = std::move(c);
      for (auto& n : *nodes_) *all.Add() = std::move(n);
      nodes_->Swap(&all);
    }
    return rewritten;
  }
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  Result invalid(const std::string& why) {
    why_ = why;
    return Result::kInvalid;
  }
  // The input counts of the opset 18-22 forms lowered here (the opset-17
  // schema checked afterwards would not see the extra ones).
  Result checkArity(const NodeProto& n) {
    if (!isDefault(n.domain()) || opset_ <= kAnalysisOpset) return Result::kUnchanged;
    static const std::map<std::string, int> kMaxInputs = {
        {"ReduceMax", 2}, {"ReduceMin", 2}, {"ReduceMean", 2}, {"ReduceProd", 2}, {"ReduceL1", 2},
        {"ReduceL2", 2}, {"ReduceLogSum", 2}, {"ReduceLogSumExp", 2}, {"ReduceSumSquare", 2},
        {"Split", 2}, {"Pad", 4}, {"Resize", 4}, {"DFT", 3}, {"DeformConv", 5}, {"GroupNormalization", 3}};
    auto it = kMaxInputs.find(n.op_type());
    if (it == kMaxInputs.end() || n.input_size() <= it->second) return Result::kUnchanged;
    return invalid(std::to_string(n.input_size()) + " inputs, but opset " + std::to_string(opset_) + " allows at most " +
                   std::to_string(it->second));
  }

  std::optional<std::vector<int64_t>> ints(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    std::vector<int64_t> out;
    for (double x : it->second) out.push_back(static_cast<int64_t>(x));
    return out;
  }
  std::optional<std::vector<double>> doubles(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<int64_t> rank(const std::string& name) const {
    auto it = ranks_.find(name);
    if (it == ranks_.end()) return std::nullopt;
    return it->second;
  }
  std::optional<std::vector<int64_t>> shape(const std::string& name) const {
    auto it = shapes_.find(name);
    if (it == shapes_.end()) return std::nullopt;
    return it->second;
  }
  void addConstantNodes() {
    for (const auto& n : *nodes_)
      if (n.op_type() == "Constant" && isDefault(n.domain()) && n.output_size() == 1)
        if (const auto* a = findAttr(n, "value"); a && a->has_t())
          if (auto v = smallTensorValues(a->t())) {
            values_[n.output(0)] = *v;
            ranks_[n.output(0)] = a->t().dims_size();
            shapes_[n.output(0)] = {a->t().dims().begin(), a->t().dims().end()};
          }
  }
  // A new int64 constant in the analysis copy: an initializer of the main
  // graph, a Constant node in a function.
  std::string constant(const std::string& hint, const std::vector<int64_t>& v) {
    std::string name;
    do name = "onnxcut_lowered/" + hint + "/" + std::to_string(counter_++);
    while (values_.count(name));
    TP t;
    t.set_name(name);
    t.set_data_type(TP::INT64);
    t.add_dims(static_cast<int64_t>(v.size()));
    for (auto x : v) t.add_int64_data(x);
    values_[name] = std::vector<double>(v.begin(), v.end());
    if (graph_) {
      *graph_->add_initializer() = t;
      if (ir_ < 4) typeOfTensor(t, *graph_->add_input());
    } else {
      NodeProto c;
      c.set_op_type("Constant");
      c.add_output(name);
      auto* a = c.add_attribute();
      a->set_name("value");
      a->set_type(onnx::AttributeProto::TENSOR);
      *a->mutable_t() = t;
      new_nodes_.push_back(std::move(c));
    }
    return name;
  }

  static Result toIdentity(NodeProto& n) {
    if (n.output_size() != 1 || n.input_size() < 1) return Result::kPending;
    keepInputs(n, {0});
    n.set_op_type("Identity");
    n.set_domain("");
    n.clear_attribute();
    return Result::kRewritten;
  }
  static Result toBinary(NodeProto& n, const char* op, int a, int b) {
    if (n.output_size() != 1 || input(n, a).empty() || input(n, b).empty()) return Result::kPending;
    keepInputs(n, {a, b});
    n.set_op_type(op);
    n.set_domain("");
    n.clear_attribute();
    return Result::kRewritten;
  }

  Result lower(NodeProto& n) {
    if (isDefault(n.domain())) return opset_ > kAnalysisOpset ? lowerDefault(n) : Result::kUnchanged;
    if (n.domain() == "com.microsoft") return lowerMicrosoft(n);
    return Result::kUnchanged;  // other domains: opaque to ONNX's inference already
  }

  Result lowerDefault(NodeProto& n) {
    static const std::set<std::string> kReduce = {"ReduceMax",  "ReduceMin",    "ReduceMean",
                                                  "ReduceProd", "ReduceL1",     "ReduceL2",
                                                  "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
    static const std::set<std::string> kSameShape = {"Gelu", "Mish", "GroupNormalization", "BitwiseNot",
                                                     "RMSNormalization"};
    const std::string& op = n.op_type();
    if (kReduce.count(op)) return lowerReduce(n);
    if (kSameShape.count(op)) return toIdentity(n);
    if (op == "BitwiseAnd" || op == "BitwiseOr" || op == "BitwiseXor") return toBinary(n, "Add", 0, 1);
    if (op == "Split") return lowerSplit(n);
    if (op == "Pad") return lowerPad(n);
    if (op == "Resize") return lowerResize(n);
    if (op == "AveragePool") {
      const auto* d = findAttr(n, "dilations");
      if (!d) return Result::kUnchanged;
      const bool dilated = std::any_of(d->ints().begin(), d->ints().end(), [](int64_t x) { return x != 1; });
      if (dilated) {  // MaxPool has the same shape rule, dilations included
        n.set_op_type("MaxPool");
        dropAttrs(n, {"count_include_pad"});
      } else {
        dropAttrs(n, {"dilations"});
      }
      return Result::kRewritten;
    }
    if (op == "LpPool") {
      if (!findAttr(n, "ceil_mode") && !findAttr(n, "dilations")) return Result::kUnchanged;
      n.set_op_type("MaxPool");
      dropAttrs(n, {"p"});
      return Result::kRewritten;
    }
    if (op == "Cast" || op == "CastLike") {
      if (!findAttr(n, "saturate") && !findAttr(n, "round_mode")) return Result::kUnchanged;
      dropAttrs(n, {"saturate", "round_mode"});
      return Result::kRewritten;
    }
    if (op == "QuantizeLinear" || op == "DequantizeLinear") {
      if (!findAttr(n, "saturate") && !findAttr(n, "block_size") && !findAttr(n, "output_dtype") &&
          !findAttr(n, "precision"))
        return Result::kUnchanged;
      dropAttrs(n, {"saturate", "block_size", "output_dtype", "precision"});
      return Result::kRewritten;
    }
    if (op == "GridSample") {
      const std::string mode = strAttr(n, "mode", "bilinear");
      if (mode != "linear" && mode != "cubic") return Result::kUnchanged;
      const auto r = rank(input(n, 0));
      if (!r || *r != 4) return Result::kPending;  // 1.12's rule is 4-D only
      setStr(n, "mode", mode == "linear" ? "bilinear" : "bicubic");
      return Result::kRewritten;
    }
    if (op == "DeformConv") {  // X, W, offset, B, mask: Conv's shape rule on X, W
      keepInputs(n, {0, 1, 3});
      n.set_op_type("Conv");
      dropAttrs(n, {"offset_group"});
      return Result::kRewritten;
    }
    if (op == "DFT" && n.input_size() > 2) {  // opset 20: axis became an input
      std::vector<int64_t> axis = {-2};
      if (!input(n, 2).empty()) {
        auto a = ints(input(n, 2));
        if (!a || a->size() != 1) return Result::kPending;
        axis = *a;
      }
      keepInputs(n, {0, 1});
      auto* a = n.add_attribute();
      a->set_name("axis");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(axis[0]);
      return Result::kRewritten;
    }
    // An op ONNX 1.12 has no schema for at all (new after opset 17 and not
    // listed above): opaque, its outputs stay unknown.
    if (!onnx::OpSchemaRegistry::Schema(op, static_cast<int>(kAnalysisOpset), "")) return Result::kPending;
    return Result::kUnchanged;
  }

  Result lowerReduce(NodeProto& n) {
    if (n.input_size() < 2 && !findAttr(n, "noop_with_empty_axes")) return Result::kUnchanged;
    std::vector<int64_t> axes;
    if (!input(n, 1).empty()) {
      auto a = ints(input(n, 1));
      if (!a) return Result::kPending;
      axes = *a;
    }
    const bool noop = intAttr(n, "noop_with_empty_axes", 0) != 0;
    if (axes.empty() && noop) return toIdentity(n);
    keepInputs(n, {0});
    dropAttrs(n, {"noop_with_empty_axes"});
    if (!axes.empty()) setInts(n, "axes", axes);
    return Result::kRewritten;
  }

  Result lowerSplit(NodeProto& n) {
    if (!findAttr(n, "num_outputs")) return Result::kUnchanged;
    const int64_t parts = intAttr(n, "num_outputs", n.output_size());
    if (!input(n, 1).empty() || parts <= 0) {  // explicit sizes win (and 1.12 checks them)
      dropAttrs(n, {"num_outputs"});
      return Result::kRewritten;
    }
    const auto s = shape(input(n, 0));
    if (!s) return Result::kPending;
    const int64_t r = static_cast<int64_t>(s->size());
    int64_t axis = intAttr(n, "axis", 0);
    if (axis < 0) axis += r;
    if (axis < 0 || axis >= r) return invalid("axis " + std::to_string(intAttr(n, "axis", 0)) + " is out of range for rank " + std::to_string(r));
    // Opset 18: chunks of ceil(d / parts), the last one smaller.
    const int64_t d = (*s)[axis];
    const int64_t chunk = (d + parts - 1) / parts;
    std::vector<int64_t> sizes;
    for (int64_t i = 0; i < parts; ++i) sizes.push_back(std::clamp<int64_t>(d - i * chunk, 0, chunk));
    dropAttrs(n, {"num_outputs"});
    keepInputs(n, {0});
    n.add_input(constant("split", sizes));
    return Result::kRewritten;
  }

  Result lowerPad(NodeProto& n) {
    bool changed = false;
    if (strAttr(n, "mode", "constant") == "wrap") {  // opset 19; same shape as constant padding
      setStr(n, "mode", "constant");
      changed = true;
    }
    if (input(n, 3).empty()) {
      if (n.input_size() > 3) { keepInputs(n, {0, 1, 2}); changed = true; }
      return changed ? Result::kRewritten : Result::kUnchanged;
    }
    const auto r = rank(input(n, 0));
    const auto pads = ints(input(n, 1));
    const auto axes = ints(input(n, 3));
    if (!r || !pads || !axes) return Result::kPending;
    if (pads->size() != 2 * axes->size())
      return invalid(std::to_string(pads->size()) + " pads for " + std::to_string(axes->size()) + " axes (2 per axis)");
    std::vector<int64_t> full(2 * *r, 0);
    for (size_t i = 0; i < axes->size(); ++i) {
      int64_t a = (*axes)[i] < 0 ? (*axes)[i] + *r : (*axes)[i];
      if (a < 0 || a >= *r) return invalid("axis " + std::to_string((*axes)[i]) + " is out of range for rank " + std::to_string(*r));
      full[a] = (*pads)[i];
      full[a + *r] = (*pads)[i + axes->size()];
    }
    const std::string value = input(n, 2);
    keepInputs(n, {0});
    n.add_input(constant("pads", full));
    if (!value.empty()) n.add_input(value);
    return Result::kRewritten;
  }

  Result lowerResize(NodeProto& n) {
    bool changed = false;
    if (findAttr(n, "antialias")) { dropAttrs(n, {"antialias"}); changed = true; }
    if (strAttr(n, "coordinate_transformation_mode", "") == "half_pixel_symmetric") {
      setStr(n, "coordinate_transformation_mode", "half_pixel");  // same output size
      changed = true;
    }
    const std::string policy = strAttr(n, "keep_aspect_ratio_policy", "stretch");
    const auto* axes_attr = findAttr(n, "axes");
    if (!axes_attr && policy == "stretch") {
      if (findAttr(n, "keep_aspect_ratio_policy")) { dropAttrs(n, {"keep_aspect_ratio_policy"}); changed = true; }
      return changed ? Result::kRewritten : Result::kUnchanged;
    }
    // The output size, computed here as opset 18 defines it, given to the
    // opset-13 form as explicit full-rank sizes.
    const auto in = shape(input(n, 0));
    if (!in) return Result::kPending;
    const int64_t r = static_cast<int64_t>(in->size());
    std::vector<int64_t> axes;
    if (axes_attr) {
      for (auto a : axes_attr->ints()) axes.push_back(a < 0 ? a + r : a);
    } else {
      for (int64_t i = 0; i < r; ++i) axes.push_back(i);
    }
    for (auto a : axes)
      if (a < 0 || a >= r) return invalid("axis out of range for rank " + std::to_string(r));
    std::vector<int64_t> out = *in;
    if (!input(n, 3).empty()) {
      const auto sizes = ints(input(n, 3));
      if (!sizes || sizes->size() != axes.size()) return Result::kPending;
      if (policy == "stretch") {
        for (size_t i = 0; i < axes.size(); ++i) out[axes[i]] = (*sizes)[i];
      } else {
        double scale = policy == "not_larger" ? HUGE_VAL : 0.0;
        for (size_t i = 0; i < axes.size(); ++i) {
          if ((*in)[axes[i]] <= 0) return Result::kPending;
          const double s = static_cast<double>((*sizes)[i]) / static_cast<double>((*in)[axes[i]]);
          scale = policy == "not_larger" ? std::min(scale, s) : std::max(scale, s);
        }
        for (auto a : axes) out[a] = static_cast<int64_t>(std::floor(scale * static_cast<double>((*in)[a]) + 0.5));
      }
    } else if (!input(n, 2).empty()) {
      const auto scales = doubles(input(n, 2));
      if (!scales || scales->size() != axes.size()) return Result::kPending;
      for (size_t i = 0; i < axes.size(); ++i)
        out[axes[i]] = static_cast<int64_t>(std::floor(static_cast<double>((*in)[axes[i]]) * (*scales)[i]));
    } else {
      return Result::kPending;
    }
    dropAttrs(n, {"axes", "keep_aspect_ratio_policy"});
    keepInputs(n, {0});
    n.add_input("");
    n.add_input("");
    n.add_input(constant("sizes", out));
    return Result::kRewritten;
  }

  Result lowerMicrosoft(NodeProto& n) {
    const std::string& op = n.op_type();
    auto become = [&](const char* to, const std::vector<int>& keep, std::initializer_list<const char*> drop) {
      keepInputs(n, keep);
      n.set_op_type(to);
      n.set_domain("");
      dropAttrs(n, drop);
      return Result::kRewritten;
    };
    if (op == "FusedConv")
      return become("Conv", {0, 1, 2}, {"activation", "activation_params"});
    if (op == "FusedGemm")
      return become("Gemm", {0, 1, 2},
                    {"activation", "activation_alpha", "activation_beta", "activation_gamma", "activation_params"});
    if (op == "FusedMatMul") {
      for (const char* t : {"transA", "transB", "transBatchA", "transBatchB"})
        if (intAttr(n, t, 0) != 0) return Result::kPending;
      return become("MatMul", {0, 1}, {"alpha", "transA", "transB", "transBatchA", "transBatchB"});
    }
    if (op == "Gelu" || op == "QuickGelu" || op == "QLinearSigmoid" || op == "QLinearLeakyRelu" ||
        (op == "FastGelu" && input(n, 1).empty()))
      return toIdentity(n);
    if (op == "FastGelu" || op == "BiasGelu") return toBinary(n, "Add", 0, 1);
    if (op == "BiasAdd") return toBinary(n, "Add", 0, 2);
    if (op == "QLinearAdd" || op == "QLinearMul") return toBinary(n, "Add", 0, 3);
    if (op == "SkipLayerNormalization" || op == "SkipSimplifiedLayerNormalization") {
      for (int k = 1; k < n.output_size(); ++k)
        if (!n.output(k).empty()) return Result::kPending;
      return toBinary(n, "Add", 0, 1);
    }
    return Result::kUnchanged;
  }

  google::protobuf::RepeatedPtrField<NodeProto>* nodes_;
  onnx::GraphProto* graph_;
  int64_t ir_;
  int64_t opset_;
  std::vector<NodeProto> new_nodes_;
  std::vector<std::string> errors_;
  std::string why_;
  int counter_ = 0;
  std::map<std::string, std::vector<double>> values_;
  std::map<std::string, int64_t> ranks_;
  std::map<std::string, std::vector<int64_t>> shapes_;
};

}  // namespace

int64_t defaultDomainOpset(const onnx::ModelProto& m) {
  for (const auto& o : m.opset_import())
    if (isDefault(o.domain())) return o.version();
  return 1;
}

namespace {

template <class Imports>
void clampImports(Imports& imports) {
  bool pending = false;
  for (auto& o : imports) {
    if (isDefault(o.domain()) && o.version() > kAnalysisOpset) o.set_version(kAnalysisOpset);
    if (o.domain() == "ai.onnx.ml" && o.version() > 3) o.set_version(3);  // ONNX 1.12's newest
    pending = pending || o.domain() == kPendingDomain;
  }
  if (!pending) {
    auto* o = imports.Add();
    o->set_domain(kPendingDomain);
    o->set_version(1);
  }
}

}  // namespace

void prepareForAnalysis(onnx::ModelProto& m) {
  if (m.ir_version() > kAnalysisIrVersion) m.set_ir_version(kAnalysisIrVersion);
  for (auto& f : *m.mutable_functions()) clampImports(*f.mutable_opset_import());
  clampImports(*m.mutable_opset_import());
}

int lowerForAnalysis(onnx::ModelProto& work, int64_t opset, const std::string& label) {
  ErrorList errors;
  Lowerer main(work, opset);
  int rewritten = main.run();
  for (const auto& e : main.errors()) errors.add(e);
  // A function imports the model's opset versions (ONNX IR: they must agree).
  for (auto& f : *work.mutable_functions()) {
    Lowerer l(f, opset);
    rewritten += l.run();
    for (const auto& e : l.errors()) errors.add(e + " in function " + f.domain() + "." + f.name());
  }
  errors.throwIfAny(label);
  return rewritten;
}

std::vector<std::string> pendingNodes(const onnx::ModelProto& work) {
  std::vector<std::string> out;
  auto scan = [&](const google::protobuf::RepeatedPtrField<NodeProto>& nodes, const std::string& where) {
    for (int k = 0; k < nodes.size(); ++k) {
      const auto& n = nodes.Get(k);
      if (n.domain() != kPendingDomain) continue;
      NodeProto shown = n;
      shown.set_domain(strAttr(n, kDomainAttr, ""));
      out.push_back(describeNode(shown, k) + (shown.domain().empty() ? "" : " of domain " + shown.domain()) + where);
    }
  };
  scan(work.graph().node(), "");
  for (const auto& f : work.functions()) scan(f.node(), " in function " + f.domain() + "." + f.name());
  return out;
}

}  // namespace onnxcut
