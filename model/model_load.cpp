#include "model_load.h"

#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <sstream>

#include "const_fold.h"
#include "external_data.h"
#include "lowering.h"
#include "errors.h"
#include "sha256.h"

namespace onnxcut {
namespace {

// Outer-scope names used inside a sub-graph (nested ones included).
void collectOuterReads(const onnx::GraphProto& g, std::set<std::string>& outer) {
  std::set<std::string> local;
  for (const auto& i : g.input()) local.insert(i.name());
  for (const auto& i : g.initializer()) local.insert(i.name());
  for (const auto& n : g.node()) {
    for (const auto& name : nodeReads(n))
      if (!name.empty() && !local.count(name)) outer.insert(name);
    for (const auto& o : n.output()) local.insert(o);
  }
  for (const auto& o : g.output())
    if (!local.count(o.name())) outer.insert(o.name());
}

std::string dimsToString(const std::vector<int64_t>& d) {
  std::string s;
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "x" : "") + std::to_string(d[i]);
  return s;
}

}  // namespace

std::optional<std::vector<int64_t>> staticShape(const onnx::TypeProto* type) {
  if (!type || !type->has_tensor_type() || !type->tensor_type().has_shape()) return std::nullopt;
  std::vector<int64_t> dims;
  for (const auto& d : type->tensor_type().shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() < 0) return std::nullopt;
    dims.push_back(d.dim_value());
  }
  return dims;
}

void typeOfTensor(const onnx::TensorProto& t, onnx::ValueInfoProto& out) {
  out.set_name(t.name());
  auto* tt = out.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(t.data_type());
  auto* shape = tt->mutable_shape();
  shape->Clear();
  for (auto d : t.dims()) shape->add_dim()->set_dim_value(d);
}

std::string describeNode(const onnx::NodeProto& n, int index) {
  std::string who = !n.name().empty() ? "'" + n.name() + "'"
                    : n.output_size() > 0 ? "producing '" + n.output(0) + "'"
                                          : "#" + std::to_string(index);
  return "node " + who + " (" + n.op_type() + ")";
}

std::vector<std::string> nodeReads(const onnx::NodeProto& n) {
  std::vector<std::string> reads(n.input().begin(), n.input().end());
  std::set<std::string> outer;
  for (const auto& a : n.attribute()) {
    if (a.has_g()) collectOuterReads(a.g(), outer);
    for (const auto& g : a.graphs()) collectOuterReads(g, outer);
  }
  reads.insert(reads.end(), outer.begin(), outer.end());
  return reads;
}

