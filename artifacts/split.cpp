#include "split.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <map>
#include <set>

#include "errors.h"
#include "model_load.h"
#include "precision_ops.h"

namespace onnxcut {

SplitResult::SplitResult() = default;
SplitResult::SplitResult(SplitResult&&) noexcept = default;
SplitResult::~SplitResult() = default;

namespace {

using onnx::ModelProto;
using onnx::NodeProto;

int64_t defaultOpset(const ModelProto& m) {
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  return 0;
}

class SideBuilder {
 public:
  // `whole`: the side is the whole model unchanged (an all-device head, an
  // all-cloud fp32 tail): its graph keeps the model's name, so the two are
  // the same bytes and a plan directory holds them once.
  SideBuilder(const ModelView& mv, const char* part, const SplitRequest& req, bool whole) : mv_(mv) {
    const ModelProto& src = mv.model();
    out_ = std::make_unique<ModelProto>();
    // Everything but the graph (never copied whole: it holds the weights).
    out_->set_ir_version(src.ir_version());
    *out_->mutable_opset_import() = src.opset_import();
    out_->set_producer_name(src.producer_name());
    out_->set_producer_version(src.producer_version());
    out_->set_domain(src.domain());
    out_->set_model_version(src.model_version());
    out_->set_doc_string(src.doc_string());
    *out_->mutable_metadata_props() = src.metadata_props();
    *out_->mutable_functions() = src.functions();
    auto* g = out_->mutable_graph();
    g->set_name(whole ? src.graph().name() : src.graph().name() + "_" + part);
    g->set_doc_string(src.graph().doc_string());
    // Names the model the file was cut from, and nothing of the plan: plans
    // that need the same file share it (the plan table says which use it).
    auto* meta = out_->add_metadata_props();
    meta->set_key("onnxcut.split");
    meta->set_value("{\"model_sha256\": \"" + req.model_sha256 + "\"}");
    for (const auto& i : src.graph().initializer()) initializers_[i.name()] = &i;
    for (int k = 0; k < src.graph().node_size(); ++k)
      for (const auto& o : src.graph().node(k).output()) const_producer_[o] = k;
    for (int k : mv.constantNodes()) constant_nodes_.insert(k);
    for (const auto& vi : mv.inferred().graph().value_info()) types_[vi.name()] = &vi.type();
    for (const auto& vi : mv.inferred().graph().input()) types_[vi.name()] = &vi.type();
    for (const auto& vi : mv.inferred().graph().output()) types_[vi.name()] = &vi.type();
  }

  onnx::GraphProto& graph() { return *out_->mutable_graph(); }

  // Adds the planning nodes (file order) with the constants they need.
  void addNodes(const std::vector<int>& planning) {
    std::set<int> wanted;  // proto indices of constant nodes to include
    std::vector<std::string> pending;
    for (int v : planning)
      for (const auto& r : nodeReads(mv_.model().graph().node(mv_.nodes()[v].proto_index))) pending.push_back(r);
    while (!pending.empty()) {
      const std::string name = pending.back();
      pending.pop_back();
      if (name.empty() || used_consts_.count(name)) continue;
      used_consts_.insert(name);
      if (initializers_.count(name)) continue;
      auto it = const_producer_.find(name);
      if (it == const_producer_.end() || !constant_nodes_.count(it->second)) continue;
      if (!wanted.insert(it->second).second) continue;
      if (isStaticShapeOp(it->second)) continue;  // becomes a Constant: reads nothing
      for (const auto& r : nodeReads(mv_.model().graph().node(it->second))) pending.push_back(r);
    }
    std::set<int> include(wanted.begin(), wanted.end());
    for (int v : planning) include.insert(mv_.nodes()[v].proto_index);
    // Tensors this side has: its graph inputs and what its nodes make.
    std::set<std::string> has;
    for (const auto& i : graph().input()) has.insert(i.name());
    for (const auto& n : graph().node())  // decoding of received tensors
      for (const auto& o : n.output()) has.insert(o);
    for (int v : planning)
      for (const auto& o : mv_.model().graph().node(mv_.nodes()[v].proto_index).output()) has.insert(o);
    for (int k : include) {  // std::set: file order
      const NodeProto& n = mv_.model().graph().node(k);
      if (isStaticShapeOp(k) && !(followsBatch(n) && has.count(n.input(0)))) {
        batch_fixed_ = batch_fixed_ || followsBatch(n);
        *graph().add_node() = staticShapeConstant(k);
      } else {
        *graph().add_node() = n;  // a Shape of a batch-dependent tensor stays a Shape
      }
    }
    for (const auto& [name, init] : initializers_)
      if (used_consts_.count(name)) used_inits_.push_back(name);
  }

