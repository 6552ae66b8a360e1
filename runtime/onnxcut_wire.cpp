#include "onnxcut_wire.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace onnxcut::runtime::wire {
namespace {

// ---- encoding: little-endian, whatever the host ----
class Writer {
 public:
  void u16(uint16_t v) { uint(v, 2); }
  void u32(uint32_t v) { uint(v, 4); }
  void u64(uint64_t v) { uint(v, 8); }
  void i32(int32_t v) { uint(static_cast<uint32_t>(v), 4); }
  void i64(int64_t v) { uint(static_cast<uint64_t>(v), 8); }
  void f64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    u64(bits);
  }
  void str(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    out += s;
  }
  void tensors(const std::vector<Tensor>& ts) {
    u32(static_cast<uint32_t>(ts.size()));
    for (const auto& t : ts) {
      str(t.name);
      i32(t.dtype);
      u32(static_cast<uint32_t>(t.dims.size()));
      for (int64_t d : t.dims) i64(d);
      u64(t.data.size());
      out += t.data;
    }
  }
  std::string out;

 private:
  void uint(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  }
};

// ---- decoding: every read checked against what is left ----
class Reader {
 public:
  Reader(const char* p, size_t n, const Limits& l) : p_(reinterpret_cast<const unsigned char*>(p)), n_(n), lim_(l) {}
  std::string error;
  bool ok() const { return error.empty(); }
  size_t left() const { return n_ - at_; }
  bool fail(const std::string& e) {
    if (error.empty()) error = e;
    return false;
  }
  uint64_t uint(int bytes, const char* what) {
    if (!ok()) return 0;
    if (left() < static_cast<size_t>(bytes)) return fail(std::string("frame ends inside ") + what), 0;
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(p_[at_ + static_cast<size_t>(i)]) << (8 * i);
    at_ += static_cast<size_t>(bytes);
    return v;
  }
  uint16_t u16(const char* w) { return static_cast<uint16_t>(uint(2, w)); }
  uint32_t u32(const char* w) { return static_cast<uint32_t>(uint(4, w)); }
  uint64_t u64(const char* w) { return uint(8, w); }
  int32_t i32(const char* w) { return static_cast<int32_t>(u32(w)); }
  int64_t i64(const char* w) { return static_cast<int64_t>(u64(w)); }
  // A finite number >= `min`.
  double f64(const char* what, double min) {
    const uint64_t bits = u64(what);
    double v;
    std::memcpy(&v, &bits, sizeof v);
    if (ok() && !(std::isfinite(v) && v >= min)) return fail(std::string(what) + " is not a finite number >= " + num(min)), 0;
    return v;
  }
  std::string bytes(uint64_t n, const char* what) {
    if (!ok()) return "";
    if (n > left()) return fail(std::string(what) + ": " + std::to_string(n) + " bytes announced, " +
                                std::to_string(left()) + " left in the frame"), "";
    std::string s(reinterpret_cast<const char*>(p_ + at_), static_cast<size_t>(n));
    at_ += static_cast<size_t>(n);
    return s;
  }
  std::string str(uint32_t max, const char* what) {
    const uint32_t n = u32(what);
    if (ok() && n > max) return fail(std::string(what) + " is " + std::to_string(n) + " bytes, over the limit of " + std::to_string(max)), "";
    return bytes(n, what);
  }
  std::vector<Tensor> tensors() {
    std::vector<Tensor> out;
    const uint32_t count = u32("the tensor count");
    if (!ok()) return out;
    if (count > lim_.max_tensors)
      return fail(std::to_string(count) + " tensors, over the limit of " + std::to_string(lim_.max_tensors)), out;
    // Each tensor takes at least 20 bytes: no reservation beyond the input.
    if (count > left() / 20) return fail(std::to_string(count) + " tensors announced in " + std::to_string(left()) + " bytes"), out;
    out.reserve(count);
    for (uint32_t k = 0; k < count && ok(); ++k) {
      Tensor t;
      const std::string where = "tensor " + std::to_string(k);
      t.name = str(lim_.max_name, "a tensor name");
      t.dtype = i32("a tensor's dtype");
      const uint32_t rank = u32("a tensor's rank");
      if (!ok()) break;
      const size_t elem = elementBytes(t.dtype);
      if (elem == 0) return fail(where + " '" + t.name + "': data type " + std::to_string(t.dtype) + " is not sent by this protocol"), out;
      if (rank > lim_.max_rank) return fail(where + " '" + t.name + "': rank " + std::to_string(rank) + " over the limit of " + std::to_string(lim_.max_rank)), out;
      uint64_t count_elems = 1;
      bool overflow = false;
      for (uint32_t d = 0; d < rank && ok(); ++d) {
        const int64_t dim = i64("a tensor's dims");
        if (!ok()) break;
        if (dim < 0) return fail(where + " '" + t.name + "': negative dim " + std::to_string(dim)), out;
        t.dims.push_back(dim);
        overflow = overflow || __builtin_mul_overflow(count_elems, static_cast<uint64_t>(dim), &count_elems);
      }
      const uint64_t data_len = u64("a tensor's byte count");
      if (!ok()) break;
      uint64_t expect = 0;
      if (overflow || __builtin_mul_overflow(count_elems, static_cast<uint64_t>(elem), &expect) || expect != data_len)
        return fail(where + " '" + t.name + "': " + std::to_string(data_len) + " data bytes for dims of " +
                    (overflow ? std::string("too many") : std::to_string(count_elems)) + " elements of " +
                    std::to_string(elem) + " bytes"), out;
      t.data = bytes(data_len, "tensor data");
      out.push_back(std::move(t));
    }
    return out;
  }

