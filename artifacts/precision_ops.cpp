#include "precision_ops.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <stdexcept>

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
  // A Constant node making `name`; returns its tensor (type set) to fill.
  TensorProto& constant(const std::string& name, int32_t type) {
    auto* a = add("Constant", {}, {name}).add_attribute();
    a->set_name("value");
    a->set_type(onnx::AttributeProto::TENSOR);
    a->mutable_t()->set_data_type(type);
    return *a->mutable_t();
  }
  std::string scalar(const std::string& name, float v) {
    constant(name, TensorProto::FLOAT).add_float_data(v);
    return name;
  }
  // An int64 constant: a scalar when `scalar`, else 1-D.
  std::string ints(const std::string& name, const std::vector<int64_t>& v, bool scalar) {
    TensorProto& t = constant(name, TensorProto::INT64);
    if (!scalar) t.add_dims(static_cast<int64_t>(v.size()));
    for (auto x : v) t.add_int64_data(x);
    return name;
  }
  std::string floats(const std::string& name, int64_t count, float v) {
    TensorProto& t = constant(name, TensorProto::FLOAT);
    t.add_dims(count);
    for (int64_t i = 0; i < count; ++i) t.add_float_data(v);
    return name;
  }
};

int64_t numelOf(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

// The first `n` elements of 1-D `x` (Slice: attributes before opset 10).
void slice1d(NodeMaker& m, const std::string& x, int64_t n, const std::string& out, int64_t opset) {
  if (opset < 10) {
    auto& s = m.add("Slice", {x}, {out});
    for (const char* k : {"starts", "ends", "axes"}) {
      auto* a = s.add_attribute();
      a->set_name(k);
      a->set_type(onnx::AttributeProto::INTS);
      a->add_ints(std::string(k) == "ends" ? n : 0);
    }
    return;
  }
  m.add("Slice", {x, m.ints(out + "_s", {0}, false), m.ints(out + "_e", {n}, false), m.ints(out + "_a", {0}, false)},
        {out});
}

// round-half-up then clamp to [0, 255]: Floor(x + 0.5), Clip.
std::string roundClip(NodeMaker& m, const std::string& x, const std::string& half, const std::string& base) {
  m.add("Add", {x, half}, {base + "_h"});
  m.add("Floor", {base + "_h"}, {base + "_r"});
  auto& c = m.add("Clip", {base + "_r"}, {base + "_c"});
  NodeMaker::floatAttr(c, "min", 0.0f);
  NodeMaker::floatAttr(c, "max", 255.0f);
  return base + "_c";
}

// The columns of `mat` ([groups, count]) as one integer per row, column j
// the j-th digit of `digit_bits` bits, most significant first:
// v = sum_j mat[:, j] * 2^(digit_bits (count-1-j)). Float32, exact below 2^24.
std::string joinDigits(NodeMaker& m, const std::string& mat, int count, int digit_bits, const std::string& base) {
  std::string v;
  for (int j = 0; j < count; ++j) {
    const std::string col = base + std::to_string(j);
    NodeMaker::intAttr(m.add("Gather", {mat, m.ints(col + "_i", {j}, true)}, {col}), "axis", 1);
    const float w = std::ldexp(1.0f, digit_bits * (count - 1 - j));
    std::string term = col;
    if (w != 1.0f) {
      m.add("Mul", {col, m.scalar(col + "_w", w)}, {col + "_m"});
      term = col + "_m";
    }
    if (v.empty()) v = term;
    else {
      m.add("Add", {v, term}, {col + "_v"});
      v = col + "_v";
    }
  }
  return v;
}

// The inverse: the `count` digits of `v` ([groups]) as a [groups, count]
// matrix named `out`; digit j = floor(v / 2^(d (count-1-j))) mod 2^d, the
// mod spelled c - floor(c / 2^d) * 2^d.
void splitDigits(NodeMaker& m, const std::string& v, int count, int digit_bits, int64_t groups,
                 const std::string& base, const std::string& out) {
  const float radix = std::ldexp(1.0f, digit_bits);
  std::vector<std::string> cols;
  for (int j = 0; j < count; ++j) {
    const std::string col = base + std::to_string(j);
    std::string c = v;
    const int shift = digit_bits * (count - 1 - j);
    if (shift > 0) {
      m.add("Div", {v, m.scalar(col + "_d", std::ldexp(1.0f, shift))}, {col + "_x"});
      m.add("Floor", {col + "_x"}, {col + "_c"});
      c = col + "_c";
    }
    if (j > 0) {
      m.add("Div", {c, m.scalar(col + "_base", radix)}, {col + "_h"});
      m.add("Floor", {col + "_h"}, {col + "_hf"});
      m.add("Mul", {col + "_hf", col + "_base"}, {col + "_hm"});
      m.add("Sub", {c, col + "_hm"}, {col + "_r"});
      c = col + "_r";
    }
    m.add("Reshape", {c, m.ints(col + "_col", {groups, 1}, false)}, {col + "_k"});
    cols.push_back(col + "_k");
  }
  if (cols.size() == 1) {
    m.add("Identity", {cols[0]}, {out});
    return;
  }
  auto& cat = m.add("Concat", {}, {out});
  for (const auto& c : cols) cat.add_input(c);
  NodeMaker::intAttr(cat, "axis", 1);
}

}  // namespace

