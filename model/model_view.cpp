#include "model_view.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "const_fold.h"
#include "errors.h"
#include "external_data.h"
#include "sha256.h"
#include "lowering.h"
#include "model_load.h"

namespace onnxcut {
namespace {

bool isDefaultDomain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// A copy for shape inference that never holds the large weights' data, not
// even for a moment (peak memory when loading a big model stays ~1x).
std::shared_ptr<onnx::ModelProto> copyWithoutLargeWeights(onnx::ModelProto& m) {
  google::protobuf::RepeatedPtrField<onnx::TensorProto> weights;
  weights.Swap(m.mutable_graph()->mutable_initializer());
  auto copy = std::make_shared<onnx::ModelProto>(m);
  weights.Swap(m.mutable_graph()->mutable_initializer());
  for (const auto& w : m.graph().initializer()) {
    int64_t n = 1;
    for (auto d : w.dims())
      if (__builtin_mul_overflow(n, std::max<int64_t>(d, 0), &n)) n = INT64_MAX;
    if (n <= kMaxFoldElements) {
      *copy->mutable_graph()->add_initializer() = w;
      continue;
    }
    auto* t = copy->mutable_graph()->add_initializer();
    t->set_name(w.name());
    t->set_data_type(w.data_type());
    *t->mutable_dims() = w.dims();
  }
  stripLargeInitializers(*copy);  // large Constant-node payloads
  return copy;
}

}  // namespace

int elementSize(int32_t t) {
  using T = onnx::TensorProto;
  switch (t) {
    case T::FLOAT: case T::INT32: case T::UINT32: return 4;
    case T::UINT8: case T::INT8: case T::BOOL: return 1;
    case T::UINT16: case T::INT16: case T::FLOAT16: case T::BFLOAT16: return 2;
    case T::INT64: case T::UINT64: case T::DOUBLE: case T::COMPLEX64: return 8;
    case T::COMPLEX128: return 16;
    case kFloat8E4M3FN: case kFloat8E4M3FNUZ: case kFloat8E5M2: case kFloat8E5M2FNUZ: return 1;
    default: return 0;  // STRING, UNDEFINED, 4-bit: no whole-byte size
  }
}

std::string dtypeName(int32_t t) {
  using T = onnx::TensorProto;
  switch (t) {
    case T::FLOAT: return "float32";
    case T::UINT8: return "uint8";
    case T::INT8: return "int8";
    case T::UINT16: return "uint16";
    case T::INT16: return "int16";
    case T::INT32: return "int32";
    case T::INT64: return "int64";
    case T::STRING: return "string";
    case T::BOOL: return "bool";
    case T::FLOAT16: return "float16";
    case T::DOUBLE: return "float64";
    case T::UINT32: return "uint32";
    case T::UINT64: return "uint64";
    case T::COMPLEX64: return "complex64";
    case T::COMPLEX128: return "complex128";
    case T::BFLOAT16: return "bfloat16";
    case kFloat8E4M3FN: return "float8e4m3fn";
    case kFloat8E4M3FNUZ: return "float8e4m3fnuz";
    case kFloat8E5M2: return "float8e5m2";
    case kFloat8E5M2FNUZ: return "float8e5m2fnuz";
    case kUint4: return "uint4";
    case kInt4: return "int4";
    default: return "undefined";
  }
}

InputShape parseInputShape(const std::string& spec) {
  const auto eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
    throw InputError(optionRef("input_shapes") + " '" + spec + "': expected NAME=DIMS, e.g. data=1x3x224x224");
  InputShape s{spec.substr(0, eq), {}};
  std::string dims = spec.substr(eq + 1);
  std::replace(dims.begin(), dims.end(), ',', 'x');
  size_t pos = 0;
  while (pos <= dims.size()) {
    const auto next = std::min(dims.find('x', pos), dims.size());
    const std::string tok = dims.substr(pos, next - pos);
    long long v = 0;
    size_t used = 0;
    try { v = std::stoll(tok, &used); } catch (const std::exception&) { used = 0; }
    if (tok.empty() || used != tok.size())
      throw InputError(optionRef("input_shapes") + " '" + spec + "': '" + tok + "' is not a whole number");
    if (v <= 0)
      throw InputError(optionRef("input_shapes") + " '" + spec + "': dimension " + tok + " must be positive");
    s.dims.push_back(v);
    pos = next + 1;
  }
  return s;
}

ModelView ModelView::load(const std::string& path, const LoadOptions& opt) {
  namespace fs = std::filesystem;
  onnx::ModelProto m;
  const std::string sha = readModelFile(path, m);
  if (m.has_graph()) checkExternalData(m, path);
  // The model's identity covers every file it is made of.
  std::vector<ModelFile> files;
  std::error_code ec;
  files.push_back({fs::path(path).filename().string(), sha, static_cast<int64_t>(fs::file_size(path, ec))});
  const std::string dir = fs::path(path).parent_path().string();
  if (m.has_graph())
    for (const auto& rel : externalFiles(m)) {
      const std::string file = (fs::path(dir) / rel).string();
      files.push_back({rel, sha256File(file), static_cast<int64_t>(fs::file_size(file, ec))});
    }
  std::string identity = sha;
  if (files.size() > 1) {  // sha256sum-style manifest: "<hex>  <path>" lines
    std::string manifest;
    for (const auto& f : files) manifest += f.sha256 + "  " + f.path + "\n";
    identity = sha256Hex(manifest);
  }
  // Shape arithmetic needs the values of small weights stored outside.
  if (m.has_graph()) inlineSmallExternalData(m, dir.empty() ? "." : dir, kMaxFoldElements);
  ModelView v = fromProto(std::move(m), path, opt);
  v.sha256_ = identity;
  v.files_ = std::move(files);
  v.base_dir_ = dir.empty() ? "." : dir;
  return v;
}

ModelView ModelView::fromProto(const onnx::ModelProto& model, const std::string& label,
                               const LoadOptions& opt) {
  return fromProto(onnx::ModelProto(model), label, opt);
}

ModelView ModelView::fromProto(onnx::ModelProto&& model, const std::string& label,
                               const LoadOptions& opt) {
  ModelView v;
  v.label_ = label;
  checkHeader(model, label);
  checkStructure(model, label);
  checkTensorData(model, label);
  checkAttributeValues(model, label);
  v.model_ = std::make_shared<onnx::ModelProto>();
  v.model_->Swap(&model);
  fixInputShapes(*v.model_, opt.input_shapes, label, opt.skip_absent_inputs, &v.dynamic_);
  v.inferred_ = copyWithoutLargeWeights(*v.model_);
  {  // schemas are checked on the opset-17 forms ONNX 1.12 knows (lowering.h)
    onnx::ModelProto lowered = *v.inferred_;
    prepareForAnalysis(lowered);
    lowerForAnalysis(lowered, defaultDomainOpset(*v.model_), label);
    checkNodeSchemas(lowered, label);
  }
  inferShapes(*v.inferred_, label, v.warnings_);
  v.index(opt);
  v.reportDynamicDims(opt);
  return v;
}

void ModelView::reportDynamicDims(const LoadOptions& opt) {
  ErrorList errors;
  std::map<std::string, std::vector<const DynamicDim*>> by_input;
  for (const auto& d : dynamic_) by_input[d.input].push_back(&d);
  bool batch = false;
  for (const auto& [input, dims] : by_input) {
    auto t = findTensor(input);
    const bool read = t && !tensors_[*t].consumers.empty();
    std::string unknown, suggestion;
    for (const DynamicDim* d : dims) {
      if (d->axis < 0) {
        unknown = "its shape (rank and dims) is not given in the model";
        continue;
      }
      const std::string what = "axis " + std::to_string(d->axis) + (d->param.empty() ? "" : " ('" + d->param + "')");
      if (d->batch) {
        batch = true;
        if (!d->given)
          warnings_.push_back("input '" + input + "': " + what +
                              " is a symbolic batch dim: planned per frame (batch 1); split files keep it symbolic");
      } else {
        unknown += (unknown.empty() ? "" : ", ") + what;
      }
    }
    if (unknown.empty()) continue;
    // NAME=1x3xHxW: the dims fixed in the model, a placeholder for the others.
    const onnx::ValueInfoProto* vi = nullptr;
    for (const auto& in : model_->graph().input())
      if (in.name() == input) vi = &in;
    std::string dims_text = "DIMS";
    if (vi && vi->type().tensor_type().has_shape()) {
      dims_text.clear();
      const auto& shape = vi->type().tensor_type().shape();
      for (int k = 0; k < shape.dim_size(); ++k) {
        std::string d = std::to_string(shape.dim(k).dim_value());
        for (const DynamicDim* dd : dims)
          if (dd->axis == k && !dd->batch) d = dd->param.empty() ? "D" + std::to_string(k) : dd->param;
        dims_text += (k ? "x" : "") + d;
      }
    }
    const std::string fix = " " + input + "=" + dims_text;
    if (opt.require_sizes && read)
      errors.add("input '" + input + "' has unknown dims that set the tensor sizes a plan depends on (" + unknown +
                 "): give them with " + optionRef("input_shapes") + fix);
    else
      warnings_.push_back("input '" + input + "': " + unknown + " unknown, taken as 1 (sizes are not real); plan "
                          "needs " + optionRef("input_shapes") + fix);
  }
  if (opt.require_sizes) {
    // Ops onnxcut cannot size, of domains whose shapes ONNX does not know.
    for (const auto& n : nodes_) {
      if (isDefaultDomain(n.domain) || n.domain == kPendingDomain) continue;
      for (int t : n.outputs) {
        const auto& ti = tensors_[t];
        if (ti.bytes || (ti.consumers.empty() && !ti.is_graph_output)) continue;
        errors.add("node '" + n.key + "' (" + n.op_type + " of domain " + n.domain + "): the size of its output '" +
                   ti.name + "' cannot be known (onnxcut has no shape rule for this op); it cannot be planned");
        break;
      }
    }
  }
  errors.throwIfAny(label_);
  if (batch) probeBatch();
}

void ModelView::probeBatch() {
  // The same model at twice the batch: dims that change follow the batch.
  onnx::ModelProto probe = *inferred_;
  std::string param;
  int64_t base_batch = 0;
  for (const auto& d : dynamic_) {
    if (!d.batch) continue;
    for (auto& in : *probe.mutable_graph()->mutable_input()) {
      if (in.name() != d.input) continue;
      auto* dim = in.mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0);
      if (param.empty()) {
        param = d.param.empty() ? "N" : d.param;
        base_batch = dim->dim_value();
      }
      dim->set_dim_value(2 * dim->dim_value());
    }
  }
  std::vector<std::string> ignored;
  try {
    inferShapes(probe, label_, ignored);
  } catch (const InputError& e) {
    std::string why = e.what();
    why = why.substr(0, why.find('\n'));
    warnings_.push_back("the model does not run at another batch (" + why + "): split files fix the batch");
    return;
  }
  std::map<std::string, std::optional<std::vector<int64_t>>> at2;
  auto add = [&](const onnx::ValueInfoProto& vi) { at2[vi.name()] = staticShape(&vi.type()); };
  for (const auto& vi : probe.graph().input()) add(vi);
  for (const auto& vi : probe.graph().value_info()) add(vi);
  for (const auto& vi : probe.graph().output()) add(vi);
  for (const auto& t : tensors_) {
    if (!t.shape) continue;
    auto it = at2.find(t.name);
    const std::optional<std::vector<int64_t>> other = it == at2.end() ? std::nullopt : it->second;
    std::vector<std::string> params(t.shape->size());
    bool differs = false;
    for (size_t a = 0; a < t.shape->size(); ++a) {
      const int64_t base = (*t.shape)[a];
      const bool same_rank = other && other->size() == t.shape->size();
      if (same_rank && (*other)[a] == base) continue;
      params[a] = same_rank && base == base_batch && (*other)[a] == 2 * base_batch ? param : "?";
      differs = true;
    }
    if (differs) dim_params_[t.name] = std::move(params);
  }
}