  // Initializers in the source's order (deterministic); IR < 4 lists them as inputs too.
  void addInitializers() {
    std::set<std::string> used(used_inits_.begin(), used_inits_.end());
    for (const auto& i : mv_.model().graph().initializer()) {
      if (!used.count(i.name())) continue;
      *graph().add_initializer() = i;
      if (out_->ir_version() < 4)
        for (const auto& in : mv_.model().graph().input())
          if (in.name() == i.name()) *graph().add_input() = in;
    }
  }

  void addInput(const std::string& name, const onnx::TypeProto& type) {
    auto* vi = graph().add_input();
    vi->set_name(name);
    *vi->mutable_type() = type;
  }
  void addOutput(const std::string& name, const onnx::TypeProto& type) {
    auto* vi = graph().add_output();
    vi->set_name(name);
    *vi->mutable_type() = type;
  }
  // The inferred type, with a symbolic batch kept symbolic (dimParams).
  onnx::TypeProto typeOf(const std::string& name) const {
    auto it = types_.find(name);
    onnx::TypeProto t = it == types_.end() ? onnx::TypeProto() : *it->second;
    mv_.applyDimParams(name, t);
    return t;
  }
  // Whether the shape of a batch-dependent tensor had to be written as a
  // constant (the side lacks the tensor): these files run at batch 1 only.
  bool batchFixed() const { return batch_fixed_; }

  std::unique_ptr<ModelProto> take() { return std::move(out_); }

 private:
  bool isStaticShapeOp(int k) const {
    const NodeProto& n = mv_.model().graph().node(k);
    if (n.op_type() != "Shape" && n.op_type() != "Size") return false;
    if (!n.domain().empty() && n.domain() != "ai.onnx") return false;
    auto t = mv_.findTensor(n.input(0));
    // A data tensor: constant only because its shape is static.
    return t.has_value() && mv_.tensors()[*t].shape.has_value();
  }
  // Shape/Size whose value changes with a symbolic batch.
  bool followsBatch(const NodeProto& n) const {
    const auto params = mv_.dimParams(n.input(0));
    if (params.empty()) return false;
    if (n.op_type() == "Size") return true;
    const int64_t r = static_cast<int64_t>(params.size());
    int64_t start = 0, end = r;
    for (const auto& a : n.attribute()) {
      if (a.name() == "start") start = a.i() < 0 ? a.i() + r : a.i();
      if (a.name() == "end") end = a.i() < 0 ? a.i() + r : a.i();
    }
    for (int64_t i = std::clamp<int64_t>(start, 0, r); i < std::clamp<int64_t>(end, 0, r); ++i)
      if (!params[i].empty()) return true;
    return false;
  }