  static std::string num(double x) {
    char b[32];
    std::snprintf(b, sizeof b, "%g", x);
    return b;
  }

 private:
  const unsigned char* p_;
  size_t n_, at_ = 0;
  const Limits& lim_;
};

bool knownType(uint16_t t) { return t >= 1 && t <= 9; }

}  // namespace

size_t elementBytes(int32_t dtype) {
  switch (dtype) {
    case 1: case 6: case 12: return 4;           // float, int32, uint32
    case 2: case 3: case 9: return 1;            // uint8, int8, bool
    case 4: case 5: case 10: case 16: return 2;  // uint16, int16, float16, bfloat16
    case 7: case 11: case 13: return 8;          // int64, double, uint64
    default: return 0;
  }
}

int32_t dtypeCode(const std::string& n) {
  static const std::pair<const char*, int32_t> kNames[] = {
      {"float32", 1}, {"uint8", 2}, {"int8", 3}, {"uint16", 4}, {"int16", 5}, {"int32", 6}, {"int64", 7},
      {"bool", 9}, {"float16", 10}, {"float64", 11}, {"uint32", 12}, {"uint64", 13}, {"bfloat16", 16}};
  for (const auto& [name, code] : kNames)
    if (n == name) return code;
  return -1;
}

std::string dtypeName(int32_t dtype) {
  for (const char* n : {"float32", "uint8", "int8", "uint16", "int16", "int32", "int64", "bool", "float16", "float64",
                        "uint32", "uint64", "bfloat16"})
    if (dtypeCode(n) == dtype) return n;
  return "";
}

std::string encode(const Frame& f) {
  Writer p;  // the payload first, so the header can say its length
  switch (f.type) {
    case FrameType::hello:
    case FrameType::hello_ack: p.str(f.table_sha256); break;
    case FrameType::infer:
      p.u32(f.plan);
      p.tensors(f.tensors);
      break;
    case FrameType::result:
      p.f64(f.queue_ms);
      p.f64(f.compute_ms);
      p.u32(f.queue_length);
      p.f64(f.recent_compute_ms);
      p.f64(f.load);
      p.tensors(f.tensors);
      break;
    case FrameType::error:
      p.u16(static_cast<uint16_t>(f.error_code));
      p.str(f.message);
      break;
    case FrameType::load_query: break;
    case FrameType::load_report:
      p.u32(f.queue_length);
      p.f64(f.recent_compute_ms);
      p.f64(f.load);
      break;
    case FrameType::probe: p.str(f.padding); break;
    case FrameType::probe_ack: break;
  }
  Writer h;
  h.out.append(kMagic, 4);
  h.u16(kVersion);
  h.u16(static_cast<uint16_t>(f.type));
  h.u64(f.id);
  h.u64(p.out.size());
  return h.out + p.out;
}