namespace {

// Hands the file to the parser chunk by chunk and hashes every byte on the
// way: the model's identity costs no second read of a large file.
class HashingBuf : public std::streambuf {
 public:
  explicit HashingBuf(std::streambuf* src) : src_(src) {}
  std::string hex() {
    while (underflow() != traits_type::eof()) setg(buf_, buf_ + (egptr() - eback()), egptr());
    return sha_.hex();
  }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    const std::streamsize n = src_->sgetn(buf_, sizeof buf_);
    if (n <= 0) return traits_type::eof();
    sha_.update(buf_, static_cast<size_t>(n));
    setg(buf_, buf_, buf_ + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  std::streambuf* src_;
  Sha256 sha_;
  char buf_[1 << 16];
};

}  // namespace

std::string readModelFile(const std::string& path, onnx::ModelProto& out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError(path + ": cannot read it: it is a directory, not an ONNX file");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError(path + ": cannot open the file (missing or unreadable)");
  if (f.peek() == std::ifstream::traits_type::eof()) {
    if (f.bad()) throw InputError(path + ": cannot read the file");
    throw InputError(path + ": the file is empty, not an ONNX model");
  }
  auto hashing = std::make_unique<HashingBuf>(f.rdbuf());
  std::istream in(hashing.get());
  if (path.size() > 8 && path.ends_with(".onnxtxt")) {  // ONNX text format
    std::ostringstream buf;
    buf << in.rdbuf();
    onnx::Common::Status status;
    try {
      status = onnx::OnnxParser::Parse(out, buf.str().c_str());
    } catch (const std::exception& e) {  // the parser's std::stoll on a huge number
      throw InputError(path + ": not valid ONNX text: a number is out of range or malformed (" + e.what() + ")");
    }
    if (!status.IsOK()) throw InputError(path + ": not valid ONNX text: " + status.ErrorMessage());
    return hashing->hex();
  }
  // Parsed straight from the stream: a large model is held once, not twice.
  if (!out.ParseFromIstream(&in))
    throw InputError(path + ": not a valid ONNX protobuf (corrupt or truncated file)");
  return hashing->hex();
}

namespace {

void forEachNode(const onnx::GraphProto& g, const std::function<void(const onnx::NodeProto&, int)>& f) {
  for (int k = 0; k < g.node_size(); ++k) {
    f(g.node(k), k);
    for (const auto& a : g.node(k).attribute()) {
      if (a.has_g()) forEachNode(a.g(), f);
      for (const auto& sub : a.graphs()) forEachNode(sub, f);
    }
  }
}

}  // namespace

void checkAttributeValues(const onnx::ModelProto& m, const std::string& label) {
  // ONNX 1.12's convolution and pooling shape rules divide by these.
  static const std::map<std::string, int64_t> kMinimum = {
      {"strides", 1}, {"dilations", 1}, {"kernel_shape", 1}, {"group", 1}, {"pads", 0}, {"output_padding", 0}};
  ErrorList errors;
  forEachNode(m.graph(), [&](const onnx::NodeProto& n, int k) {
    if (!n.domain().empty() && n.domain() != "ai.onnx") return;
    for (const auto& a : n.attribute()) {
      auto rule = kMinimum.find(a.name());
      if (rule == kMinimum.end()) continue;
      bool bad = a.has_i() && a.i() < rule->second;
      for (int64_t v : a.ints()) bad = bad || v < rule->second;
      if (bad)
        errors.add(describeNode(n, k) + ": attribute '" + a.name() + "' must be >= " + std::to_string(rule->second));
    }
  });
  errors.throwIfAny(label);
}

void checkNodeSchemas(const onnx::ModelProto& m, const std::string& label) {
  onnx::checker::CheckerContext ctx;
  ctx.set_ir_version(static_cast<int>(m.ir_version()));
  std::unordered_map<std::string, int> opsets;
  for (const auto& o : m.opset_import()) opsets[o.domain() == "ai.onnx" ? "" : o.domain()] = static_cast<int>(o.version());
  ctx.set_opset_imports(opsets);
  // Every name of the main graph is in scope (sub-graphs read them).
  onnx::checker::LexicalScopeContext scope;
  const auto& g = m.graph();
  for (const auto& i : g.input()) scope.add(i.name());
  for (const auto& i : g.initializer()) scope.add(i.name());
  for (const auto& n : g.node())
    for (const auto& o : n.output()) scope.add(o);
  ErrorList errors;
  for (int k = 0; k < g.node_size(); ++k) {
    const auto& n = g.node(k);
    if (!n.domain().empty() && n.domain() != "ai.onnx") continue;  // other domains: planned as opaque nodes
    if (n.op_type() == "Constant" && n.attribute_size() == 1 && n.attribute(0).has_t()) {
      int64_t count = 1;
      for (auto d : n.attribute(0).t().dims()) count = d < 0 || __builtin_mul_overflow(count, d, &count) ? INT64_MAX : count;
      if (count > kMaxFoldElements) continue;  // its payload was left out of the copy checked (checkTensorData saw it)
    }
    try {
      onnx::checker::check_node(n, ctx, scope);
    } catch (const std::exception& e) {
      std::string what = e.what();
      what = what.substr(0, what.find('\n'));
      errors.add(describeNode(n, k) + ": " + what);
    }
  }
  errors.throwIfAny(label);
}

void checkTensorData(const onnx::ModelProto& m, const std::string& label) {
  using TP = onnx::TensorProto;
  ErrorList errors;
  forEachTensor(m.graph(), [&](const TP& t) {
    const std::string who = "tensor '" + t.name() + "'";
    int64_t n = 1;
    for (int64_t d : t.dims())
      if (d < 0 || __builtin_mul_overflow(n, d, &n))
        return errors.add(who + ": dims must be non-negative and their product must fit in 64 bits");
    if (t.data_location() == TP::EXTERNAL) return;  // checkExternalData
    const int32_t type = t.data_type();
    // IR 9/10 types ONNX 1.12's enum lacks: float8 (17-20), uint4/int4 (21, 22).
    const bool float8 = type >= kFloat8E4M3FN && type <= kFloat8E5M2FNUZ;
    const bool int4 = type == kUint4 || type == kInt4;
    if (type == TP::UNDEFINED || (!TP::DataType_IsValid(type) && !float8 && !int4))
      return errors.add(who + ": data type " + std::to_string(type) + " is not an ONNX tensor type");
    const int size = elementSize(type);
    if (t.has_raw_data()) {
      if (type == TP::STRING) return errors.add(who + ": string tensors cannot use raw_data");
      int64_t need = 0;
      const bool overflow = int4 ? (need = n / 2 + n % 2, false)  // two 4-bit values a byte
                                 : __builtin_mul_overflow(n, static_cast<int64_t>(size), &need);
      if (overflow || static_cast<int64_t>(t.raw_data().size()) != need)
        errors.add(who + ": raw_data holds " + std::to_string(t.raw_data().size()) + " bytes, its dims and type need " +
                   std::to_string(need));
      return;
    }
    int64_t have = 0, per = 1;
    switch (type) {
      case TP::FLOAT: have = t.float_data_size(); break;
      case TP::COMPLEX64: have = t.float_data_size(); per = 2; break;
      case TP::DOUBLE: have = t.double_data_size(); break;
      case TP::COMPLEX128: have = t.double_data_size(); per = 2; break;
      case TP::INT64: have = t.int64_data_size(); break;
      case TP::UINT32: case TP::UINT64: have = t.uint64_data_size(); break;
      case TP::STRING: have = t.string_data_size(); break;
      default: have = t.int32_data_size(); break;  // int32 and narrower, bool, float16, bfloat16, float8
    }
    if (int4 && have == n / 2 + n % 2) return;  // packed two to an int32 entry
    if (have != n * per)
      errors.add(who + ": holds " + std::to_string(have / per) + " values, its dims say " + std::to_string(n));
  });
  errors.throwIfAny(label);
}

void checkExternalData(const onnx::ModelProto& m, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path folder = fs::weakly_canonical(fs::absolute(path).parent_path(), ec);
  ErrorList errors;
  forEachTensor(m.graph(), [&](const onnx::TensorProto& t) {
    if (t.data_location() != onnx::TensorProto::EXTERNAL) return;
    const ExternalRef ref = externalRef(t);
    const std::string& location = ref.location;
    const int64_t offset = ref.offset, length = ref.length;
    const bool numbers_ok = ref.numbers_ok;
    const std::string who = "initializer '" + t.name() + "'";
    if (location.empty()) return errors.add(who + ": external data without a location");
    if (!numbers_ok) return errors.add(who + ": external data offset/length must be whole numbers");
    const fs::path rel(location);
    bool climbs = rel.is_absolute() || location.find('\0') != std::string::npos;
    for (const auto& part : rel) climbs = climbs || part == "..";
    if (climbs)
      return errors.add(who + ": external data location '" + location +
                        "' is outside the model's folder (absolute or with '..'); refused");
    const fs::path file = fs::weakly_canonical(folder / rel, ec);
    const auto [end, unused] = std::mismatch(folder.begin(), folder.end(), file.begin(), file.end());
    (void)unused;
    if (ec || end != folder.end())
      return errors.add(who + ": external data location '" + location + "' leads outside the model's folder; refused");
    const auto st = fs::status(file, ec);
    if (ec || !fs::is_regular_file(st))
      return errors.add(who + ": external data file '" + location + "' does not exist next to the model");
    const auto size = static_cast<int64_t>(fs::file_size(file, ec));
    if (ec || offset > size || (length >= 0 && length > size - offset))
      return errors.add(who + ": external data of '" + location + "' (offset " + std::to_string(offset) +
                        ", length " + std::to_string(length) + ") runs past the end of the file (" +
                        std::to_string(size) + " bytes)");
  });
  errors.throwIfAny(path);
}

void checkHeader(const onnx::ModelProto& m, const std::string& label) {
  if (!m.has_ir_version() || m.ir_version() <= 0)
    throw InputError(label + ": not an ONNX model (no IR version; corrupt file?)");
  if (m.ir_version() > kMaxIrVersion)
    throw InputError(label + ": IR version " + std::to_string(m.ir_version()) +
                     " is newer than onnxcut reads (IR <= " + std::to_string(kMaxIrVersion) +
                     ", what its ONNX Runtime 1.22 runs); re-export it with an older IR version");
  if (m.opset_import_size() == 0 || m.ir_version() < kMinIrVersion)
    throw InputError(label + ": the model declares no opset_import (IR version " +
                     std::to_string(m.ir_version()) +
                     "); models older than IR 3 are not supported, re-export it");
  for (const auto& o : m.opset_import()) {
    if ((o.domain().empty() || o.domain() == "ai.onnx") && o.version() > kMaxOpset)
      throw InputError(label + ": opset " + std::to_string(o.version()) +
                       " is newer than onnxcut reads (default-domain opset <= " +
                       std::to_string(kMaxOpset) + ", what its ONNX Runtime 1.22 runs); re-export it at opset " +
                       std::to_string(kMaxOpset) + " or lower");
  }
  if (!m.has_graph() || m.graph().node_size() == 0)
    throw InputError(label + ": the model has no graph nodes");
  if (m.graph().output_size() == 0) throw InputError(label + ": the graph has no outputs");
}

void checkStructure(const onnx::ModelProto& m, const std::string& label) {
  const auto& g = m.graph();
  ErrorList errors;
  std::map<std::string, std::string> made_by;  // tensor -> who produces it
  for (const auto& i : g.initializer()) made_by.emplace(i.name(), "an initializer");
  for (const auto& i : g.input())
    if (!made_by.count(i.name())) made_by.emplace(i.name(), "a graph input");
  std::map<std::string, int> later;  // producer index of every node output
  for (int k = 0; k < g.node_size(); ++k)
    for (const auto& o : g.node(k).output())
      if (!o.empty()) later.emplace(o, k);

  for (int k = 0; k < g.node_size(); ++k) {
    const auto& n = g.node(k);
    for (const auto& name : nodeReads(n)) {
      if (name.empty() || made_by.count(name)) continue;
      auto it = later.find(name);
      if (it != later.end())
        errors.add(describeNode(n, k) + " reads tensor '" + name + "' before " +
                   describeNode(g.node(it->second), it->second) +
                   " produces it: the nodes are not in topological order, or the graph has a cycle");
      else
        errors.add(describeNode(n, k) + " reads tensor '" + name +
                   "', which no node, initializer or graph input produces");
    }
    for (const auto& o : n.output()) {
      if (o.empty()) continue;
      auto [it, fresh] = made_by.emplace(o, describeNode(n, k));
      if (!fresh) errors.add("tensor '" + o + "' is produced twice: by " + it->second + " and by " + describeNode(n, k));
    }
  }
  std::set<std::string> outputs, inputs;
  for (const auto& o : g.output()) {
    if (!made_by.count(o.name())) errors.add("graph output '" + o.name() + "' is never produced");
    if (!outputs.insert(o.name()).second) errors.add("graph output '" + o.name() + "' is listed twice");
  }
  for (const auto& i : g.input())
    if (!inputs.insert(i.name()).second) errors.add("graph input '" + i.name() + "' is listed twice");
  // Declared dims: non-negative (unknown ones are symbolic, not negative).
  auto dims = [&](const onnx::ValueInfoProto& v, const char* what) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return;
    for (const auto& d : v.type().tensor_type().shape().dim())
      if (d.has_dim_value() && d.dim_value() < 0)
        errors.add(std::string(what) + " '" + v.name() + "' has a negative dimension (" + std::to_string(d.dim_value()) + ")");
  };
  for (const auto& v : g.input()) dims(v, "graph input");
  for (const auto& v : g.output()) dims(v, "graph output");
  for (const auto& v : g.value_info()) dims(v, "tensor");
  errors.throwIfAny(label);
}