onnx::TypeProto SentTensor::type(const onnx::TypeProto& original) const {
  onnx::TypeProto t;
  auto* tt = t.mutable_tensor_type();
  tt->set_elem_type(elem_type);
  if (scalar) tt->mutable_shape();
  else if (length >= 0) tt->mutable_shape()->add_dim()->set_dim_value(length);
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

int64_t packedBytes(int64_t numel, int bits) {
  if (bits == 32) return numel * 4;
  if (bits == 16) return numel * 2;
  const PackGroup pg = packGroup(bits);
  return (numel + pg.values - 1) / pg.values * pg.bytes;
}

std::vector<SentTensor> packedInputs(const std::string& t, int bits, int64_t numel) {
  return {{t + "__p" + std::to_string(bits), TensorProto::UINT8, false, packedBytes(numel, bits)},
          {t + "__lo", TensorProto::FLOAT, true},
          {t + "__scale", TensorProto::FLOAT, true}};
}

std::vector<SentTensor> appendEncodeBits(onnx::GraphProto& g, const std::string& t, int bits,
                                         const std::vector<int64_t>& shape, int64_t opset) {
  const int64_t n = numelOf(shape);
  const auto sent = packedInputs(t, bits, n);
  NodeMaker m{g, "onnxcut/" + t};
  const std::string b = t + "__onnxcut";
  const float levels = static_cast<float>((1 << bits) - 1);
  NodeMaker::intAttr(m.add("ReduceMin", {t}, {sent[1].name}), "keepdims", 0);
  NodeMaker::intAttr(m.add("ReduceMax", {t}, {b + "_hi"}), "keepdims", 0);
  m.add("Sub", {b + "_hi", sent[1].name}, {b + "_range"});
  m.add("Div", {b + "_range", m.scalar(b + "_levels", levels)}, {b + "_s0"});
  m.add("Max", {b + "_s0", m.scalar(b + "_tiny", 1e-30f)}, {sent[2].name});
  m.add("Sub", {t, sent[1].name}, {b + "_d"});
  m.add("Div", {b + "_d", sent[2].name}, {b + "_x"});
  m.add("Add", {b + "_x", m.scalar(b + "_half", 0.5f)}, {b + "_xh"});
  m.add("Floor", {b + "_xh"}, {b + "_q"});
  m.add("Reshape", {b + "_q", m.ints(b + "_flat", {n}, false)}, {b + "_qf"});
  const PackGroup pg = packGroup(bits);
  if (pg.values == 1) {
    NodeMaker::intAttr(m.add("Cast", {b + "_qf"}, {sent[0].name}), "to", TensorProto::UINT8);
    return sent;
  }
  const int64_t groups = (n + pg.values - 1) / pg.values, pad = groups * pg.values - n;
  std::string q = b + "_qf";
  if (pad > 0) {
    NodeMaker::intAttr(m.add("Concat", {q, m.floats(b + "_pad", pad, 0.0f)}, {b + "_qp"}), "axis", 0);
    q = b + "_qp";
  }
  m.add("Reshape", {q, m.ints(b + "_grp", {groups, pg.values}, false)}, {b + "_q2"});
  // The group as one integer < 2^24, then its bytes.
  const std::string v = joinDigits(m, b + "_q2", pg.values, bits, b + "_c");
  const std::string bytes = b + "_bytes";
  splitDigits(m, v, pg.bytes, 8, groups, b + "_b", bytes);
  m.add("Reshape", {bytes, m.ints(b + "_out", {groups * pg.bytes}, false)}, {b + "_pf"});
  NodeMaker::intAttr(m.add("Cast", {b + "_pf"}, {sent[0].name}), "to", TensorProto::UINT8);
  (void)opset;
  return sent;
}

void appendDecodeBits(onnx::GraphProto& g, const std::string& t, int bits, const std::vector<int64_t>& shape,
                      int64_t opset) {
  const int64_t n = numelOf(shape);
  const auto in = packedInputs(t, bits, n);
  NodeMaker m{g, "onnxcut/" + t};
  const std::string b = t + "__onnxcut_u";  // apart from the encoder's names (both may share a graph)
  NodeMaker::intAttr(m.add("Cast", {in[0].name}, {b + "_pf"}), "to", TensorProto::FLOAT);
  const PackGroup pg = packGroup(bits);
  std::string q = b + "_pf";
  if (pg.values > 1) {
    const int64_t groups = (n + pg.values - 1) / pg.values;
    std::string v = b + "_pf";
    if (pg.bytes > 1) {
      m.add("Reshape", {b + "_pf", m.ints(b + "_grp", {groups, pg.bytes}, false)}, {b + "_p2"});
      v = joinDigits(m, b + "_p2", pg.bytes, 8, b + "_b");
    }
    splitDigits(m, v, pg.values, bits, groups, b + "_v", b + "_vals");
    m.add("Reshape", {b + "_vals", m.ints(b + "_all", {groups * pg.values}, false)}, {b + "_qa"});
    q = b + "_qa";
    if (groups * pg.values != n) {
      slice1d(m, q, n, b + "_qs", opset);
      q = b + "_qs";
    }
  }
  m.add("Mul", {q, in[2].name}, {b + "_xs"});
  m.add("Add", {b + "_xs", in[1].name}, {b + "_x"});
  m.add("Reshape", {b + "_x", m.ints(b + "_shape", shape, false)}, {t});
}

PackedTensor packReference(const std::vector<float>& x, int bits) {
  PackedTensor p;
  if (x.empty()) return p;
  float lo = x[0], hi = x[0];
  for (float v : x) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  const float levels = static_cast<float>((1 << bits) - 1);
  const float s0 = (hi - lo) / levels;
  p.lo = lo;
  p.scale = std::max(s0, 1e-30f);
  const PackGroup pg = packGroup(bits);
  const int64_t n = static_cast<int64_t>(x.size());
  const int64_t groups = (n + pg.values - 1) / pg.values;
  p.bytes.assign(static_cast<size_t>(groups * pg.bytes), 0);
  for (int64_t g = 0; g < groups; ++g) {
    uint32_t v = 0;
    for (int j = 0; j < pg.values; ++j) {
      const int64_t i = g * pg.values + j;
      uint32_t q = 0;
      if (i < n) {
        const float d = x[static_cast<size_t>(i)] - lo;
        const float r = d / p.scale;
        q = static_cast<uint32_t>(std::floor(r + 0.5f));
      }
      v = (v << bits) | q;
    }
    for (int k = pg.bytes - 1; k >= 0; --k) {
      p.bytes[static_cast<size_t>(g * pg.bytes + k)] = static_cast<uint8_t>(v & 0xff);
      v >>= 8;
    }
  }
  return p;
}

std::vector<float> unpackReference(const PackedTensor& p, int bits, int64_t numel) {
  const PackGroup pg = packGroup(bits);
  std::vector<float> out(static_cast<size_t>(numel));
  for (int64_t i = 0; i < numel; ++i) {
    const int64_t g = i / pg.values, j = i % pg.values;
    uint32_t v = 0;
    for (int k = 0; k < pg.bytes; ++k) v = (v << 8) | p.bytes[static_cast<size_t>(g * pg.bytes + k)];
    const uint32_t q = (v >> (bits * (pg.values - 1 - j))) & ((1u << bits) - 1);
    const float xs = static_cast<float>(q) * p.scale;
    out[static_cast<size_t>(i)] = xs + p.lo;
  }
  return out;
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
