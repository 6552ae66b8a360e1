// onnxcut's runtime library for Node.js (N-API, ABI-stable across Node
// versions): the device runner and the server (scripts/onnxcut_device.js,
// scripts/onnxcut_server.js) run ONNX Runtime through onnxruntime-node, and
// everything else through this addon: plan tables, plan selection, the
// bandwidth estimator, the switcher, and the wire protocol's frames. Nothing
// of that is written a second time in JavaScript (docs/wire.md).
#include <node_api.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "onnxcut_runtime.h"
#include "onnxcut_wire.h"

namespace {

using namespace onnxcut::runtime;

// ---- small N-API helpers: on any failure a JS exception is pending and
// the helper returns a "failed" value; callers return nullptr at once. ----
struct Js {
  napi_env env;
  bool failed = false;

  napi_value fail(const std::string& msg) {
    if (!failed) napi_throw_error(env, nullptr, msg.c_str());
    failed = true;
    return nullptr;
  }
  bool check(napi_status s, const char* what) {
    if (s == napi_ok) return true;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) fail(std::string("onnxcut addon: ") + what);
    failed = true;
    return false;
  }
  napi_value num(double x) {
    napi_value v;
    check(napi_create_double(env, x, &v), "number");
    return v;
  }
  napi_value str(const std::string& s) {
    napi_value v;
    check(napi_create_string_utf8(env, s.data(), s.size(), &v), "string");
    return v;
  }
  napi_value boolean(bool b) {
    napi_value v;
    check(napi_get_boolean(env, b, &v), "boolean");
    return v;
  }
  napi_value null() {
    napi_value v;
    napi_get_null(env, &v);
    return v;
  }
  napi_value object() {
    napi_value v;
    check(napi_create_object(env, &v), "object");
    return v;
  }
  napi_value array() {
    napi_value v;
    check(napi_create_array(env, &v), "array");
    return v;
  }
  void set(napi_value o, const char* k, napi_value v) {
    if (!failed && v) check(napi_set_named_property(env, o, k, v), "property");
  }
  void push(napi_value a, napi_value v) {
    uint32_t n = 0;
    napi_get_array_length(env, a, &n);
    if (!failed && v) check(napi_set_element(env, a, n, v), "element");
  }
  napi_value buffer(const std::string& bytes) {
    void* data = nullptr;
    napi_value v;
    if (!check(napi_create_buffer_copy(env, bytes.size(), bytes.data(), &data, &v), "buffer")) return nullptr;
    return v;
  }
  // reading
  napi_value get(napi_value o, const char* k) {
    bool has = false;
    if (failed || napi_has_named_property(env, o, k, &has) != napi_ok || !has) return nullptr;
    napi_value v;
    if (!check(napi_get_named_property(env, o, k, &v), "property")) return nullptr;
    napi_valuetype t;
    napi_typeof(env, v, &t);
    return t == napi_undefined || t == napi_null ? nullptr : v;
  }
  double toNum(napi_value v, const char* what) {
    double x = 0;
    if (!v) return fail(std::string(what) + " is missing"), 0;
    if (napi_get_value_double(env, v, &x) != napi_ok) return fail(std::string(what) + " is not a number"), 0;
    return x;
  }
  std::string toStr(napi_value v, const char* what) {
    if (!v) return fail(std::string(what) + " is missing"), "";
    size_t n = 0;
    if (napi_get_value_string_utf8(env, v, nullptr, 0, &n) != napi_ok) return fail(std::string(what) + " is not a string"), "";
    std::string s(n, '\0');
    napi_get_value_string_utf8(env, v, s.data(), n + 1, &n);
    return s;
  }
  std::string toBytes(napi_value v, const char* what) {
    bool is = false;
    if (!v || napi_is_buffer(env, v, &is) != napi_ok || !is) return fail(std::string(what) + " is not a Buffer"), "";
    void* data = nullptr;
    size_t n = 0;
    napi_get_buffer_info(env, v, &data, &n);
    return std::string(static_cast<const char*>(data), n);
  }
  std::vector<napi_value> args(napi_callback_info info, size_t want) {
    std::vector<napi_value> a(want, nullptr);
    size_t n = want;
    check(napi_get_cb_info(env, info, &n, a.data(), nullptr, nullptr), "arguments");
    if (!failed && n < want) fail("expected " + std::to_string(want) + " arguments");
    return a;
  }
  template <class T>
  napi_value wrap(std::unique_ptr<T> p) {
    napi_value v;
    T* raw = p.release();
    if (!check(napi_create_external(env, raw, [](napi_env, void* d, void*) { delete static_cast<T*>(d); }, nullptr, &v),
               "handle")) {
      delete raw;
      return nullptr;
    }
    return v;
  }
  template <class T>
  T* unwrap(napi_value v, const char* what) {
    void* p = nullptr;
    if (!v || napi_get_value_external(env, v, &p) != napi_ok || !p) return fail(std::string(what) + " is not a handle"), nullptr;
    return static_cast<T*>(p);
  }
};