void fixInputShapes(onnx::ModelProto& m, const std::vector<InputShape>& shapes,
                    const std::string& label, bool skip_absent, std::vector<DynamicDim>* dynamic) {
  auto* g = m.mutable_graph();
  std::set<std::string> weights;
  for (const auto& i : g->initializer()) weights.insert(i.name());
  ErrorList errors;
  std::set<std::string> used;
  std::string names;
  for (auto& in : *g->mutable_input()) {
    if (weights.count(in.name())) continue;
    names += (names.empty() ? "" : ", ") + in.name();
    const InputShape* user = nullptr;
    for (const auto& s : shapes)
      if (s.name == in.name()) user = &s;
    if (user) used.insert(user->name);
    if (!in.type().has_tensor_type()) {
      if (user) errors.add(optionRef("input_shapes") + " " + user->name + ": the input is not a tensor");
      continue;
    }
    auto* tt = in.mutable_type()->mutable_tensor_type();
    if (!tt->has_shape()) {
      if (!user) {  // unknown rank: sizes stay unknown
        if (dynamic) dynamic->push_back({in.name(), -1, std::string(), false});
        continue;
      }
      for (size_t i = 0; i < user->dims.size(); ++i) tt->mutable_shape()->add_dim();
    }
    auto* shape = tt->mutable_shape();
    if (user && static_cast<size_t>(shape->dim_size()) != user->dims.size()) {
      errors.add(optionRef("input_shapes") + " " + user->name + "=" + dimsToString(user->dims) + " has rank " +
                 std::to_string(user->dims.size()) + ", but input '" + in.name() + "' has rank " +
                 std::to_string(shape->dim_size()));
      continue;
    }
    for (int d = 0; d < shape->dim_size(); ++d) {
      auto* dim = shape->mutable_dim(d);
      const bool fixed = dim->has_dim_value() && dim->dim_value() > 0;
      if (user) {
        if (fixed && dim->dim_value() != user->dims[d]) {
          errors.add(optionRef("input_shapes") + " " + user->name + ": axis " + std::to_string(d) + " of input '" +
                     in.name() + "' is fixed at " + std::to_string(dim->dim_value()) + ", not " +
                     std::to_string(user->dims[d]));
          continue;
        }
        // A symbolic batch the user sizes stays symbolic in split files.
        if (dynamic && !fixed && d == 0 && shape->dim_size() >= 2)
          dynamic->push_back({in.name(), d, dim->has_dim_param() ? dim->dim_param() : std::string(), true, true});
        dim->set_dim_value(user->dims[d]);
      } else if (!fixed) {
        // cost-model.md: unknown or symbolic dims default to 1. A leading
        // dim of a rank >= 2 input is taken as the batch (docs/model-view.md).
        if (dynamic)
          dynamic->push_back({in.name(), d, dim->has_dim_param() ? dim->dim_param() : std::string(),
                              d == 0 && shape->dim_size() >= 2});
        dim->set_dim_value(1);
      }
    }
  }
  for (const auto& s : shapes)
    if (!used.count(s.name) && !skip_absent)
      errors.add(optionRef("input_shapes") + " names '" + s.name + "', which is not a graph input (inputs: " + names + ")");
  errors.throwIfAny(label);
}