  NodeProto staticShapeConstant(int k) const {
    const NodeProto& n = mv_.model().graph().node(k);
    const auto& dims = *mv_.tensors()[*mv_.findTensor(n.input(0))].shape;
    std::vector<int64_t> values;
    if (n.op_type() == "Size") {
      int64_t numel = 1;
      for (auto d : dims) numel *= d;
      values = {numel};
    } else {
      const int64_t r = static_cast<int64_t>(dims.size());
      int64_t start = 0, end = r;
      for (const auto& a : n.attribute()) {
        if (a.name() == "start") start = a.i() < 0 ? a.i() + r : a.i();
        if (a.name() == "end") end = a.i() < 0 ? a.i() + r : a.i();
      }
      start = std::clamp<int64_t>(start, 0, r);
      end = std::clamp<int64_t>(end, 0, r);
      for (int64_t i = start; i < end; ++i) values.push_back(dims[i]);
    }
    NodeProto c;
    c.set_name(n.name());
    c.set_op_type("Constant");
    c.set_doc_string("onnxcut: " + n.op_type() + " of a static shape");
    c.add_output(n.output(0));
    auto* a = c.add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    auto* t = a->mutable_t();
    t->set_data_type(onnx::TensorProto::INT64);
    if (n.op_type() == "Shape") t->add_dims(static_cast<int64_t>(values.size()));
    for (auto v : values) t->add_int64_data(v);
    return c;
  }