Result<Header> decodeHeader(const char* data, size_t n, const Limits& limits) {
  auto fail = [](const std::string& e) { return Result<Header>::failure(e); };
  if (!data || n < kHeaderBytes) return fail("a frame header is " + std::to_string(kHeaderBytes) + " bytes; got " + std::to_string(n));
  if (std::memcmp(data, kMagic, 4) != 0) return fail("not an onnxcut frame (no OCUT magic)");
  Reader r(data + 4, kHeaderBytes - 4, limits);
  const uint16_t version = r.u16("the version");
  const uint16_t type = r.u16("the type");
  Header h;
  h.id = r.u64("the frame id");
  h.payload = r.u64("the payload length");
  if (version != kVersion)
    return fail("protocol version " + std::to_string(version) + " (this library speaks " + std::to_string(kVersion) + ")");
  if (!knownType(type)) return fail("unknown frame type " + std::to_string(type));
  if (h.payload > limits.max_payload)
    return fail("payload of " + std::to_string(h.payload) + " bytes, over the limit of " + std::to_string(limits.max_payload));
  h.type = static_cast<FrameType>(type);
  return Result<Header>{h, ""};
}

Result<Frame> decode(const char* data, size_t n, const Limits& limits) {
  auto fail = [](const std::string& e) { return Result<Frame>::failure(e); };
  const auto h = decodeHeader(data, n, limits);
  if (!h.ok()) return fail(h.error);
  if (n - kHeaderBytes != h.value->payload)
    return fail("the header announces " + std::to_string(h.value->payload) + " payload bytes; the frame has " +
                std::to_string(n - kHeaderBytes));
  Frame f;
  f.type = h.value->type;
  f.id = h.value->id;
  Reader r(data + kHeaderBytes, n - kHeaderBytes, limits);
  switch (f.type) {
    case FrameType::hello:
    case FrameType::hello_ack: f.table_sha256 = r.str(128, "the plan-table SHA-256"); break;
    case FrameType::infer:
      f.plan = r.u32("the plan id");
      f.tensors = r.tensors();
      break;
    case FrameType::result:
      f.queue_ms = r.f64("queue_ms", 0);
      f.compute_ms = r.f64("compute_ms", 0);
      f.queue_length = r.u32("queue_length");
      f.recent_compute_ms = r.f64("recent_compute_ms", 0);
      f.load = r.f64("load", 1);
      f.tensors = r.tensors();
      break;
    case FrameType::error: {
      const uint16_t code = r.u16("the error code");
      if (r.ok() && (code < 1 || code > 7)) r.fail("unknown error code " + std::to_string(code));
      f.error_code = static_cast<ErrorCode>(code);
      f.message = r.str(limits.max_message, "the error message");
      break;
    }
    case FrameType::load_query: break;
    case FrameType::load_report:
      f.queue_length = r.u32("queue_length");
      f.recent_compute_ms = r.f64("recent_compute_ms", 0);
      f.load = r.f64("load", 1);
      break;
    case FrameType::probe:
      f.padding = r.str(static_cast<uint32_t>(std::min<uint64_t>(limits.max_payload, 0xffffffffu)), "the probe's padding");
      break;
    case FrameType::probe_ack: break;
  }
  if (!r.ok()) return fail(r.error);
  if (r.left() != 0) return fail(std::to_string(r.left()) + " bytes left over after the frame's fields");
  return Result<Frame>{std::move(f), ""};
}

std::string checkWire(const PlanInfo& plan, const std::vector<Tensor>& tensors) {
  if (tensors.size() != plan.wire.size())
    return "plan " + std::to_string(plan.id) + " sends " + std::to_string(plan.wire.size()) + " tensors; the frame has " +
           std::to_string(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorDesc& w = plan.wire[i];
    const Tensor& t = tensors[i];
    const std::string where = "wire tensor " + std::to_string(i) + " ('" + w.name + "')";
    if (t.name != w.name) return where + ": the frame names it '" + t.name + "'";
    if (dtypeName(t.dtype) != w.dtype) return where + ": is " + w.dtype + ", the frame's is " + dtypeName(t.dtype);
    if (!w.shape) continue;
    if (t.dims.size() != w.shape->size())
      return where + ": rank " + std::to_string(w.shape->size()) + ", the frame's is " + std::to_string(t.dims.size());
    for (size_t d = 0; d < t.dims.size(); ++d) {
      const bool symbolic = d < w.dim_params.size() && !w.dim_params[d].empty();
      if (!symbolic && t.dims[d] != (*w.shape)[d])
        return where + ": dim " + std::to_string(d) + " is " + std::to_string((*w.shape)[d]) + ", the frame's is " +
               std::to_string(t.dims[d]);
    }
  }
  return "";
}

}  // namespace onnxcut::runtime::wire