namespace {

// ONNX 1.12's shape rules crash on some malformed graphs (a division by a
// zero stride, reads past a shape when a convolution's input and weights
// disagree in rank). Inference therefore runs in a forked child that sends
// the inferred model back through a pipe: a crash there is bad input named
// as such, never a crash of onnxcut. (The copy inferred on has its large
// weights stripped, so the round trip is small.)
void inferIsolated(onnx::ModelProto& m, const onnx::ShapeInferenceOptions& options, const std::string& label) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe: " + std::string(std::strerror(errno)));
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    try {
      onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(), options);
      out = "O" + m.SerializeAsString();
    } catch (const std::exception& e) {
      out = std::string("E") + e.what();
    }
    for (size_t done = 0; done < out.size();) {
      const ssize_t w = write(fds[1], out.data() + done, out.size() - done);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) _exit(4);
      done += static_cast<size_t>(w);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string in;
  char buf[1 << 16];
  for (;;) {
    const ssize_t r = read(fds[0], buf, sizeof buf);
    if (r > 0) { in.append(buf, static_cast<size_t>(r)); continue; }
    if (r < 0 && errno == EINTR) continue;
    break;
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0 && !in.empty();
  if (!clean)
    throw InputError(label + ": ONNX's shape inference crashed on this model (" +
                     (WIFSIGNALED(status) ? "signal " + std::to_string(WTERMSIG(status))
                                          : "exit " + std::to_string(WEXITSTATUS(status))) +
                     "): the graph is malformed, for example a convolution or pooling whose input, weights and "
                     "attributes disagree in rank or size");
  if (in[0] == 'E') throw InputError(label + ": shape inference failed: " + in.substr(1));
  onnx::ModelProto inferred;
  if (!inferred.ParseFromString(in.substr(1))) throw std::runtime_error("shape inference: a corrupt reply from the child");
  m.Swap(&inferred);
}

