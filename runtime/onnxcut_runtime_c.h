/* onnxcut runtime, C API: load a plan table, pick the plan for the measured
 * bandwidth and server load, read what a plan sends and receives, estimate
 * bandwidth and switch plans with hysteresis. For apps that embed C (Android
 * NDK, iOS, other languages' FFIs). A thin layer over the C++ library
 * (onnxcut_runtime.h): the same rules, the same messages.
 *
 * Conventions: nothing here throws or aborts. Functions that can fail return
 * 0 on success and -1 on failure, and write a message into `err` (at most
 * err_len bytes, always terminated) when err is not NULL. Strings returned
 * belong to the table and live as long as it does. Plan ids are those of
 * the table (0 .. onnxcut_plan_count() - 1); a bad id gives NULL, 0 or -1.
 */
#ifndef ONNXCUT_RUNTIME_C_H
#define ONNXCUT_RUNTIME_C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, e.g. "0.1.0". */
const char* onnxcut_runtime_version(void);

/* ---- plan tables ---- */
typedef struct onnxcut_table onnxcut_table;

/* NULL on failure (err says why: unreadable file, invalid table...). */
onnxcut_table* onnxcut_table_load(const char* path, char* err, size_t err_len);
onnxcut_table* onnxcut_table_parse(const char* json, size_t len, char* err, size_t err_len);
void onnxcut_table_free(onnxcut_table* t); /* NULL is fine */

int onnxcut_table_version(const onnxcut_table* t);       /* 1 or 2 */
const char* onnxcut_table_tool_version(const onnxcut_table* t); /* "" for version 1 */
double onnxcut_table_rtt_ms(const onnxcut_table* t);
size_t onnxcut_plan_count(const onnxcut_table* t);

/* A plan's split files, relative to the table's folder ("" when the plan
 * has no such side), and the SHA-256 the table gives for a file ("" when
 * it lists none). */
const char* onnxcut_plan_precision(const onnxcut_table* t, int plan);
const char* onnxcut_plan_head(const onnxcut_table* t, int plan);
const char* onnxcut_plan_tail(const onnxcut_table* t, int plan);
const char* onnxcut_file_sha256(const onnxcut_table* t, const char* path);

/* A tensor of the deployment manifest (docs/plan-table.md). */
typedef struct {
  const char* name;     /* as in the split file */
  const char* tensor;   /* the model tensor it carries */
  const char* encoding; /* "raw", "fp16", "int8_q", "int8_scale", "int8_zero_point" */
  const char* dtype;    /* "float32", "uint8", ... */
  int64_t bytes;        /* at the planned batch; -1 when unknown */
  size_t rank;          /* shape: rank dims, dims NULL when unknown */
  const int64_t* dims;
} onnxcut_tensor;

enum { ONNXCUT_WIRE = 0, ONNXCUT_HEAD_INPUTS = 1, ONNXCUT_HEAD_OUTPUTS = 2, ONNXCUT_TAIL_INPUTS = 3,
       ONNXCUT_TAIL_OUTPUTS = 4 };
/* How many tensors a list of a plan holds (ONNXCUT_WIRE: what goes up per
 * frame), and one of them. */
size_t onnxcut_plan_tensor_count(const onnxcut_table* t, int plan, int list);
int onnxcut_plan_tensor(const onnxcut_table* t, int plan, int list, size_t i, onnxcut_tensor* out);

/* The graph outputs a side computes (side 0: device, 1: cloud). */
size_t onnxcut_plan_output_count(const onnxcut_table* t, int plan, int side);
const char* onnxcut_plan_output(const onnxcut_table* t, int plan, int side, size_t i);

/* ---- selection ---- */
typedef struct {
  double mbps;           /* measured uplink bandwidth, > 0 */
  double load;           /* server load, >= 1 */
  const char* precision; /* NULL: "fp32"; "auto": the best plan of any precision */
  const char* objective; /* NULL: "latency" */
  double fps;            /* > 0: the light/heavy rule at this frame rate; <= 0: none */
  int has_max_loss;      /* non-zero: only plans whose measured loss is <= max_loss */
  double max_loss;       /* the fidelity budget, in the table's loss metric */
} onnxcut_query;

typedef struct {
  int plan;
  char mode[16];         /* "latency", "throughput", "light", "heavy" */
  double table_load;
  int load_extrapolated, bandwidth_clamped, keeps_up;
  double latency_ms, throughput_fps, upload_ms; /* predicted at the query */
} onnxcut_selection;

int onnxcut_select(const onnxcut_table* t, const onnxcut_query* q, onnxcut_selection* out, char* err,
                   size_t err_len);

/* The cost model for one plan at a bandwidth and load (cost-model.md):
 * 0 and the figures set, or -1 for a bad plan id or query. */
int onnxcut_predict(const onnxcut_table* t, int plan, double mbps, double load, double* latency_ms,
                    double* throughput_fps);

/* ---- bandwidth estimate and plan switching ---- */
typedef struct onnxcut_estimator onnxcut_estimator;
/* kind 0: harmonic mean of the last `window` samples; 1: EWMA (alpha). */
onnxcut_estimator* onnxcut_estimator_new(int kind, size_t window, double alpha);
void onnxcut_estimator_free(onnxcut_estimator* e);
void onnxcut_estimator_add(onnxcut_estimator* e, double bytes, double seconds);
/* 0 and *mbps set, or -1 when there is no sample yet. */
int onnxcut_estimator_mbps(const onnxcut_estimator* e, double* mbps);

typedef struct onnxcut_switcher onnxcut_switcher;
onnxcut_switcher* onnxcut_switcher_new(double margin, int patience);
void onnxcut_switcher_free(onnxcut_switcher* s);
/* The plan to use now, given the candidate and the predicted latencies. */
int onnxcut_switcher_decide(onnxcut_switcher* s, int candidate, double candidate_ms, double current_ms);
int onnxcut_switcher_switches(const onnxcut_switcher* s);

#ifdef __cplusplus
}
#endif

#endif /* ONNXCUT_RUNTIME_C_H */