// A loaded table (the handle owns it; plans are read from it).
struct TableHandle {
  PlanTable t;
};

napi_value tensorDescJs(Js& js, const TensorDesc& d) {
  napi_value o = js.object();
  js.set(o, "name", js.str(d.name));
  js.set(o, "dtype", js.str(d.dtype));
  if (!d.tensor.empty()) js.set(o, "tensor", js.str(d.tensor));
  if (!d.encoding.empty()) js.set(o, "encoding", js.str(d.encoding));
  napi_value shape = d.shape ? js.array() : js.null();
  if (d.shape)
    for (int64_t x : *d.shape) js.push(shape, js.num(static_cast<double>(x)));
  js.set(o, "shape", shape);
  js.set(o, "bytes", d.bytes ? js.num(static_cast<double>(*d.bytes)) : js.null());
  return o;
}

napi_value descList(Js& js, const std::vector<TensorDesc>& l) {
  napi_value a = js.array();
  for (const auto& d : l) js.push(a, tensorDescJs(js, d));
  return a;
}

napi_value strings(Js& js, const std::vector<std::string>& l) {
  napi_value a = js.array();
  for (const auto& s : l) js.push(a, js.str(s));
  return a;
}

napi_value planJs(Js& js, const PlanInfo& p) {
  napi_value o = js.object();
  js.set(o, "id", js.num(p.id));
  js.set(o, "precision", js.str(p.precision));
  js.set(o, "device_ms", js.num(p.device_ms));
  js.set(o, "cloud_ms", js.num(p.cloud_ms));
  js.set(o, "up_bytes", js.num(p.up_bytes));
  js.set(o, "down_bytes", js.num(p.down_bytes));
  js.set(o, "uses_cloud", js.boolean(p.uses_cloud));
  js.set(o, "head", p.head.empty() ? js.null() : js.str(p.head));
  js.set(o, "tail", p.tail.empty() ? js.null() : js.str(p.tail));
  js.set(o, "device_nodes", js.num(static_cast<double>(p.device_nodes.size())));
  js.set(o, "wire", descList(js, p.wire));
  js.set(o, "device_outputs", strings(js, p.device_outputs));
  js.set(o, "cloud_outputs", strings(js, p.cloud_outputs));
  return o;
}

napi_value tableLoad(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 1);
  const std::string path = js.toStr(a[0], "the plan-table path");
  if (js.failed) return nullptr;
  auto r = loadPlanTable(path);
  if (!r.ok()) return js.fail(r.error);
  if (r.value->version < 2) return js.fail(path + ": a version 1 table has no deployment manifest; plan it again");
  auto h = std::make_unique<TableHandle>();
  h->t = std::move(*r.value);
  return js.wrap(std::move(h));
}

napi_value tableInfo(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 1);
  auto* h = js.unwrap<TableHandle>(a[0], "the table");
  if (!h) return nullptr;
  napi_value o = js.object();
  js.set(o, "rtt_ms", js.num(h->t.rtt_ms));
  js.set(o, "model_file", js.str(h->t.model_file));
  js.set(o, "model_inputs", descList(js, h->t.model_inputs));
  js.set(o, "model_outputs", descList(js, h->t.model_outputs));
  napi_value plans = js.array();
  for (const auto& p : h->t.plans) js.push(plans, planJs(js, p));
  js.set(o, "plans", plans);
  napi_value dev = js.object(), cloud = js.object();
  for (const auto& [prec, id] : h->t.device_only) js.set(dev, prec.c_str(), js.num(id));
  for (const auto& [prec, id] : h->t.cloud_only) js.set(cloud, prec.c_str(), js.num(id));
  js.set(o, "device_only", dev);
  js.set(o, "cloud_only", cloud);
  return js.failed ? nullptr : o;
}

