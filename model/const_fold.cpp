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

// Numpy broadcasting of n values.
std::optional<Value> broadcastN(const std::vector<const Value*>& in,
                                const std::function<double(const std::vector<double>&)>& f, int32_t out_type) {
  size_t rank = 0;
  for (const Value* v : in) {
    if (!v || v->numel() != static_cast<int64_t>(v->data.size())) return std::nullopt;
    rank = std::max(rank, v->dims.size());
  }
  std::vector<std::vector<int64_t>> d(in.size(), std::vector<int64_t>(rank, 1));
  std::vector<int64_t> dout(rank, 1);
  for (size_t k = 0; k < in.size(); ++k)
    std::copy(in[k]->dims.begin(), in[k]->dims.end(), d[k].begin() + (rank - in[k]->dims.size()));
  for (size_t i = 0; i < rank; ++i)
    for (size_t k = 0; k < in.size(); ++k) {
      if (d[k][i] == 1) continue;
      if (dout[i] != 1 && dout[i] != d[k][i]) return std::nullopt;
      dout[i] = d[k][i];  // 1 broadcasts to anything, 0 included
    }
  Value out;
  out.type = out_type;
  out.dims = dout;
  const int64_t n = out.numel();
  if (n < 0 || n > kMaxElements) return std::nullopt;
  std::vector<double> args(in.size());
  for (int64_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < in.size(); ++k) {
      int64_t rem = i, idx = 0, stride = 1;
      for (int j = static_cast<int>(rank) - 1; j >= 0; --j) {
        const int64_t at = rem % dout[j];
        rem /= dout[j];
        idx += (d[k][j] == 1 ? 0 : at) * stride;
        stride *= d[k][j];
      }
      args[k] = in[k]->data[idx];
    }
    out.data.push_back(castTo(f(args), out_type));
  }
  return out;
}

std::optional<Value> broadcast(const Value& a, const Value& b, const std::function<double(double, double)>& f,
                               int32_t out_type) {
  return broadcastN({&a, &b}, [&](const std::vector<double>& x) { return f(x[0], x[1]); }, out_type);
}

// Row-major strides of dims.
std::vector<int64_t> stridesOf(const std::vector<int64_t>& dims) {
  std::vector<int64_t> s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) s[i] = s[i + 1] * dims[i + 1];
  return s;
}

int64_t normAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

