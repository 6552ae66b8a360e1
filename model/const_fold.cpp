// A tiny evaluator for shape arithmetic (see const_fold.h). Values are kept
// as doubles or int64 with their dims; anything unsupported or larger than
// kMaxElements is simply left alone (the planner then reports the sizes it
// could not resolve; it never guesses).
#include "const_fold.h"
#include "model_load.h"

#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace onnxcut {
namespace {

constexpr int64_t kMaxElements = kMaxFoldElements;

using TP = onnx::TensorProto;

struct Value {
  int32_t type = TP::INT64;
  std::vector<int64_t> dims;
  std::vector<double> data;  // exact for |ints| < 2^53, ample for shapes
  // -1 when a dim is negative or the count overflows: never folded.
  int64_t numel() const {
    int64_t n = 1;
    for (auto d : dims)
      if (d < 0 || __builtin_mul_overflow(n, d, &n)) return -1;
    return n;
  }
};

bool isInt(int32_t t) {
  return t == TP::INT64 || t == TP::INT32 || t == TP::INT16 || t == TP::INT8 || t == TP::UINT8 ||
         t == TP::UINT16 || t == TP::UINT32 || t == TP::UINT64 || t == TP::BOOL;
}
bool isFloat(int32_t t) { return t == TP::FLOAT || t == TP::DOUBLE; }

std::optional<Value> fromTensor(const TP& t) {
  Value v;
  v.type = t.data_type();
  v.dims.assign(t.dims().begin(), t.dims().end());
  const int64_t n = v.numel();
  if (n < 0 || n > kMaxElements || t.data_location() == TP::EXTERNAL) return std::nullopt;
  if (!isInt(v.type) && !isFloat(v.type)) return std::nullopt;
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    auto read = [&](auto sample) -> bool {
      using S = decltype(sample);
      if (raw.size() != static_cast<size_t>(n) * sizeof(S)) return false;
      for (int64_t i = 0; i < n; ++i) {
        S s;
        std::memcpy(&s, raw.data() + i * sizeof(S), sizeof(S));
        v.data.push_back(static_cast<double>(s));
      }
      return true;
    };
    bool ok = false;
    switch (v.type) {
      case TP::INT64: ok = read(int64_t{}); break;
      case TP::INT32: ok = read(int32_t{}); break;
      case TP::INT16: ok = read(int16_t{}); break;
      case TP::INT8: ok = read(int8_t{}); break;
      case TP::UINT8: case TP::BOOL: ok = read(uint8_t{}); break;
      case TP::UINT16: ok = read(uint16_t{}); break;
      case TP::UINT32: ok = read(uint32_t{}); break;
      case TP::UINT64: ok = read(uint64_t{}); break;
      case TP::FLOAT: ok = read(float{}); break;
      case TP::DOUBLE: ok = read(double{}); break;
      default: break;
    }
    if (!ok) return std::nullopt;
  } else if (v.type == TP::INT64) {
    v.data.assign(t.int64_data().begin(), t.int64_data().end());
  } else if (v.type == TP::FLOAT) {
    v.data.assign(t.float_data().begin(), t.float_data().end());
  } else if (v.type == TP::DOUBLE) {
    v.data.assign(t.double_data().begin(), t.double_data().end());
  } else if (v.type == TP::UINT64 || v.type == TP::UINT32) {
    v.data.assign(t.uint64_data().begin(), t.uint64_data().end());
  } else {
    v.data.assign(t.int32_data().begin(), t.int32_data().end());  // int32 and narrower, bool
  }
  if (static_cast<int64_t>(v.data.size()) != n) return std::nullopt;
  return v;
}

// Saturating conversions: a double out of the target's range (INT64_MAX
// slice ends come back as 9.22e18) never converts with undefined behaviour.
int64_t toInt64(double x) {
  constexpr double kLimit = 9.2e18;
  if (std::isnan(x)) return 0;
  if (x >= kLimit) return std::numeric_limits<int64_t>::max();
  if (x <= -kLimit) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(x);
}
template <class I>
I saturate(double x) {
  return static_cast<I>(std::clamp<int64_t>(toInt64(x), std::numeric_limits<I>::min(), std::numeric_limits<I>::max()));
}