napi_value predictionJs(Js& js, const Prediction& p) {
  napi_value o = js.object();
  js.set(o, "latency_ms", js.num(p.latency_ms));
  js.set(o, "throughput_fps", js.num(p.throughput_fps));
  js.set(o, "upload_ms", js.num(p.upload_ms));
  return o;
}

// select(table, {mbps, load, precision, objective, fps, max_loss})
napi_value selectPlan(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 2);
  auto* h = js.unwrap<TableHandle>(a[0], "the table");
  if (!h) return nullptr;
  Query q;
  q.mbps = js.toNum(js.get(a[1], "mbps"), "mbps");
  if (napi_value v = js.get(a[1], "load")) q.load = js.toNum(v, "load");
  if (napi_value v = js.get(a[1], "precision")) q.precision = js.toStr(v, "precision");
  if (napi_value v = js.get(a[1], "objective")) q.objective = js.toStr(v, "objective");
  if (napi_value v = js.get(a[1], "fps")) q.fps = js.toNum(v, "fps");
  if (napi_value v = js.get(a[1], "max_loss")) q.max_loss = js.toNum(v, "max_loss");
  if (js.failed) return nullptr;
  const auto r = select(h->t, q);
  if (!r.ok()) return js.fail(r.error);
  napi_value o = js.object();
  js.set(o, "plan", js.num(r.value->plan));
  js.set(o, "mode", js.str(r.value->mode));
  js.set(o, "keeps_up", js.boolean(r.value->keeps_up));
  js.set(o, "bandwidth_clamped", js.boolean(r.value->bandwidth_clamped));
  js.set(o, "load_extrapolated", js.boolean(r.value->load_extrapolated));
  js.set(o, "precision", js.str(r.value->precision));
  js.set(o, "predicted", predictionJs(js, r.value->predicted));
  return js.failed ? nullptr : o;
}

napi_value predictPlan(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 4);
  auto* h = js.unwrap<TableHandle>(a[0], "the table");
  const double plan = js.toNum(a[1], "plan"), mbps = js.toNum(a[2], "mbps"), load = js.toNum(a[3], "load");
  if (!h || js.failed) return nullptr;
  if (!(plan >= 0 && plan < static_cast<double>(h->t.plans.size())) || !(mbps > 0) || !(load >= 1))
    return js.fail("predict: bad plan, bandwidth or load");
  return predictionJs(js, predict(h->t, h->t.plan(static_cast<int>(plan)), mbps, load));
}

napi_value estimatorNew(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 3);
  BandwidthEstimator::Config c;
  c.kind = js.toStr(a[0], "kind") == "ewma" ? BandwidthEstimator::Kind::ewma : BandwidthEstimator::Kind::harmonic;
  c.window = static_cast<size_t>(std::max(1.0, js.toNum(a[1], "window")));
  c.alpha = js.toNum(a[2], "alpha");
  if (js.failed) return nullptr;
  return js.wrap(std::make_unique<BandwidthEstimator>(c));
}

napi_value estimatorAdd(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 3);
  auto* e = js.unwrap<BandwidthEstimator>(a[0], "the estimator");
  const double bytes = js.toNum(a[1], "bytes"), seconds = js.toNum(a[2], "seconds");
  if (!e || js.failed) return nullptr;
  e->addSample(bytes, seconds);
  return js.null();
}

napi_value estimatorMbps(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 1);
  auto* e = js.unwrap<BandwidthEstimator>(a[0], "the estimator");
  if (!e) return nullptr;
  const auto m = e->mbps();
  return m ? js.num(*m) : js.null();
}

napi_value switcherNew(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 2);
  PlanSwitcher::Config c;
  c.margin = js.toNum(a[0], "margin");
  c.patience = static_cast<int>(js.toNum(a[1], "patience"));
  if (js.failed) return nullptr;
  return js.wrap(std::make_unique<PlanSwitcher>(c));
}