  const ModelView& mv_;
  std::unique_ptr<ModelProto> out_;
  std::map<std::string, const onnx::TensorProto*> initializers_;
  std::map<std::string, int> const_producer_;
  std::set<int> constant_nodes_;
  std::set<std::string> used_consts_;
  std::vector<std::string> used_inits_;
  std::map<std::string, const onnx::TypeProto*> types_;
  bool batch_fixed_ = false;
};

bool converts(const TensorInfo& t, Precision p) {
  return p != Precision::fp32 && t.elem_type == onnx::TensorProto::FLOAT;
}

// How cut tensor t travels: (precision, bits) with bits = 16 -> fp16 and
// bits <= 8 -> packed for mixed requests; a float tensor at 32 bits, or any
// other tensor, goes as it is (fp32).
struct Transfer {
  Precision p = Precision::fp32;
  int bits = 32;
};
Transfer transferOf(const ModelView& mv, const SplitRequest& req, int t) {
  const TensorInfo& ti = mv.tensors()[t];
  if (ti.elem_type != onnx::TensorProto::FLOAT) return {};
  if (req.precision != Precision::mixed) return {req.precision, 0};
  const auto it = std::find(req.cut.begin(), req.cut.end(), t);
  const int bits = it == req.cut.end() || req.bits.empty() ? 32 : req.bits[static_cast<size_t>(it - req.cut.begin())];
  if (bits == 32) return {};
  if (bits == 16) return {Precision::fp16, 16};
  if (bits == 8) return {Precision::int8, 8};  // the int8 plans' encoding (DynamicQuantizeLinear)
  return {Precision::mixed, bits};
}
bool converts(const ModelView& mv, const SplitRequest& req, int t) {
  return transferOf(mv, req, t).p != Precision::fp32;
}

}  // namespace

std::vector<std::string> sentNames(const TensorInfo& t, Precision p) {
  if (!converts(t, p)) return {t.name};
  if (p == Precision::fp16) return {t.name + "__fp16"};
  return {t.name + "__q", t.name + "__scale", t.name + "__zp"};
}

std::string serializeModel(const ModelProto& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

void serializeModel(const ModelProto& m, std::ostream& out) {
  google::protobuf::io::OstreamOutputStream raw(&out);
  google::protobuf::io::CodedOutputStream coded(&raw);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
}

namespace {

std::vector<PortTensor> sentPorts(const ModelView& mv, int t, const SplitRequest& req) {
  const TensorInfo& ti = mv.tensors()[t];
  const Transfer tr = transferOf(mv, req, t);
  const Precision p = tr.p;
  if (p == Precision::fp32) return {PortTensor{ti.name, ti.elem_type, t, "raw", false}};
  if (p == Precision::mixed) {
    static const char* const kPacked[] = {"packed", "packed_lo", "packed_scale"};
    std::vector<PortTensor> out;
    const auto sent = packedInputs(ti.name, tr.bits, ti.bytes ? *ti.bytes / 4 : 0);
    for (size_t i = 0; i < sent.size(); ++i)
      out.push_back({sent[i].name, sent[i].elem_type, t, kPacked[i], sent[i].scalar, tr.bits, sent[i].length});
    return out;
  }
  static const char* const kInt8[] = {"int8_q", "int8_scale", "int8_zero_point"};
  std::vector<PortTensor> out;
  const auto sent = decodeInputs(ti.name, p);
  for (size_t i = 0; i < sent.size(); ++i)
    out.push_back({sent[i].name, sent[i].elem_type, t, p == Precision::fp16 ? "fp16" : kInt8[i], sent[i].scalar});
  return out;
}

}  // namespace

SplitInterface splitInterface(const ModelView& mv, const SplitRequest& req) {
  SplitInterface io;
  bool any_device = false, any_cloud = false;
  for (size_t v = 0; v < mv.nodes().size(); ++v) (req.device[v] ? any_device : any_cloud) = true;
  const bool any_conversion = std::any_of(req.cut.begin(), req.cut.end(), [&](int t) {
    return converts(mv, req, t);
  });
  auto raw = [&](int t) { return PortTensor{mv.tensors()[t].name, mv.tensors()[t].elem_type, t, "raw", false}; };
  io.has_head = any_device || any_conversion;
  io.has_tail = any_cloud;
  if (io.has_head) {
    std::set<int> read(req.cut.begin(), req.cut.end());
    for (size_t v = 0; v < mv.nodes().size(); ++v)
      if (req.device[v]) read.insert(mv.nodes()[v].inputs.begin(), mv.nodes()[v].inputs.end());
    for (int t : mv.graphInputs())
      if (read.count(t)) io.head_inputs.push_back(raw(t));
    std::set<int> emitted;
    for (int t : req.cut) {
      const TensorInfo& ti = mv.tensors()[t];
      if (!converts(mv, req, t)) {
        if (ti.producer >= 0) { io.head_outputs.push_back(raw(t)); emitted.insert(t); }
        continue;  // a raw input at full precision is sent as it is
      }
      for (auto& p : sentPorts(mv, t, req)) io.head_outputs.push_back(std::move(p));
    }
    for (int t : mv.graphOutputs()) {
      const TensorInfo& ti = mv.tensors()[t];
      const bool on_device = ti.producer < 0 || req.device[ti.producer];
      if (on_device && !emitted.count(t)) io.head_outputs.push_back(raw(t));
    }
  }
  if (io.has_tail) {
    for (int t : req.cut)
      for (auto& p : sentPorts(mv, t, req)) io.tail_inputs.push_back(std::move(p));
    for (int t : mv.graphOutputs()) {
      const TensorInfo& ti = mv.tensors()[t];
      if (ti.producer >= 0 && !req.device[ti.producer]) io.tail_outputs.push_back(raw(t));
    }
  }
  for (int t : mv.graphOutputs()) {
    const TensorInfo& ti = mv.tensors()[t];
    (ti.producer >= 0 && !req.device[ti.producer] ? io.cloud_outputs : io.device_outputs).push_back(t);
  }
  return io;
}

namespace {

void appendEncodeOf(onnx::GraphProto& g, const ModelView& mv, const SplitRequest& req, int t, int64_t opset) {
  const Transfer tr = transferOf(mv, req, t);
  const TensorInfo& ti = mv.tensors()[t];
  if (tr.p == Precision::mixed) appendEncodeBits(g, ti.name, tr.bits, *ti.shape, opset);
  else if (tr.p != Precision::fp32) appendEncode(g, ti.name, tr.p, opset);
}
void appendDecodeOf(onnx::GraphProto& g, const ModelView& mv, const SplitRequest& req, int t, int64_t opset) {
  const Transfer tr = transferOf(mv, req, t);
  const TensorInfo& ti = mv.tensors()[t];
  if (tr.p == Precision::mixed) appendDecodeBits(g, ti.name, tr.bits, *ti.shape, opset);
  else if (tr.p != Precision::fp32) appendDecode(g, ti.name, tr.p, opset);
}

}  // namespace

void checkTransferBits(const ModelView& mv, const SplitRequest& req) {
  if (req.precision != Precision::mixed) return;
  if (req.bits.size() != req.cut.size())
    throw InputError("a mixed plan needs one width per cut tensor (" + std::to_string(req.cut.size()) + " tensors, " +
                     std::to_string(req.bits.size()) + " widths)");
  for (size_t i = 0; i < req.cut.size(); ++i) {
    const TensorInfo& ti = mv.tensors()[req.cut[i]];
    if (!validTransferBits(req.bits[i]))
      throw InputError("tensor '" + ti.name + "': width " + std::to_string(req.bits[i]) +
                       " is not one of 32, 16, 8, 6, 4, 2");
    if (req.bits[i] < 16 && ti.elem_type == onnx::TensorProto::FLOAT && !ti.shape)
      throw InputError("tensor '" + ti.name + "': packing to " + std::to_string(req.bits[i]) +
                       " bits needs its static shape (fix the input dims)");
  }
}

SplitResult splitModel(const ModelView& mv, const SplitRequest& req) {
  const int64_t opset = defaultOpset(mv.model());
  checkTransferBits(mv, req);
  if (req.precision != Precision::fp32 && opset < kMinPrecisionOpset)
    throw InputError(mv.label() + ": precision " + toString(req.precision) + " needs opset >= " +
                     std::to_string(kMinPrecisionOpset) + " (the model has opset " + std::to_string(opset) + ")");
  std::vector<int> dev, cloud;
  for (int v = 0; v < static_cast<int>(mv.nodes().size()); ++v) (req.device[v] ? dev : cloud).push_back(v);
  const SplitInterface io = splitInterface(mv, req);
  SplitResult res;
  // A port's type: a model tensor's own, or its sent form's.
  auto portType = [&](SideBuilder& b, const PortTensor& p) {
    const std::string& of = mv.tensors()[p.tensor].name;
    return p.encoding == "raw" ? b.typeOf(of) : SentTensor{p.name, p.elem_type, p.scalar, p.length}.type(b.typeOf(of));
  };

  // ---- head ----
  if (io.has_head) {
    SideBuilder h(mv, "head", req, cloud.empty());
    for (const auto& p : io.head_inputs) h.addInput(p.name, portType(h, p));
    h.addNodes(dev);
    for (int t : req.cut) appendEncodeOf(h.graph(), mv, req, t, opset);
    for (const auto& p : io.head_outputs) h.addOutput(p.name, portType(h, p));
    h.addInitializers();
    res.batch_fixed = res.batch_fixed || h.batchFixed();
    res.head = h.take();
  }

  // ---- tail ----
  if (io.has_tail) {
    const bool any_conversion = std::any_of(io.tail_inputs.begin(), io.tail_inputs.end(),
                                            [](const PortTensor& p) { return p.encoding != "raw"; });
    SideBuilder tb(mv, "tail", req, dev.empty() && !any_conversion);
    for (const auto& p : io.tail_inputs) tb.addInput(p.name, portType(tb, p));
    for (int t : req.cut) appendDecodeOf(tb.graph(), mv, req, t, opset);
    tb.addNodes(cloud);
    for (const auto& p : io.tail_outputs) tb.addOutput(p.name, portType(tb, p));
    tb.addInitializers();
    res.batch_fixed = res.batch_fixed || tb.batchFixed();
    res.tail = tb.take();
  }
  // Packing reshapes to the planned sizes: a batch-dependent packed tensor
  // fixes the batch of both files.
  for (int t : req.cut)
    if (transferOf(mv, req, t).p == Precision::mixed && !mv.dimParams(mv.tensors()[t].name).empty())
      res.batch_fixed = true;
  return res;
}

}  // namespace onnxcut