TP toTensor(const Value& v, const std::string& name) {
  TP t;
  t.set_name(name);
  t.set_data_type(v.type);
  for (auto d : v.dims) t.add_dims(d);
  for (double x : v.data) {
    switch (v.type) {
      case TP::INT64: t.add_int64_data(toInt64(x)); break;
      case TP::FLOAT: t.add_float_data(static_cast<float>(x)); break;
      case TP::DOUBLE: t.add_double_data(x); break;
      case TP::UINT64: case TP::UINT32: t.add_uint64_data(static_cast<uint64_t>(std::max<int64_t>(0, toInt64(x)))); break;
      default: t.add_int32_data(saturate<int32_t>(x)); break;
    }
  }
  return t;
}

double castTo(double x, int32_t type) {
  if (type == TP::FLOAT) {
    if (std::abs(x) > std::numeric_limits<float>::max() && std::isfinite(x)) return x > 0 ? HUGE_VAL : -HUGE_VAL;
    return static_cast<double>(static_cast<float>(x));
  }
  if (isFloat(type)) return x;
  if (type == TP::BOOL) return x != 0 ? 1 : 0;
  return std::trunc(x);
}

const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}
std::vector<int64_t> intsAttr(const onnx::NodeProto& n, const std::string& name) {
  const auto* a = attr(n, name);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
}
int64_t intAttr(const onnx::NodeProto& n, const std::string& name, int64_t def) {
  const auto* a = attr(n, name);
  return a && a->has_i() ? a->i() : def;
}

std::vector<int64_t> asInts(const Value& v) {
  std::vector<int64_t> out;
  for (double x : v.data) out.push_back(toInt64(x));
  return out;
}

// Numpy broadcasting of two values.
std::optional<Value> broadcast(const Value& a, const Value& b, const std::function<double(double, double)>& f,
                               int32_t out_type) {
  const size_t rank = std::max(a.dims.size(), b.dims.size());
  std::vector<int64_t> da(rank, 1), db(rank, 1), dout(rank);
  std::copy(a.dims.begin(), a.dims.end(), da.begin() + (rank - a.dims.size()));
  std::copy(b.dims.begin(), b.dims.end(), db.begin() + (rank - b.dims.size()));
  for (size_t i = 0; i < rank; ++i) {
    if (da[i] != db[i] && da[i] != 1 && db[i] != 1) return std::nullopt;
    dout[i] = da[i] == 1 ? db[i] : da[i];  // 1 broadcasts to anything, 0 included
  }
  Value out;
  out.type = out_type;
  out.dims = dout;
  const int64_t n = out.numel();
  if (n < 0 || n > kMaxElements || a.numel() != static_cast<int64_t>(a.data.size()) ||
      b.numel() != static_cast<int64_t>(b.data.size()))
    return std::nullopt;
  for (int64_t i = 0; i < n; ++i) {
    int64_t rem = i, ia = 0, ib = 0, sa = 1, sb = 1;
    for (int k = static_cast<int>(rank) - 1; k >= 0; --k) {
      const int64_t idx = rem % dout[k];
      rem /= dout[k];
      ia += (da[k] == 1 ? 0 : idx) * sa;
      ib += (db[k] == 1 ? 0 : idx) * sb;
      sa *= da[k];
      sb *= db[k];
    }
    out.data.push_back(castTo(f(a.data[ia], b.data[ib]), out_type));
  }
  return out;
}

int64_t normAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

class Folder {
 public:
  Folder(const onnx::ModelProto& m) : opset_(defaultOpset(m)) {
    for (const auto& t : m.graph().initializer())
      if (auto v = fromTensor(t)) values_[t.name()] = *v;
    for (const auto& vi : m.graph().value_info()) addShape(vi);
    for (const auto& vi : m.graph().input()) addShape(vi);
  }

