// onnxcut runtime: load a plan table (plan-table.md), pick a plan for the
// bandwidth and server load a runtime measures, estimate bandwidth from past
// transfers, and switch plans with hysteresis. C++20 and a JSON parser only:
// no ONNX, Boost or protobuf. Errors are values, never exceptions.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace onnxcut::runtime {

template <class T>
struct Result {
  std::optional<T> value;
  std::string error;  // empty when value is set
  bool ok() const { return value.has_value(); }
  static Result failure(std::string e) { return {std::nullopt, std::move(e)}; }
};

// A tensor of the model, or an input or output of a split file (the
// deployment manifest of version 2 tables, docs/plan-table.md).
struct TensorDesc {
  std::string name;
  std::string dtype;                           // "float32", "uint8", ...
  std::optional<std::vector<int64_t>> shape;   // at the planned batch; empty: unknown
  // Per axis, the symbolic name a split file keeps ("" for a fixed axis);
  // empty when every axis is fixed.
  std::vector<std::string> dim_params;
  // Split-file ports only: the model tensor carried, and how
  // ("raw", "fp16", "int8_q", "int8_scale", "int8_zero_point", and in
  // version 3 "packed", "packed_lo", "packed_scale").
  std::string tensor, encoding;
  std::optional<int64_t> bytes;  // wire tensors: their size at the planned batch
  // Version 3: a mixed plan's cut tensor width, or a packed port's width
  // (32, 16, 8, 6, 4, 2; docs/precision.md).
  std::optional<int> bits;
};

struct PartIO {
  std::vector<TensorDesc> inputs, outputs;  // in the file's order
};

// A plan's measured fidelity (docs/precision.md): mean loss on the
// calibration samples fitted on and held back, in the table's metric.
struct PlanLoss {
  double fit = 0, held_out = 0;
  double worst() const { return fit > held_out ? fit : held_out; }
};

struct PlanInfo {
  int id = 0;
  std::string precision;  // "fp32", "fp16", "int8", or "mixed" (version 3)
  std::optional<PlanLoss> loss;  // when the table was calibrated
  std::vector<std::string> device_nodes;
  double device_ms = 0, cloud_ms = 0;  // cloud at load 1
  double up_bytes = 0;                 // sent, at the plan's precision
  double down_bytes = 0;
  bool uses_cloud = false;
  std::string head, tail;  // empty when the file does not exist
  std::string head_data, tail_data;  // their external weights, if any
  std::vector<TensorDesc> cut;       // model tensors sent up (graph order)
  // Version 2 (absent in version 1 tables): what each side reads and
  // writes, the exact tensors on the wire (the tail's inputs, e.g. t__q,
  // t__scale, t__zp for an int8 cut), and which graph outputs each side makes.
  std::optional<PartIO> head_io, tail_io;
  std::vector<TensorDesc> wire;
  std::vector<std::string> device_outputs, cloud_outputs;
};

// A file of the plan directory with its SHA-256 (version 2).
struct FileInfo {
  std::string path;  // relative to the table's folder
  std::string sha256;
  int64_t bytes = 0;
};

struct Band {
  double min_mbps = 0, max_mbps = 0;
  int plan = 0;
};

struct Table {
  std::string objective;  // "latency" or "throughput"
  double load = 1;
  std::string precision;
  std::vector<Band> bands;  // increasing, contiguous
  std::optional<double> max_loss;  // mixed tables: the fidelity budget planned for
};

struct PlanTable {
  int version = 1;
  std::vector<PlanInfo> plans;  // index = id
  std::vector<Table> tables;
  double rtt_ms = 0;
  std::optional<double> down_mbps;  // empty: downlink equals uplink
  // The model planned (file name, SHA-256, graph inputs and outputs).
  std::string model_file, model_sha256;
  std::vector<TensorDesc> model_inputs, model_outputs;
  // Version 2: the tool that wrote the table, the options it was asked
  // (JSON text of the "options" object) and every file it wrote, once.
  std::string tool_name, tool_version;
  std::string options_json;
  std::vector<FileInfo> files;
  const FileInfo* file(const std::string& path) const {
    for (const auto& f : files)
      if (f.path == path) return &f;
    return nullptr;
  }
  // Baselines the planner adds (onnxcut extension, may be absent): per
  // precision, the all-device and all-cloud plans, and chain-only latency
  // tables (Neurosurgeon's split points) per (load, precision).
  std::map<std::string, int> device_only, cloud_only;
  std::vector<Table> chain_only;
  const PlanInfo& plan(int id) const { return plans[static_cast<size_t>(id)]; }

