// The C API (onnxcut_runtime_c.h) over the C++ runtime library: every entry
// catches everything, so no C++ exception crosses into C.
#include "onnxcut_runtime_c.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <string>

#include "onnxcut_runtime.h"

#ifndef ONNXCUT_VERSION
#define ONNXCUT_VERSION "unknown"
#endif

using namespace onnxcut::runtime;

struct onnxcut_table {
  PlanTable t;
};
struct onnxcut_estimator {
  BandwidthEstimator e;
};
struct onnxcut_switcher {
  PlanSwitcher s;
};

namespace {

void setError(char* err, size_t len, const std::string& msg) {
  if (!err || len == 0) return;
  const size_t n = std::min(len - 1, msg.size());
  std::memcpy(err, msg.data(), n);
  err[n] = '\0';
}

const PlanInfo* planOf(const onnxcut_table* t, int plan) {
  if (!t || plan < 0 || static_cast<size_t>(plan) >= t->t.plans.size()) return nullptr;
  return &t->t.plans[static_cast<size_t>(plan)];
}

const std::vector<TensorDesc>* listOf(const PlanInfo* p, int list) {
  if (!p) return nullptr;
  switch (list) {
    case ONNXCUT_WIRE: return &p->wire;
    case ONNXCUT_HEAD_INPUTS: return p->head_io ? &p->head_io->inputs : nullptr;
    case ONNXCUT_HEAD_OUTPUTS: return p->head_io ? &p->head_io->outputs : nullptr;
    case ONNXCUT_TAIL_INPUTS: return p->tail_io ? &p->tail_io->inputs : nullptr;
    case ONNXCUT_TAIL_OUTPUTS: return p->tail_io ? &p->tail_io->outputs : nullptr;
    default: return nullptr;
  }
}

onnxcut_table* fromResult(Result<PlanTable> r, char* err, size_t len) {
  if (!r.ok()) {
    setError(err, len, r.error);
    return nullptr;
  }
  auto* t = new (std::nothrow) onnxcut_table{std::move(*r.value)};
  if (!t) setError(err, len, "out of memory");
  return t;
}

}  // namespace