std::vector<std::string> ModelView::dimParams(const std::string& name) const {
  auto it = dim_params_.find(name);
  return it == dim_params_.end() ? std::vector<std::string>{} : it->second;
}

void ModelView::applyDimParams(const std::string& name, onnx::TypeProto& type) const {
  auto it = dim_params_.find(name);
  if (it == dim_params_.end() || !type.has_tensor_type() || !type.tensor_type().has_shape()) return;
  auto* shape = type.mutable_tensor_type()->mutable_shape();
  if (static_cast<size_t>(shape->dim_size()) != it->second.size()) return;
  for (int a = 0; a < shape->dim_size(); ++a) {
    const std::string& p = it->second[a];
    if (p.empty()) continue;
    auto* d = shape->mutable_dim(a);
    d->Clear();
    if (p != "?") d->set_dim_param(p);
  }
}

void ModelView::index(const LoadOptions&) {
  const auto& g = inferred_->graph();
  std::map<std::string, const onnx::TypeProto*> types;
  for (const auto& vi : g.input()) types[vi.name()] = &vi.type();
  for (const auto& vi : g.value_info()) types[vi.name()] = &vi.type();
  for (const auto& vi : g.output()) types[vi.name()] = &vi.type();

  std::set<std::string> constant;
  for (const auto& i : g.initializer()) constant.insert(i.name());

  auto addTensor = [&](const std::string& name, int producer) {
    TensorInfo t;
    t.name = name;
    t.producer = producer;
    auto it = types.find(name);
    const onnx::TypeProto* type = it == types.end() ? nullptr : it->second;
    if (type && type->has_tensor_type()) t.elem_type = type->tensor_type().elem_type();
    t.shape = staticShape(type);
    if (t.shape && elementSize(t.elem_type) > 0) {
      int64_t n = 1;
      bool fits = true;
      for (int64_t d : *t.shape) fits = fits && d >= 0 && !__builtin_mul_overflow(n, d, &n);
      if (!fits || __builtin_mul_overflow(n, int64_t{elementSize(t.elem_type)}, &n))
        throw InputError(label_ + ": tensor '" + name + "' has a shape whose size does not fit in 64 bits");
      t.bytes = n;
    }
    tensor_index_[name] = static_cast<int>(tensors_.size());
    tensors_.push_back(std::move(t));
    return static_cast<int>(tensors_.size()) - 1;
  };

  for (const auto& in : g.input()) {
    if (constant.count(in.name())) continue;  // IR < 4 lists weights as inputs
    const int t = addTensor(in.name(), -1);
    tensors_[t].is_graph_input = true;
    inputs_.push_back(t);
  }

  for (int k = 0; k < g.node_size(); ++k) {
    const auto& n = g.node(k);
    const auto reads = nodeReads(n);
    bool is_const = std::all_of(reads.begin(), reads.end(), [&](const std::string& r) {
      return r.empty() || constant.count(r);
    });
    // Shape and Size of a statically shaped tensor are constants too.
    if (!is_const && isDefaultDomain(n.domain()) && (n.op_type() == "Shape" || n.op_type() == "Size") &&
        n.input_size() > 0) {
      auto it = tensor_index_.find(n.input(0));
      is_const = it != tensor_index_.end() && tensors_[it->second].shape.has_value();
    }
    if (is_const) {
      for (const auto& o : n.output()) constant.insert(o);
      constant_nodes_.push_back(k);
      continue;
    }
    NodeInfo info;
    info.op_type = n.op_type();
    info.domain = n.domain();
    info.proto_index = k;
    const int id = static_cast<int>(nodes_.size());
    for (const auto& r : reads) {
      auto it = tensor_index_.find(r);
      if (r.empty() || it == tensor_index_.end()) continue;
      if (std::find(info.inputs.begin(), info.inputs.end(), it->second) != info.inputs.end()) continue;
      info.inputs.push_back(it->second);
      tensors_[it->second].consumers.push_back(id);
    }
    for (const auto& o : n.output())
      if (!o.empty()) info.outputs.push_back(addTensor(o, id));
    nodes_.push_back(std::move(info));
  }

  // Keys: the name when non-empty and unique among all nodes, else the first
  // output's name (cost-model.md). A clash between the two kinds gets a
  // "#<index>" suffix so that keys stay unique (docs/model-view.md).
  std::map<std::string, int> name_count;
  std::set<std::string> taken;
  for (const auto& n : g.node())
    if (!n.name().empty()) ++name_count[n.name()];
  for (auto& info : nodes_) {
    const auto& n = g.node(info.proto_index);
    info.key = !n.name().empty() && name_count[n.name()] == 1 ? n.name()
               : n.output_size() > 0 ? n.output(0) : std::string();
    if (info.key.empty() || !taken.insert(info.key).second) {
      info.key += "#" + std::to_string(info.proto_index);
      taken.insert(info.key);
    }
  }
  std::vector<std::string> keys;
  for (const auto& n : nodes_) keys.push_back(n.key);
  keys_ = NodeKeys(std::move(keys));

  for (const auto& o : g.output()) {
    auto it = tensor_index_.find(o.name());
    if (it == tensor_index_.end()) {
      warnings_.push_back("graph output '" + o.name() + "' is a constant; it is not planned");
      continue;
    }
    tensors_[it->second].is_graph_output = true;
    outputs_.push_back(it->second);
  }
  for (int t : unknownSizeTensors())
    warnings_.push_back("tensor '" + tensors_[t].name + "' has no static size: no plan will cut it");
}