  std::optional<std::vector<Value>> eval(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    if (!n.domain().empty() && n.domain() != "ai.onnx") return std::nullopt;
    if (op == "Shape" || op == "Size") return shapeOf(n);
    if (op == "Constant") return constant(n);
    std::vector<const Value*> in;
    for (const auto& i : n.input()) {
      if (i.empty()) { in.push_back(nullptr); continue; }
      auto it = values_.find(i);
      if (it == values_.end()) return std::nullopt;
      in.push_back(&it->second);
    }
    if (in.empty() || !in[0]) return std::nullopt;
    const Value& a = *in[0];
    if (op == "Identity") return one(a);
    if (op == "Cast") {
      Value out = a;
      out.type = static_cast<int32_t>(intAttr(n, "to", TP::INT64));
      if (!isInt(out.type) && !isFloat(out.type)) return std::nullopt;
      for (double& x : out.data) x = castTo(x, out.type);
      return one(out);
    }
    if (op == "Unsqueeze" || op == "Squeeze") return squeeze(n, in, op == "Unsqueeze");
    if (op == "Reshape" && in.size() > 1 && in[1]) return reshape(a, asInts(*in[1]));
    if (op == "Concat") return concat(n, in);
    if (op == "Gather" && in.size() > 1 && in[1]) return gather(n, a, *in[1]);
    if (op == "Slice") return slice(n, in);
    if (op == "ConstantOfShape") return constantOfShape(n, a);
    if (op == "Floor" || op == "Ceil" || op == "Neg" || op == "Abs" || op == "Sqrt") {
      Value out = a;
      for (double& x : out.data)
        x = op == "Floor" ? std::floor(x) : op == "Ceil" ? std::ceil(x) : op == "Neg" ? -x : op == "Abs" ? std::abs(x) : std::sqrt(x);
      return one(out);
    }
    if (in.size() == 2 && in[1]) {
      const Value& b = *in[1];
      const bool ints = isInt(a.type);
      std::function<double(double, double)> f;
      if (op == "Add") f = [](double x, double y) { return x + y; };
      else if (op == "Sub") f = [](double x, double y) { return x - y; };
      else if (op == "Mul") f = [](double x, double y) { return x * y; };
      else if (op == "Div") f = [ints](double x, double y) { return ints ? std::trunc(x / y) : x / y; };
      else if (op == "Min") f = [](double x, double y) { return std::min(x, y); };
      else if (op == "Max") f = [](double x, double y) { return std::max(x, y); };
      else if (op == "Equal") f = [](double x, double y) { return x == y ? 1.0 : 0.0; };
      else return std::nullopt;
      if (op == "Div" && ints)
        for (double y : b.data) if (y == 0) return std::nullopt;
      auto r = broadcast(a, b, f, op == "Equal" ? TP::BOOL : a.type);
      if (!r) return std::nullopt;
      return one(*r);
    }
    return std::nullopt;
  }

  void record(const std::string& name, const Value& v) { values_[name] = v; }

 private:
  static int64_t defaultOpset(const onnx::ModelProto& m) {
    for (const auto& o : m.opset_import())
      if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
    return 1;
  }
  void addShape(const onnx::ValueInfoProto& vi) {
    if (auto dims = staticShape(&vi.type())) shapes_[vi.name()] = *dims;
  }
  static std::vector<Value> one(Value v) { return {std::move(v)}; }

  std::optional<std::vector<Value>> shapeOf(const onnx::NodeProto& n) {
    if (n.input_size() < 1) return std::nullopt;
    std::vector<int64_t> dims;
    if (auto it = values_.find(n.input(0)); it != values_.end()) dims = it->second.dims;
    else if (auto s = shapes_.find(n.input(0)); s != shapes_.end()) dims = s->second;
    else return std::nullopt;
    Value out;
    if (n.op_type() == "Size") {
      const int64_t numel = Value{TP::INT64, dims, {}}.numel();
      if (numel < 0) return std::nullopt;
      out.data = {static_cast<double>(numel)};
      return one(out);
    }
    const int64_t r = static_cast<int64_t>(dims.size());
    int64_t start = std::clamp(normAxis(intAttr(n, "start", 0), r), int64_t{0}, r);
    int64_t end = std::clamp(normAxis(intAttr(n, "end", r), r), int64_t{0}, r);
    for (int64_t i = start; i < end; ++i) out.data.push_back(static_cast<double>(dims[i]));
    out.dims = {static_cast<int64_t>(out.data.size())};
    return one(out);
  }