extern "C" {

const char* onnxcut_runtime_version(void) { return ONNXCUT_VERSION; }

onnxcut_table* onnxcut_table_load(const char* path, char* err, size_t err_len) {
  if (!path) return setError(err, err_len, "no path given"), nullptr;
  try {
    return fromResult(loadPlanTable(path), err, err_len);
  } catch (const std::exception& e) {
    setError(err, err_len, std::string("cannot load the plan table: ") + e.what());
  } catch (...) {
    setError(err, err_len, "cannot load the plan table");
  }
  return nullptr;
}

onnxcut_table* onnxcut_table_parse(const char* json, size_t len, char* err, size_t err_len) {
  if (!json) return setError(err, err_len, "no text given"), nullptr;
  try {
    return fromResult(parsePlanTable(std::string(json, len)), err, err_len);
  } catch (const std::exception& e) {
    setError(err, err_len, std::string("cannot parse the plan table: ") + e.what());
  } catch (...) {
    setError(err, err_len, "cannot parse the plan table");
  }
  return nullptr;
}

void onnxcut_table_free(onnxcut_table* t) { delete t; }

int onnxcut_table_version(const onnxcut_table* t) { return t ? t->t.version : -1; }
const char* onnxcut_table_tool_version(const onnxcut_table* t) { return t ? t->t.tool_version.c_str() : nullptr; }
double onnxcut_table_rtt_ms(const onnxcut_table* t) { return t ? t->t.rtt_ms : 0; }
size_t onnxcut_plan_count(const onnxcut_table* t) { return t ? t->t.plans.size() : 0; }

const char* onnxcut_plan_precision(const onnxcut_table* t, int plan) {
  const PlanInfo* p = planOf(t, plan);
  return p ? p->precision.c_str() : nullptr;
}
const char* onnxcut_plan_head(const onnxcut_table* t, int plan) {
  const PlanInfo* p = planOf(t, plan);
  return p ? p->head.c_str() : nullptr;
}
const char* onnxcut_plan_tail(const onnxcut_table* t, int plan) {
  const PlanInfo* p = planOf(t, plan);
  return p ? p->tail.c_str() : nullptr;
}
const char* onnxcut_file_sha256(const onnxcut_table* t, const char* path) {
  if (!t || !path) return nullptr;
  const FileInfo* f = t->t.file(path);
  return f ? f->sha256.c_str() : "";
}

size_t onnxcut_plan_tensor_count(const onnxcut_table* t, int plan, int list) {
  const auto* l = listOf(planOf(t, plan), list);
  return l ? l->size() : 0;
}

int onnxcut_plan_tensor(const onnxcut_table* t, int plan, int list, size_t i, onnxcut_tensor* out) {
  const auto* l = listOf(planOf(t, plan), list);
  if (!l || !out || i >= l->size()) return -1;
  const TensorDesc& d = (*l)[i];
  out->name = d.name.c_str();
  out->tensor = d.tensor.c_str();
  out->encoding = d.encoding.c_str();
  out->dtype = d.dtype.c_str();
  out->bytes = d.bytes ? *d.bytes : -1;
  out->rank = d.shape ? d.shape->size() : 0;
  out->dims = d.shape ? d.shape->data() : nullptr;
  return 0;
}

size_t onnxcut_plan_output_count(const onnxcut_table* t, int plan, int side) {
  const PlanInfo* p = planOf(t, plan);
  if (!p || (side != 0 && side != 1)) return 0;
  return (side == 0 ? p->device_outputs : p->cloud_outputs).size();
}

const char* onnxcut_plan_output(const onnxcut_table* t, int plan, int side, size_t i) {
  const PlanInfo* p = planOf(t, plan);
  if (!p || (side != 0 && side != 1)) return nullptr;
  const auto& l = side == 0 ? p->device_outputs : p->cloud_outputs;
  return i < l.size() ? l[i].c_str() : nullptr;
}

int onnxcut_select(const onnxcut_table* t, const onnxcut_query* q, onnxcut_selection* out, char* err,
                   size_t err_len) {
  if (!t || !q || !out) return setError(err, err_len, "no table, query or result given"), -1;
  try {
    Query query;
    query.mbps = q->mbps;
    query.load = q->load;
    if (q->precision) query.precision = q->precision;
    if (q->objective) query.objective = q->objective;
    if (q->fps > 0) query.fps = q->fps;
    if (q->has_max_loss) query.max_loss = q->max_loss;
    const auto r = select(t->t, query);
    if (!r.ok()) return setError(err, err_len, r.error), -1;
    const Selection& s = *r.value;
    out->plan = s.plan;
    setError(out->mode, sizeof out->mode, s.mode);
    out->table_load = s.table_load;
    out->load_extrapolated = s.load_extrapolated;
    out->bandwidth_clamped = s.bandwidth_clamped;
    out->keeps_up = s.keeps_up;
    out->latency_ms = s.predicted.latency_ms;
    out->throughput_fps = s.predicted.throughput_fps;
    out->upload_ms = s.predicted.upload_ms;
    return 0;
  } catch (...) {
    setError(err, err_len, "cannot select a plan (out of memory)");
    return -1;
  }
}

int onnxcut_predict(const onnxcut_table* t, int plan, double mbps, double load, double* latency_ms,
                    double* throughput_fps) {
  const PlanInfo* p = planOf(t, plan);
  if (!p || !(mbps > 0) || !(load >= 1) || mbps > 1e300 || load > 1e300) return -1;
  const Prediction pr = predict(t->t, *p, mbps, load);
  if (latency_ms) *latency_ms = pr.latency_ms;
  if (throughput_fps) *throughput_fps = pr.throughput_fps;
  return 0;
}

onnxcut_estimator* onnxcut_estimator_new(int kind, size_t window, double alpha) {
  BandwidthEstimator::Config c;
  c.kind = kind == 1 ? BandwidthEstimator::Kind::ewma : BandwidthEstimator::Kind::harmonic;
  c.window = window > 0 ? window : 1;
  c.alpha = alpha > 0 && alpha <= 1 ? alpha : 0.3;
  return new (std::nothrow) onnxcut_estimator{BandwidthEstimator(c)};
}
void onnxcut_estimator_free(onnxcut_estimator* e) { delete e; }
void onnxcut_estimator_add(onnxcut_estimator* e, double bytes, double seconds) {
  if (!e) return;
  try {
    e->e.addSample(bytes, seconds);
  } catch (...) {  // a full deque: the sample is dropped
  }
}
int onnxcut_estimator_mbps(const onnxcut_estimator* e, double* mbps) {
  if (!e || !mbps) return -1;
  const auto v = e->e.mbps();
  if (!v) return -1;
  *mbps = *v;
  return 0;
}

onnxcut_switcher* onnxcut_switcher_new(double margin, int patience) {
  PlanSwitcher::Config c;
  c.margin = margin >= 0 && margin < 1 ? margin : 0.1;
  c.patience = patience >= 1 ? patience : 1;
  return new (std::nothrow) onnxcut_switcher{PlanSwitcher(c)};
}
void onnxcut_switcher_free(onnxcut_switcher* s) { delete s; }
int onnxcut_switcher_decide(onnxcut_switcher* s, int candidate, double candidate_ms, double current_ms) {
  return s ? s->s.decide(candidate, candidate_ms, current_ms) : candidate;
}
int onnxcut_switcher_switches(const onnxcut_switcher* s) { return s ? s->s.switches() : 0; }

}  // extern "C"