class Folder {
 public:
  Folder(const onnx::ModelProto& m) : opset_(defaultOpset(m)) {
    for (const auto& t : m.graph().initializer())
      if (auto v = fromTensor(t)) values_[t.name()] = *v;
    for (const auto& vi : m.graph().value_info()) addShape(vi);
    for (const auto& vi : m.graph().input()) addShape(vi);
    for (const auto& vi : m.graph().output()) addShape(vi);  // a graph output read further on
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
    if (op == "Reshape" && in.size() > 1 && in[1]) return reshape(a, asInts(*in[1]), intAttr(n, "allowzero", 0) != 0);
    if (op == "Flatten") {
      const int64_t r = static_cast<int64_t>(a.dims.size());
      const int64_t axis = normAxis(intAttr(n, "axis", 1), r);
      if (axis < 0 || axis > r) return std::nullopt;
      int64_t outer = 1;
      for (int64_t i = 0; i < axis; ++i) outer *= a.dims[i];
      return reshape(a, {outer, -1}, false);
    }
    if (op == "Concat") return concat(n, in);
    if (op == "Gather" && in.size() > 1 && in[1]) return gather(n, a, *in[1]);
    if (op == "Slice") return slice(n, in);
    if (op == "Split") return split(n, in);
    if (op == "Transpose") return transpose(n, a);
    if (op == "Tile" && in.size() > 1 && in[1]) return tile(a, asInts(*in[1]));
    if (op == "Expand" && in.size() > 1 && in[1]) {
      Value shape;
      shape.dims = asInts(*in[1]);
      if (shape.numel() < 0 || shape.numel() > kMaxElements) return std::nullopt;
      shape.data.assign(shape.numel(), 0.0);
      auto r = broadcastN({&a, &shape}, [](const std::vector<double>& x) { return x[0]; }, a.type);
      if (!r) return std::nullopt;
      return one(*r);
    }
    if (op == "Range" && in.size() == 3 && in[1] && in[2]) return range(a, *in[1], *in[2]);
    if (op == "ConstantOfShape") return constantOfShape(n, a);
    if (op == "CastLike" && in.size() > 1 && in[1]) {
      Value out = a;
      out.type = in[1]->type;
      for (double& x : out.data) x = castTo(x, out.type);
      return one(out);
    }
    if (op.rfind("Reduce", 0) == 0) return reduce(n, in);
    static const std::map<std::string, double (*)(double)> kUnary = {
        {"Floor", [](double x) { return std::floor(x); }},
        {"Ceil", [](double x) { return std::ceil(x); }},
        {"Neg", [](double x) { return -x; }},
        {"Abs", [](double x) { return std::abs(x); }},
        {"Sqrt", [](double x) { return std::sqrt(x); }},
        {"Reciprocal", [](double x) { return 1.0 / x; }},
        {"Sign", [](double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0; }},
        {"Round", [](double x) { return std::nearbyint(x); }},  // half to even (default rounding mode)
        {"Not", [](double x) { return x == 0 ? 1.0 : 0.0; }},
        {"Relu", [](double x) { return std::max(x, 0.0); }},
        {"Exp", [](double x) { return std::exp(x); }},
        {"Log", [](double x) { return std::log(x); }},
    };
    if (auto u = kUnary.find(op); u != kUnary.end() && in.size() == 1) {
      if (isInt(a.type) && (op == "Sqrt" || op == "Reciprocal" || op == "Exp" || op == "Log")) return std::nullopt;
      Value out = a;
      for (double& x : out.data) x = castTo(u->second(x), out.type);
      return one(out);
    }
    if (op == "Where" && in.size() == 3 && in[1] && in[2]) {
      auto r = broadcastN({in[0], in[1], in[2]}, [](const std::vector<double>& x) { return x[0] != 0 ? x[1] : x[2]; },
                          in[1]->type);
      if (!r) return std::nullopt;
      return one(*r);
    }
    // Variadic elementwise ops (two or more inputs, broadcast).
    if ((op == "Sum" || op == "Max" || op == "Min" || op == "Mean") && in.size() >= 2) {
      for (const Value* v : in)
        if (!v) return std::nullopt;
      const size_t k = in.size();
      auto r = broadcastN(in, [&op, k](const std::vector<double>& x) {
        double acc = x[0];
        for (size_t i = 1; i < x.size(); ++i)
          acc = op == "Max" ? std::max(acc, x[i]) : op == "Min" ? std::min(acc, x[i]) : acc + x[i];
        return op == "Mean" ? acc / static_cast<double>(k) : acc;
      }, a.type);
      if (!r) return std::nullopt;
      return one(*r);
    }
    if (in.size() == 2 && in[1]) {
      const Value& b = *in[1];
      const bool ints = isInt(a.type);
      const bool fmod = intAttr(n, "fmod", 0) != 0;
      std::function<double(double, double)> f;
      int32_t type = a.type;
      if (op == "Add") f = [](double x, double y) { return x + y; };
      else if (op == "Sub") f = [](double x, double y) { return x - y; };
      else if (op == "Mul") f = [](double x, double y) { return x * y; };
      else if (op == "Div") f = [ints](double x, double y) { return ints ? std::trunc(x / y) : x / y; };
      else if (op == "Mod") f = [fmod](double x, double y) {
        const double r = std::fmod(x, y);
        return fmod || r == 0 || (r < 0) == (y < 0) ? r : r + y;  // fmod=0: the divisor's sign
      };
      else if (op == "Pow") f = [](double x, double y) { return std::pow(x, y); };
      else if (op == "Equal") { f = [](double x, double y) { return x == y ? 1.0 : 0.0; }; type = TP::BOOL; }
      else if (op == "Less") { f = [](double x, double y) { return x < y ? 1.0 : 0.0; }; type = TP::BOOL; }
      else if (op == "LessOrEqual") { f = [](double x, double y) { return x <= y ? 1.0 : 0.0; }; type = TP::BOOL; }
      else if (op == "Greater") { f = [](double x, double y) { return x > y ? 1.0 : 0.0; }; type = TP::BOOL; }
      else if (op == "GreaterOrEqual") { f = [](double x, double y) { return x >= y ? 1.0 : 0.0; }; type = TP::BOOL; }
      else if (op == "And") f = [](double x, double y) { return x != 0 && y != 0 ? 1.0 : 0.0; };
      else if (op == "Or") f = [](double x, double y) { return x != 0 || y != 0 ? 1.0 : 0.0; };
      else if (op == "Xor") f = [](double x, double y) { return (x != 0) != (y != 0) ? 1.0 : 0.0; };
      else if (op == "Max") f = [](double x, double y) { return std::max(x, y); };
      else if (op == "Min") f = [](double x, double y) { return std::min(x, y); };
      else return std::nullopt;
      if ((op == "Div" || op == "Mod") && ints)
        for (double y : b.data) if (y == 0) return std::nullopt;
      auto r = broadcast(a, b, f, type);
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

  std::optional<std::vector<Value>> reshape(const Value& a, std::vector<int64_t> shape, bool allowzero) {
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == 0 && !allowzero) {
        if (i >= a.dims.size()) return std::nullopt;
        shape[i] = a.dims[i];
      }
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

  // Element i of `v` read at the multi-index `idx` (row-major).
  static int64_t offset(const std::vector<int64_t>& idx, const std::vector<int64_t>& strides) {
    int64_t o = 0;
    for (size_t i = 0; i < idx.size(); ++i) o += idx[i] * strides[i];
    return o;
  }
  static std::vector<int64_t> unravel(int64_t i, const std::vector<int64_t>& dims) {
    std::vector<int64_t> idx(dims.size());
    for (int k = static_cast<int>(dims.size()) - 1; k >= 0; --k) {
      idx[k] = dims[k] ? i % dims[k] : 0;
      i = dims[k] ? i / dims[k] : 0;
    }
    return idx;
  }
  static bool complete(const Value& v) { return v.numel() == static_cast<int64_t>(v.data.size()); }

  std::optional<std::vector<Value>> concat(const onnx::NodeProto& n, const std::vector<const Value*>& in) {
    const Value* first = nullptr;
    for (const Value* v : in) {
      if (!v || !complete(*v)) return std::nullopt;
      if (!first) first = v;
    }
    const int64_t r = static_cast<int64_t>(first->dims.size());
    const int64_t axis = normAxis(intAttr(n, "axis", 0), r);
    if (r == 0 || axis < 0 || axis >= r) return std::nullopt;
    Value out;
    out.type = first->type;
    out.dims = first->dims;
    out.dims[axis] = 0;
    for (const Value* v : in) {
      if (static_cast<int64_t>(v->dims.size()) != r) return std::nullopt;
      for (int64_t i = 0; i < r; ++i)
        if (i != axis && v->dims[i] != first->dims[i]) return std::nullopt;
      out.dims[axis] += v->dims[axis];
    }
    if (out.numel() < 0 || out.numel() > kMaxElements) return std::nullopt;
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= first->dims[i];
    for (int64_t o = 0; o < outer; ++o)
      for (const Value* v : in) {
        const int64_t block = v->numel() / std::max<int64_t>(outer, 1);
        out.data.insert(out.data.end(), v->data.begin() + o * block, v->data.begin() + (o + 1) * block);
      }
    return one(out);
  }

  std::optional<std::vector<Value>> gather(const onnx::NodeProto& n, const Value& a, const Value& idx) {
    const int64_t r = static_cast<int64_t>(a.dims.size());
    const int64_t axis = normAxis(intAttr(n, "axis", 0), r);
    if (r == 0 || axis < 0 || axis >= r || !complete(a) || !complete(idx)) return std::nullopt;
    Value out;
    out.type = a.type;
    out.dims.assign(a.dims.begin(), a.dims.begin() + axis);
    out.dims.insert(out.dims.end(), idx.dims.begin(), idx.dims.end());
    out.dims.insert(out.dims.end(), a.dims.begin() + axis + 1, a.dims.end());
    if (out.numel() < 0 || out.numel() > kMaxElements) return std::nullopt;
    const int64_t len = a.dims[axis];
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= a.dims[i];
    for (int64_t i = axis + 1; i < r; ++i) inner *= a.dims[i];
    for (int64_t o = 0; o < outer; ++o)
      for (double i : idx.data) {
        const int64_t k = normAxis(toInt64(i), len);
        if (k < 0 || k >= len) return std::nullopt;
        for (int64_t j = 0; j < inner; ++j) out.data.push_back(a.data[(o * len + k) * inner + j]);
      }
    return one(out);
  }

  std::optional<std::vector<Value>> slice(const onnx::NodeProto& n, const std::vector<const Value*>& in) {
    const Value& a = *in[0];
    const int64_t r = static_cast<int64_t>(a.dims.size());
    if (r == 0 || !complete(a)) return std::nullopt;
    std::vector<int64_t> starts, ends, axes, steps;
    if (opset_ < 10) {
      starts = intsAttr(n, "starts"); ends = intsAttr(n, "ends"); axes = intsAttr(n, "axes");
    } else {
      if (in.size() < 3 || !in[1] || !in[2]) return std::nullopt;
      starts = asInts(*in[1]); ends = asInts(*in[2]);
      if (in.size() > 3 && in[3]) axes = asInts(*in[3]);
      if (in.size() > 4 && in[4]) steps = asInts(*in[4]);
    }
    if (starts.size() != ends.size() || (!axes.empty() && axes.size() != starts.size()) ||
        (!steps.empty() && steps.size() != starts.size()))
      return std::nullopt;
    std::vector<int64_t> first(r, 0), step(r, 1), count = a.dims;
    std::set<int64_t> seen;
    for (size_t i = 0; i < starts.size(); ++i) {
      const int64_t ax = normAxis(axes.empty() ? static_cast<int64_t>(i) : axes[i], r);
      if (ax < 0 || ax >= r || !seen.insert(ax).second) return std::nullopt;
      const int64_t st = steps.empty() ? 1 : steps[i];
      if (st == 0) return std::nullopt;
      const int64_t len = a.dims[ax];
      int64_t s0 = starts[i], e0 = ends[i];
      // ONNX's clamping: negative indices count from the end; starts to
      // [0, len] ([0, len-1] for negative steps), ends to [-1, len].
      if (s0 < 0) s0 = s0 < -len ? 0 : s0 + len;
      if (e0 < 0) e0 = e0 < -len ? -1 : e0 + len;
      if (st > 0) {
        s0 = std::clamp<int64_t>(s0, 0, len);
        e0 = std::clamp<int64_t>(e0, 0, len);
        count[ax] = e0 > s0 ? (e0 - s0 + st - 1) / st : 0;
      } else {
        s0 = std::clamp<int64_t>(s0, 0, len - 1);
        e0 = std::clamp<int64_t>(e0, -1, len - 1);
        count[ax] = s0 > e0 ? (s0 - e0 + (-st) - 1) / (-st) : 0;
      }
      first[ax] = s0;
      step[ax] = st;
    }
    Value out;
    out.type = a.type;
    out.dims = count;
    if (out.numel() < 0) return std::nullopt;
    const auto strides = stridesOf(a.dims);
    for (int64_t i = 0; i < out.numel(); ++i) {
      auto idx = unravel(i, out.dims);
      for (int64_t k = 0; k < r; ++k) idx[k] = first[k] + idx[k] * step[k];
      out.data.push_back(a.data[offset(idx, strides)]);
    }
    return one(out);
  }

  std::optional<std::vector<Value>> split(const onnx::NodeProto& n, const std::vector<const Value*>& in) {
    const Value& a = *in[0];
    const int64_t r = static_cast<int64_t>(a.dims.size());
    const int64_t axis = normAxis(intAttr(n, "axis", 0), r);
    if (r == 0 || axis < 0 || axis >= r || !complete(a)) return std::nullopt;
    const int64_t len = a.dims[axis];
    const int64_t parts = n.output_size();
    std::vector<int64_t> sizes = intsAttr(n, "split");
    if (in.size() > 1 && in[1]) sizes = asInts(*in[1]);
    if (sizes.empty()) {
      if (parts <= 0) return std::nullopt;
      const int64_t chunk = (len + parts - 1) / parts;  // opset 18: the last chunk is smaller
      if (opset_ < 18 && len % parts != 0) return std::nullopt;
      for (int64_t i = 0; i < parts; ++i) sizes.push_back(std::clamp<int64_t>(len - i * chunk, 0, chunk));
    }
    int64_t total = 0;
    for (auto s : sizes) {
      if (s < 0) return std::nullopt;
      total += s;
    }
    if (static_cast<int64_t>(sizes.size()) != parts || total != len) return std::nullopt;
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= a.dims[i];
    for (int64_t i = axis + 1; i < r; ++i) inner *= a.dims[i];
    std::vector<Value> outs;
    int64_t at = 0;
    for (auto s : sizes) {
      Value v;
      v.type = a.type;
      v.dims = a.dims;
      v.dims[axis] = s;
      for (int64_t o = 0; o < outer; ++o)
        v.data.insert(v.data.end(), a.data.begin() + (o * len + at) * inner, a.data.begin() + (o * len + at + s) * inner);
      at += s;
      outs.push_back(std::move(v));
    }
    return outs;
  }

  std::optional<std::vector<Value>> transpose(const onnx::NodeProto& n, const Value& a) {
    const int64_t r = static_cast<int64_t>(a.dims.size());
    std::vector<int64_t> perm = intsAttr(n, "perm");
    if (perm.empty())
      for (int64_t i = r - 1; i >= 0; --i) perm.push_back(i);
    if (static_cast<int64_t>(perm.size()) != r || !complete(a)) return std::nullopt;
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < r; ++i)
      if (sorted[i] != i) return std::nullopt;
    Value out;
    out.type = a.type;
    for (auto p : perm) out.dims.push_back(a.dims[p]);
    const auto strides = stridesOf(a.dims);
    for (int64_t i = 0; i < out.numel(); ++i) {
      const auto idx = unravel(i, out.dims);
      int64_t o = 0;
      for (int64_t k = 0; k < r; ++k) o += idx[k] * strides[perm[k]];
      out.data.push_back(a.data[o]);
    }
    return one(out);
  }

  std::optional<std::vector<Value>> tile(const Value& a, const std::vector<int64_t>& reps) {
    if (reps.size() != a.dims.size() || !complete(a)) return std::nullopt;
    Value out;
    out.type = a.type;
    for (size_t i = 0; i < reps.size(); ++i) {
      if (reps[i] < 0) return std::nullopt;
      int64_t d = 0;
      if (__builtin_mul_overflow(a.dims[i], reps[i], &d)) return std::nullopt;
      out.dims.push_back(d);
    }
    if (out.numel() < 0 || out.numel() > kMaxElements) return std::nullopt;
    const auto strides = stridesOf(a.dims);
    for (int64_t i = 0; i < out.numel(); ++i) {
      auto idx = unravel(i, out.dims);
      for (size_t k = 0; k < idx.size(); ++k) idx[k] %= a.dims[k];
      out.data.push_back(a.data[offset(idx, strides)]);
    }
    return one(out);
  }

  std::optional<std::vector<Value>> range(const Value& start, const Value& limit, const Value& delta) {
    if (start.data.size() != 1 || limit.data.size() != 1 || delta.data.size() != 1 || delta.data[0] == 0)
      return std::nullopt;
    const double count = std::max(std::ceil((limit.data[0] - start.data[0]) / delta.data[0]), 0.0);
    if (!(count <= static_cast<double>(kMaxElements))) return std::nullopt;
    Value out;
    out.type = start.type;
    out.dims = {static_cast<int64_t>(count)};
    for (int64_t i = 0; i < out.dims[0]; ++i)
      out.data.push_back(castTo(start.data[0] + static_cast<double>(i) * delta.data[0], out.type));
    return one(out);
  }

  std::optional<std::vector<Value>> reduce(const onnx::NodeProto& n, const std::vector<const Value*>& in) {
    const std::string& op = n.op_type();
    const Value& a = *in[0];
    const int64_t r = static_cast<int64_t>(a.dims.size());
    if (!complete(a)) return std::nullopt;
    // Axes: an attribute up to opset 17 (12 for ReduceSum), an input after.
    std::vector<int64_t> axes = intsAttr(n, "axes");
    if (in.size() > 1 && in[1]) axes = asInts(*in[1]);
    const bool keep = intAttr(n, "keepdims", 1) != 0;
    if (axes.empty() && intAttr(n, "noop_with_empty_axes", 0) != 0) return one(a);
    std::set<int64_t> ax;
    for (auto x : axes) {
      const int64_t k = normAxis(x, r);
      if (k < 0 || k >= r) return std::nullopt;
      ax.insert(k);
    }
    if (axes.empty())
      for (int64_t i = 0; i < r; ++i) ax.insert(i);
    Value out;
    out.type = a.type;
    std::vector<int64_t> kept_dims(r);
    for (int64_t i = 0; i < r; ++i) {
      kept_dims[i] = ax.count(i) ? 1 : a.dims[i];
      if (!ax.count(i) || keep) out.dims.push_back(kept_dims[i]);
    }
    const int64_t m = Value{TP::INT64, kept_dims, {}}.numel();
    std::vector<double> acc(m), cnt(m, 0);
    const bool is_max = op == "ReduceMax", is_min = op == "ReduceMin", is_prod = op == "ReduceProd";
    if (op != "ReduceSum" && op != "ReduceMean" && !is_max && !is_min && !is_prod) return std::nullopt;
    std::fill(acc.begin(), acc.end(), is_prod ? 1.0 : is_max ? -HUGE_VAL : is_min ? HUGE_VAL : 0.0);
    const auto out_strides = stridesOf(kept_dims);
    for (int64_t i = 0; i < a.numel(); ++i) {
      auto idx = unravel(i, a.dims);
      for (int64_t k = 0; k < r; ++k)
        if (ax.count(k)) idx[k] = 0;
      const int64_t o = offset(idx, out_strides);
      const double x = a.data[i];
      acc[o] = is_max ? std::max(acc[o], x) : is_min ? std::min(acc[o], x) : is_prod ? acc[o] * x : acc[o] + x;
      cnt[o] += 1;
    }
    for (int64_t o = 0; o < m; ++o) {
      if ((is_max || is_min) && cnt[o] == 0) return std::nullopt;  // empty reduction
      out.data.push_back(castTo(op == "ReduceMean" ? (cnt[o] ? acc[o] / cnt[o] : std::nan("")) : acc[o], out.type));
    }
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

std::optional<std::vector<double>> smallTensorValues(const onnx::TensorProto& t) {
  auto v = fromTensor(t);
  if (!v) return std::nullopt;
  return v->data;
}

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