  std::optional<std::vector<Value>> constant(const onnx::NodeProto& n) {
    Value v;
    if (const auto* a = attr(n, "value")) {
      auto t = fromTensor(a->t());
      if (!t) return std::nullopt;
      return one(*t);
    }
    if (const auto* a = attr(n, "value_int")) { v.data = {static_cast<double>(a->i())}; return one(v); }
    if (const auto* a = attr(n, "value_ints")) {
      for (auto x : a->ints()) v.data.push_back(static_cast<double>(x));
      v.dims = {a->ints_size()};
      return one(v);
    }
    if (const auto* a = attr(n, "value_float")) { v.type = TP::FLOAT; v.data = {a->f()}; return one(v); }
    if (const auto* a = attr(n, "value_floats")) {
      v.type = TP::FLOAT;
      for (auto x : a->floats()) v.data.push_back(x);
      v.dims = {a->floats_size()};
      return one(v);
    }
    return std::nullopt;
  }

  std::optional<std::vector<Value>> squeeze(const onnx::NodeProto& n, const std::vector<const Value*>& in,
                                            bool unsqueeze) {
    std::vector<int64_t> axes = intsAttr(n, "axes");
    if (opset_ >= 13) {
      axes.clear();
      if (in.size() > 1 && in[1]) axes = asInts(*in[1]);
    }
    Value out = *in[0];
    // Axes out of range or repeated: not folded (shape inference names it).
    auto axisSet = [&](int64_t r) -> std::optional<std::set<int64_t>> {
      std::set<int64_t> ax;
      for (auto a : axes) {
        if (a < -r || a >= r) return std::nullopt;
        ax.insert(normAxis(a, r));
      }
      if (ax.size() != axes.size()) return std::nullopt;
      return ax;
    };
    if (unsqueeze) {
      const int64_t r = static_cast<int64_t>(out.dims.size() + axes.size());
      const auto valid = axisSet(r);
      if (!valid || axes.empty()) return std::nullopt;
      const std::set<int64_t>& ax = *valid;
      std::vector<int64_t> dims;
      size_t k = 0;
      for (int64_t i = 0; i < r; ++i) dims.push_back(ax.count(i) ? 1 : out.dims[k++]);
      out.dims = dims;
    } else {
      const int64_t r = static_cast<int64_t>(out.dims.size());
      const auto valid = axisSet(r);
      if (!valid) return std::nullopt;
      const std::set<int64_t>& ax = *valid;
      for (int64_t a : ax)
        if (out.dims[a] != 1) return std::nullopt;  // only size-1 axes can go
      std::vector<int64_t> dims;
      for (int64_t i = 0; i < r; ++i)
        if (!(ax.empty() ? out.dims[i] == 1 : ax.count(i) > 0)) dims.push_back(out.dims[i]);
      out.dims = dims;
    }
    return one(out);
  }