void inferOnce(onnx::ModelProto& m, const std::string& label,
               const std::vector<onnx::ValueInfoProto>& declared = {}) {
  auto* g = m.mutable_graph();
  g->clear_value_info();
  for (const auto& vi : declared) *g->add_value_info() = vi;
  for (auto& o : *g->mutable_output())
    if (o.type().has_tensor_type()) o.mutable_type()->mutable_tensor_type()->clear_shape();
  // Non-strict: an op without inference (custom domains) leaves its outputs
  // unknown, which the planner then refuses to cut, rather than failing.
  onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/0,
                                      /*enable_data_propagation=*/true);
  inferIsolated(m, options, label);
}

// Each round of folding can make more shapes static (a Reshape whose target
// was computed through a Cast), which can make more Shape nodes foldable.
constexpr int kMaxFoldRounds = 16;

}  // namespace

void stripLargeInitializers(onnx::ModelProto& m) {
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    int64_t n = 1;
    for (auto d : t.dims()) n *= d;
    if (n <= kMaxFoldElements) continue;
    // Types and dims are all inference needs of a weight.
    t.clear_raw_data(); t.clear_float_data(); t.clear_int32_data(); t.clear_int64_data();
    t.clear_double_data(); t.clear_uint64_data(); t.clear_string_data();
  }
  for (auto& n : *m.mutable_graph()->mutable_node())
    for (auto& a : *n.mutable_attribute())
      if (n.op_type() == "Constant" && a.has_t()) {
        int64_t k = 1;
        for (auto d : a.t().dims()) k *= d;
        if (k > kMaxFoldElements) { a.mutable_t()->clear_raw_data(); a.mutable_t()->clear_float_data(); }
      }
}