napi_value switcherDecide(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 4);
  auto* s = js.unwrap<PlanSwitcher>(a[0], "the switcher");
  const double cand = js.toNum(a[1], "candidate"), cand_ms = js.toNum(a[2], "candidate_ms"), cur_ms = js.toNum(a[3], "current_ms");
  if (!s || js.failed) return nullptr;
  napi_value o = js.object();
  js.set(o, "plan", js.num(s->decide(static_cast<int>(cand), cand_ms, cur_ms)));
  js.set(o, "switches", js.num(s->switches()));
  return o;
}

// ---- frames ----
const char* typeName(wire::FrameType t) {
  switch (t) {
    case wire::FrameType::hello: return "hello";
    case wire::FrameType::hello_ack: return "hello_ack";
    case wire::FrameType::infer: return "infer";
    case wire::FrameType::result: return "result";
    case wire::FrameType::error: return "error";
    case wire::FrameType::load_query: return "load_query";
    case wire::FrameType::load_report: return "load_report";
    case wire::FrameType::probe: return "probe";
    case wire::FrameType::probe_ack: return "probe_ack";
  }
  return "";
}

bool typeFromName(const std::string& n, wire::FrameType& t) {
  for (int k = 1; k <= 9; ++k)
    if (n == typeName(static_cast<wire::FrameType>(k))) {
      t = static_cast<wire::FrameType>(k);
      return true;
    }
  return false;
}

std::vector<wire::Tensor> tensorsFromJs(Js& js, napi_value list) {
  std::vector<wire::Tensor> out;
  if (!list) return out;
  uint32_t n = 0;
  if (napi_get_array_length(js.env, list, &n) != napi_ok) return js.fail("tensors is not an array"), out;
  for (uint32_t i = 0; i < n && !js.failed; ++i) {
    napi_value e;
    napi_get_element(js.env, list, i, &e);
    wire::Tensor t;
    t.name = js.toStr(js.get(e, "name"), "a tensor's name");
    const std::string dtype = js.toStr(js.get(e, "dtype"), "a tensor's dtype");
    t.dtype = wire::dtypeCode(dtype);
    if (!js.failed && t.dtype < 0) return js.fail("dtype '" + dtype + "' is not sent by the protocol"), out;
    napi_value dims = js.get(e, "dims");
    uint32_t rank = 0;
    if (!dims || napi_get_array_length(js.env, dims, &rank) != napi_ok) return js.fail("a tensor's dims is not an array"), out;
    for (uint32_t d = 0; d < rank; ++d) {
      napi_value v;
      napi_get_element(js.env, dims, d, &v);
      t.dims.push_back(static_cast<int64_t>(js.toNum(v, "a dim")));
    }
    t.data = js.toBytes(js.get(e, "data"), "a tensor's data");
    out.push_back(std::move(t));
  }
  return out;
}

napi_value tensorsJs(Js& js, const std::vector<wire::Tensor>& ts) {
  napi_value a = js.array();
  for (const auto& t : ts) {
    napi_value o = js.object();
    js.set(o, "name", js.str(t.name));
    js.set(o, "dtype", js.str(wire::dtypeName(t.dtype)));
    napi_value dims = js.array();
    for (int64_t d : t.dims) js.push(dims, js.num(static_cast<double>(d)));
    js.set(o, "dims", dims);
    js.set(o, "data", js.buffer(t.data));
    js.push(a, o);
  }
  return a;
}

double optNum(Js& js, napi_value o, const char* k, double dflt) {
  napi_value v = js.get(o, k);
  return v ? js.toNum(v, k) : dflt;
}