  std::optional<std::vector<Value>> reshape(const Value& a, std::vector<int64_t> shape) {
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0 && i < a.dims.size()) shape[i] = a.dims[i];
      if (shape[i] == -1 && infer < 0) infer = static_cast<int64_t>(i);
      else if (shape[i] < 0 || __builtin_mul_overflow(known, shape[i], &known)) return std::nullopt;
    }
    if (a.numel() < 0) return std::nullopt;
    if (infer >= 0) {
      if (known == 0) return std::nullopt;
      shape[infer] = a.numel() / known;
    }
    Value out = a;
    out.dims = shape;
    if (out.numel() < 0 || out.numel() != a.numel()) return std::nullopt;
    return one(out);
  }

  std::optional<std::vector<Value>> concat(const onnx::NodeProto& n, const std::vector<const Value*>& in) {
    Value out;
    out.type = in[0]->type;
    for (const Value* v : in) {
      if (!v || v->dims.size() != 1) return std::nullopt;  // 1-D shape vectors only
      out.data.insert(out.data.end(), v->data.begin(), v->data.end());
    }
    if (normAxis(intAttr(n, "axis", 0), 1) != 0) return std::nullopt;
    out.dims = {static_cast<int64_t>(out.data.size())};
    return one(out);
  }

  std::optional<std::vector<Value>> gather(const onnx::NodeProto& n, const Value& a, const Value& idx) {
    if (a.dims.size() != 1 || normAxis(intAttr(n, "axis", 0), 1) != 0) return std::nullopt;
    Value out;
    out.type = a.type;
    out.dims = idx.dims;
    const int64_t len = a.dims[0];
    if (len != static_cast<int64_t>(a.data.size())) return std::nullopt;
    for (double i : idx.data) {
      const int64_t k = normAxis(toInt64(i), len);
      if (k < 0 || k >= len) return std::nullopt;
      out.data.push_back(a.data[k]);
    }
    return one(out);
  }

  std::optional<std::vector<Value>> slice(const onnx::NodeProto& n, const std::vector<const Value*>& in) {
    const Value& a = *in[0];
    if (a.dims.size() != 1) return std::nullopt;
    std::vector<int64_t> starts, ends, axes, steps;
    if (opset_ < 10) {
      starts = intsAttr(n, "starts"); ends = intsAttr(n, "ends"); axes = intsAttr(n, "axes");
    } else {
      if (in.size() < 3 || !in[1] || !in[2]) return std::nullopt;
      starts = asInts(*in[1]); ends = asInts(*in[2]);
      if (in.size() > 3 && in[3]) axes = asInts(*in[3]);
      if (in.size() > 4 && in[4]) steps = asInts(*in[4]);
    }
    if (starts.size() != 1 || ends.size() != 1) return std::nullopt;
    if (!axes.empty() && normAxis(axes[0], 1) != 0) return std::nullopt;
    const int64_t step = steps.empty() ? 1 : steps[0];
    if (step == 0) return std::nullopt;
    const int64_t len = a.dims[0];
    if (len != static_cast<int64_t>(a.data.size())) return std::nullopt;
    auto clampIdx = [&](int64_t i, bool is_end) {
      if (i < 0) i += len;
      return step > 0 ? std::clamp<int64_t>(i, 0, len) : std::clamp<int64_t>(i, -1, len - 1) + (is_end ? 0 : 0);
    };
    int64_t s = clampIdx(starts[0], false), e = clampIdx(ends[0], true);
    Value out;
    out.type = a.type;
    for (int64_t i = s; step > 0 ? i < e : i > e; i += step) out.data.push_back(a.data[i]);
    out.dims = {static_cast<int64_t>(out.data.size())};
    return one(out);
  }

  std::optional<std::vector<Value>> constantOfShape(const onnx::NodeProto& n, const Value& shape) {
    Value out;
    out.dims = asInts(shape);
    out.type = TP::FLOAT;
    double fill = 0;
    if (const auto* a = attr(n, "value")) {
      auto t = fromTensor(a->t());
      if (!t || t->data.size() != 1) return std::nullopt;
      out.type = t->type;
      fill = t->data[0];
    }
    if (out.numel() > kMaxElements || out.numel() < 0) return std::nullopt;
    out.data.assign(out.numel(), fill);
    return one(out);
  }

  int64_t opset_;
  std::map<std::string, Value> values_;
  std::map<std::string, std::vector<int64_t>> shapes_;
};

}  // namespace

int foldShapeArithmetic(onnx::ModelProto& m) {
  Folder folder(m);
  auto* g = m.mutable_graph();
  std::set<std::string> graph_outputs;
  for (const auto& o : g->output()) graph_outputs.insert(o.name());
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  int folded = 0;
  for (const auto& n : g->node()) {
    bool produces_output = false;
    for (const auto& o : n.output()) produces_output |= graph_outputs.count(o) > 0;
    auto values = produces_output ? std::nullopt : folder.eval(n);
    if (!values || static_cast<int>(values->size()) != n.output_size()) {
      *kept.Add() = n;
      continue;
    }
    for (int i = 0; i < n.output_size(); ++i) {
      folder.record(n.output(i), (*values)[i]);
      const TP t = toTensor((*values)[i], n.output(i));
      *g->add_initializer() = t;
      if (m.ir_version() < 4) typeOfTensor(t, *g->add_input());  // IR < 4: every initializer is also a graph input
    }
    ++folded;
  }
  g->mutable_node()->Swap(&kept);
  return folded;
}

}  // namespace onnxcut