// Shape rules of ops ONNX knows, applied strictly once the lenient rounds
// are done: a failure in such an op is bad input. A declared shape that
// disagrees with the inferred one is only a warning (exporters write stale
// output shapes, and ONNX Runtime runs those models).
void checkInferenceStrictly(const onnx::ModelProto& inferred, const std::string& label,
                            std::vector<std::string>& warnings) {
  onnx::ModelProto work = inferred;
  onnx::ShapeInferenceOptions options(/*check_type=*/false, /*error_mode=*/1, /*enable_data_propagation=*/true);
  try {
    inferIsolated(work, options, label);
  } catch (const InputError& e) {
    const std::string prefix = label + ": shape inference failed: ";
    std::string what = e.what();
    if (what.rfind(prefix, 0) != 0) throw;  // a crash: not a mere disagreement
    what = what.substr(prefix.size());
    while (!what.empty() && (what.back() == '\n' || what.back() == ' ')) what.pop_back();
    if (what.find("existing shape") != std::string::npos || what.find("existing dim") != std::string::npos)
      warnings.push_back("a declared shape disagrees with shape inference: " + what);
    else
      throw;
  }
}

// A Reshape whose input and output shapes are both known must keep the
// element count (ONNX's shape rule does not check it).
void checkReshapes(const onnx::ModelProto& inferred, const std::string& label) {
  std::map<std::string, std::vector<int64_t>> shapes;
  auto add = [&](const onnx::ValueInfoProto& v) {
    if (auto d = staticShape(&v.type())) shapes[v.name()] = *d;
  };
  for (const auto& v : inferred.graph().input()) add(v);
  for (const auto& v : inferred.graph().value_info()) add(v);
  for (const auto& v : inferred.graph().output()) add(v);
  for (const auto& t : inferred.graph().initializer()) shapes[t.name()] = {t.dims().begin(), t.dims().end()};
  auto count = [](const std::vector<int64_t>& d) {
    int64_t n = 1;
    for (int64_t x : d)
      if (x < 0 || __builtin_mul_overflow(n, x, &n)) return int64_t{-1};
    return n;
  };
  ErrorList errors;
  for (int k = 0; k < inferred.graph().node_size(); ++k) {
    const auto& n = inferred.graph().node(k);
    if (n.op_type() != "Reshape" || !(n.domain().empty() || n.domain() == "ai.onnx") || n.input_size() < 1 || n.output_size() < 1) continue;
    auto in = shapes.find(n.input(0)), out = shapes.find(n.output(0));
    if (in == shapes.end() || out == shapes.end()) continue;
    const int64_t a = count(in->second), b = count(out->second);
    if (a >= 0 && b >= 0 && a != b)
      errors.add(describeNode(n, k) + " reshapes " + std::to_string(a) + " elements into " + std::to_string(b));
  }
  errors.throwIfAny(label);
}

