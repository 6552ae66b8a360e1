// Fidelity measured in ONNX Runtime (docs/precision.md): how far a plan's
// outputs drift from the fp32 model's when its cut tensors travel at reduced
// widths, on calibration inputs.
//
// A plan's numbers depend only on which cut tensors are reduced, to what
// width, and which nodes read the reduced copy (the cloud's): a split at
// fp32 reproduces the model bit-exactly (tests/split). So a plan is measured
// on one model, the original with each cut tensor's encode -> decode
// inserted before its first cloud reader and the cloud readers reading the
// decoded copy: the same ops, in the same order, as head.onnx -> tail.onnx.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "calibration_inputs.h"
#include "model_view.h"

namespace onnx {
class ModelProto;
}

namespace onnxcut {

// top1: fraction of samples (rows of the first output's last axis) whose
// arg-max class differs from the fp32 model's; rel_l2: ||y' - y|| / ||y||
// over all float outputs, averaged over samples.
enum class LossMetric { top1, rel_l2 };
const char* toString(LossMetric m);       // "top1", "rel-l2"
LossMetric parseLossMetric(const std::string& s);  // throws InputError
// top1 for a classifier (one float output [N, K], K >= 2), else rel_l2.
LossMetric defaultLossMetric(const ModelView& mv);

// Which cut tensors are reduced, to what width (kTransferBits), and which
// nodes read the reduced copy (those not on the device).
struct TransferQuery {
  DeviceSet device;
  std::vector<int> cut;   // model tensor indices
  std::vector<int> bits;  // mixed: parallel to cut; 32 = as it is
  Precision precision = Precision::mixed;  // else every float cut tensor at this precision
};

// The model with each reduced cut tensor's encode -> decode inserted (for
// tests and the lab).
onnx::ModelProto quantizedModel(const ModelView& mv, const onnx::ModelProto& base, const TransferQuery& q);

class FidelityLab {
 public:
  // Writes the model's weights and the samples once to a private scratch
  // folder. Throws InputError when ONNX Runtime's helper is missing.
  FidelityLab(const ModelView& mv, const std::vector<CalibrationSample>& samples, LossMetric metric);
  ~FidelityLab();
  FidelityLab(const FidelityLab&) = delete;
  FidelityLab& operator=(const FidelityLab&) = delete;

  struct Eval {
    TransferQuery query;
    std::vector<int> samples;  // indices into the samples
    // Evaluations of one group (non-empty) run in order; once one's mean is
    // above stop_above, the rest of the group are skipped.
    std::string group;
    double stop_above = -1;
  };
  // Each evaluation's loss per sample (in the order of its samples; nullopt:
  // skipped). One ONNX Runtime process per call. Throws InputError when a
  // model cannot run.
  std::vector<std::optional<std::vector<double>>> measure(const std::vector<Eval>& evals);

  int samples() const { return num_samples_; }
  long runs() const { return runs_; }            // model runs so far
  double seconds() const { return seconds_; }    // wall time in ONNX Runtime so far
  LossMetric metric() const { return metric_; }

 private:
  const ModelView& mv_;
  LossMetric metric_;
  std::unique_ptr<onnx::ModelProto> base_;
  std::string dir_, script_;
  int num_samples_ = 0;
  std::string samples_json_;
  long runs_ = 0;
  double seconds_ = 0;
  int calls_ = 0;
  struct Scratch;
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace onnxcut