  // The loss metric of "loss" figures ("top1", "rel-l2"; empty: none).
  std::string loss_metric;
  // Built by parsePlanTable: positions of the tables of each (objective,
  // precision, budget: -1 for none), sorted by load, so select() is
  // O(log tables + log bands) per family. A table list changed by hand is
  // indexed again on each call.
  using Index = std::map<std::tuple<std::string, std::string, double>, std::vector<std::pair<double, int>>>;
  Index table_index, chain_index;
};

// Validates every rule of plan-table.md: format and version (1 to 3), finite numbers
// (times, sizes and RTT not negative), whole-number plan ids that exist,
// bands sorted and contiguous, adjacent bands distinct, band plans of the
// table's precision, head/tail paths that stay inside the table's folder
// (never absolute, never '..'). Caps (docs/reliability.md): 256 MiB of
// JSON, 10^6 plans, 10^5 tables, 10^6 bands per table. The error names
// what is wrong; nothing is ever thrown or converted out of range.
Result<PlanTable> parsePlanTable(const std::string& json_text);
Result<PlanTable> loadPlanTable(const std::string& path);

// The cost model (cost-model.md) for one plan at a bandwidth and load.
struct Prediction {
  double latency_ms = 0;
  double throughput_fps = 0;
  double upload_ms = 0;
};
Prediction predict(const PlanTable& t, const PlanInfo& p, double up_mbps, double load);

struct Query {
  double mbps = 0;
  double load = 1;
  // A table precision, or "auto": every table's plan is a candidate and the
  // best predicted one wins.
  std::string precision = "fp32";
  // The runtime's fidelity budget (the table's loss metric): only plans
  // whose measured loss, fitted and held back, is at most this are
  // returned; fp32 plans count as 0 (bit-exact by construction), plans with
  // no measured loss are never returned.
  std::optional<double> max_loss;
  std::string objective = "latency";  // used when fps is not given
  std::optional<double> fps;          // frame rate: light/heavy rule
};

struct Selection {
  int plan = 0;
  std::string objective;        // the table used
  std::string mode;             // "latency", "throughput", "light", "heavy"
  double table_load = 1;        // the tabulated load used
  bool load_extrapolated = false;  // load above every tabulated level
  bool bandwidth_clamped = false;  // outside the tables' range
  bool keeps_up = true;            // with fps: the chosen plan sustains it
  Prediction predicted;            // at the query's bandwidth and load
  std::string precision;           // the table used
  std::optional<double> max_loss;  // its budget (mixed tables)
};

// O(log bands) per table family. Loads between tabulated levels use the next level up
// (conservative: predictions are then upper bounds); above the highest level
// the highest is used and load_extrapolated is set. With fps (DADS Alg. 3):
// the latency plan while it sustains fps ("light"), else the throughput
// table's plan ("heavy").
Result<Selection> select(const PlanTable& t, const Query& q);
// The same over an explicit list of tables (e.g. chain_only).
Result<Selection> selectIn(const PlanTable& t, const std::vector<Table>& tables, const Query& q);

// Bandwidth from past transfers: harmonic mean of the last `window` samples
// (robust to one fast outlier), or an EWMA.
class BandwidthEstimator {
 public:
  enum class Kind { harmonic, ewma };
  struct Config {
    Kind kind = Kind::harmonic;
    size_t window = 5;
    double alpha = 0.3;  // EWMA weight of the newest sample
  };
  BandwidthEstimator() : BandwidthEstimator(Config{}) {}
  explicit BandwidthEstimator(Config c) : cfg_(c) {}
  void addSample(double bytes, double seconds);  // ignored when not positive
  std::optional<double> mbps() const;

 private:
  Config cfg_;
  std::deque<double> samples_;
  std::optional<double> ewma_;
};

// Switch only when the candidate is predicted better than the current plan
// by `margin` (relative) for `patience` consecutive decisions.
class PlanSwitcher {
 public:
  struct Config {
    double margin = 0.1;
    int patience = 3;
  };
  PlanSwitcher() : PlanSwitcher(Config{}) {}
  explicit PlanSwitcher(Config c) : cfg_(c) {}
  // Returns the plan to use now. `current_ms` and `candidate_ms` are the
  // predicted latencies (or bottlenecks) of the current and candidate plans.
  int decide(int candidate, double candidate_ms, double current_ms);
  std::optional<int> current() const { return current_; }
  int switches() const { return switches_; }

 private:
  Config cfg_;
  std::optional<int> current_;
  int streak_ = 0, streak_plan_ = -1, switches_ = 0;
};

}  // namespace onnxcut::runtime