void inferShapes(onnx::ModelProto& m, const std::string& label, std::vector<std::string>& warnings) {
  onnx::ModelProto work = m;
  const int64_t opset = defaultDomainOpset(m);
  // Outputs of ops of other domains, which ONNX cannot infer: a fully static
  // shape the model declares for them is taken (they are opaque otherwise).
  std::vector<onnx::ValueInfoProto> declared;
  {
    std::set<std::string> custom;
    for (const auto& n : m.graph().node())
      if (!n.domain().empty() && n.domain() != "ai.onnx")
        for (const auto& o : n.output()) custom.insert(o);
    for (const auto& vi : m.graph().value_info())
      if (custom.count(vi.name()) && staticShape(&vi.type())) declared.push_back(vi);
  }
  prepareForAnalysis(work);
  lowerForAnalysis(work, opset, label);
  inferOnce(work, label, declared);
  for (int round = 0; round < kMaxFoldRounds; ++round) {
    const int folded = foldShapeArithmetic(work);
    const int lowered = lowerForAnalysis(work, opset, label);
    if (folded + lowered == 0) break;
    inferOnce(work, label, declared);
  }
  for (const auto& p : pendingNodes(work))
    warnings.push_back(p + ": onnxcut has no shape rule for this form (or its axes/sizes are not constant); "
                       "its outputs have no static size");
  checkInferenceStrictly(work, label, warnings);
  checkReshapes(work, label);
  // Keep m's nodes (codegen and the node index need them); take the types,
  // including those of the constants folding turned into initializers.
  auto* g = m.mutable_graph();
  *g->mutable_value_info() = work.graph().value_info();
  *g->mutable_output() = work.graph().output();
  std::set<std::string> original;
  for (const auto& i : m.graph().initializer()) original.insert(i.name());
  for (const auto& i : work.graph().initializer()) {
    if (!original.count(i.name()) && !i.name().starts_with("onnxcut_lowered/")) typeOfTensor(i, *g->add_value_info());
  }
}

}  // namespace onnxcut