// encode({type, id, plan, table_sha256, tensors, queue_ms, ...}) -> Buffer
napi_value encodeFrame(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 1);
  wire::Frame f;
  const std::string type = js.toStr(js.get(a[0], "type"), "type");
  if (js.failed) return nullptr;
  if (!typeFromName(type, f.type)) return js.fail("unknown frame type '" + type + "'");
  f.id = static_cast<uint64_t>(optNum(js, a[0], "id", 0));
  f.plan = static_cast<uint32_t>(optNum(js, a[0], "plan", 0));
  if (napi_value v = js.get(a[0], "table_sha256")) f.table_sha256 = js.toStr(v, "table_sha256");
  f.tensors = tensorsFromJs(js, js.get(a[0], "tensors"));
  f.queue_ms = optNum(js, a[0], "queue_ms", 0);
  f.compute_ms = optNum(js, a[0], "compute_ms", 0);
  f.queue_length = static_cast<uint32_t>(optNum(js, a[0], "queue_length", 0));
  f.recent_compute_ms = optNum(js, a[0], "recent_compute_ms", 0);
  f.load = optNum(js, a[0], "load", 1);
  f.error_code = static_cast<wire::ErrorCode>(static_cast<uint16_t>(optNum(js, a[0], "error_code", 7)));
  if (napi_value v = js.get(a[0], "message")) f.message = js.toStr(v, "message");
  if (napi_value v = js.get(a[0], "padding_bytes")) f.padding.assign(static_cast<size_t>(js.toNum(v, "padding_bytes")), '\0');
  if (js.failed) return nullptr;
  return js.buffer(wire::encode(f));
}

// decodeHeader(Buffer) -> {type, id, payload}; throws on a bad header.
napi_value decodeHeaderJs(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 2);
  const std::string bytes = js.toBytes(a[0], "the header");
  wire::Limits lim;
  lim.max_payload = static_cast<uint64_t>(js.toNum(a[1], "the payload limit"));
  if (js.failed) return nullptr;
  const auto h = wire::decodeHeader(bytes.data(), bytes.size(), lim);
  if (!h.ok()) return js.fail(h.error);
  napi_value o = js.object();
  js.set(o, "type", js.str(typeName(h.value->type)));
  js.set(o, "id", js.num(static_cast<double>(h.value->id)));
  js.set(o, "payload", js.num(static_cast<double>(h.value->payload)));
  return o;
}

napi_value decodeFrame(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 1);
  const std::string bytes = js.toBytes(a[0], "the frame");
  if (js.failed) return nullptr;
  wire::Limits lim;
  lim.max_payload = uint64_t{1} << 31;
  const auto r = wire::decode(bytes, lim);
  if (!r.ok()) return js.fail(r.error);
  const wire::Frame& f = *r.value;
  napi_value o = js.object();
  js.set(o, "type", js.str(typeName(f.type)));
  js.set(o, "id", js.num(static_cast<double>(f.id)));
  js.set(o, "plan", js.num(f.plan));
  js.set(o, "table_sha256", js.str(f.table_sha256));
  js.set(o, "tensors", tensorsJs(js, f.tensors));
  js.set(o, "queue_ms", js.num(f.queue_ms));
  js.set(o, "compute_ms", js.num(f.compute_ms));
  js.set(o, "queue_length", js.num(f.queue_length));
  js.set(o, "recent_compute_ms", js.num(f.recent_compute_ms));
  js.set(o, "load", js.num(f.load));
  js.set(o, "error_code", js.num(static_cast<double>(f.error_code)));
  js.set(o, "message", js.str(f.message));
  js.set(o, "padding_bytes", js.num(static_cast<double>(f.padding.size())));
  return js.failed ? nullptr : o;
}

// checkWire(table, plan, tensors) -> "" or the first difference
napi_value checkWireJs(napi_env env, napi_callback_info info) {
  Js js{env};
  auto a = js.args(info, 3);
  auto* h = js.unwrap<TableHandle>(a[0], "the table");
  const double plan = js.toNum(a[1], "plan");
  const auto tensors = tensorsFromJs(js, a[2]);
  if (!h || js.failed) return nullptr;
  if (!(plan >= 0 && plan < static_cast<double>(h->t.plans.size()))) return js.str("no plan " + std::to_string(plan));
  return js.str(wire::checkWire(h->t.plan(static_cast<int>(plan)), tensors));
}

napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor props[] = {
      {"tableLoad", nullptr, tableLoad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"tableInfo", nullptr, tableInfo, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"select", nullptr, selectPlan, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"predict", nullptr, predictPlan, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"estimatorNew", nullptr, estimatorNew, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"estimatorAdd", nullptr, estimatorAdd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"estimatorMbps", nullptr, estimatorMbps, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"switcherNew", nullptr, switcherNew, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"switcherDecide", nullptr, switcherDecide, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"encode", nullptr, encodeFrame, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"decodeHeader", nullptr, decodeHeaderJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"decode", nullptr, decodeFrame, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"checkWire", nullptr, checkWireJs, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