int ModelView::totalNodes() const { return inferred_->graph().node_size(); }

std::map<std::string, int> ModelView::opHistogram() const {
  std::map<std::string, int> h;
  for (const auto& n : inferred_->graph().node()) ++h[n.op_type()];
  return h;
}

std::vector<int> ModelView::unknownSizeTensors() const {
  std::vector<int> out;
  for (int t = 0; t < static_cast<int>(tensors_.size()); ++t) {
    const auto& ti = tensors_[t];
    if (!ti.bytes && (!ti.consumers.empty() || ti.is_graph_output)) out.push_back(t);
  }
  return out;
}

std::optional<std::vector<int64_t>> ModelView::shapeOf(const std::string& name) const {
  if (auto t = findTensor(name)) return tensors_[*t].shape;
  for (const auto& i : model_->graph().initializer())
    if (i.name() == name) return std::vector<int64_t>(i.dims().begin(), i.dims().end());
  for (const auto& vi : inferred_->graph().value_info())
    if (vi.name() == name) return staticShape(&vi.type());
  return std::nullopt;
}

int32_t ModelView::elemTypeOf(const std::string& name) const {
  if (auto t = findTensor(name)) return tensors_[*t].elem_type;
  for (const auto& i : model_->graph().initializer())
    if (i.name() == name) return i.data_type();
  for (const auto& vi : inferred_->graph().value_info())
    if (vi.name() == name && vi.type().has_tensor_type()) return vi.type().tensor_type().elem_type();
  return 0;
}

std::optional<int> ModelView::findNode(const std::string& key) const { return keys_.find(key); }

std::optional<int> ModelView::findTensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? std::nullopt : std::optional<int>(it->second);
}

PlanGraph ModelView::planGraph() const {
  PlanGraph pg;
  pg.num_nodes = static_cast<int>(nodes_.size());
  // Same indices as tensors(): tensors nobody reads cost nothing anyway.
  for (const auto& t : tensors_) {
    PlanTensor p;
    p.producer = t.producer;
    p.consumers = t.consumers;
    p.size_known = t.bytes.has_value();
    p.bytes = t.bytes ? static_cast<double>(*t.bytes) : 0.0;
    p.is_float32 = t.elem_type == onnx::TensorProto::FLOAT;
    p.is_output = t.is_graph_output;
    pg.tensors.push_back(std::move(p));
  }
  return pg;
}

}  // namespace onnxcut
