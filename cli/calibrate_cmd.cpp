// `onnxcut calibrate --measured MODEL=COSTS.csv ... [--base PROFILE] -o OUT.json`:
// fits a profile's efficiencies to measured per-node times (device_ms).
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "artifact_writer.h"
#include "calibrate.h"
#include "commands.h"
#include "costs_csv.h"
#include "errors.h"
#include "model_view.h"

namespace onnxcut::cli {
namespace {

struct CalibrateArgs {
  std::vector<std::string> measured, input_shapes;
  std::string base = "x86-edge-i5", out, name;
};

int runCalibrate(const CalibrateArgs& a) {
  const HwProfile base = readProfile(resolveProfilePath(a.base));
  std::vector<Measured> data;
  std::vector<std::string> labels;
  LoadOptions lo;
  lo.skip_absent_inputs = true;
  for (const auto& s : a.input_shapes) lo.input_shapes.push_back(parseInputShape(s));
  std::set<std::string> shaped;  // input names some model has
  for (const auto& m : a.measured) {
    const auto eq = m.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
      throw InputError("--measured '" + m + "': expected MODEL=COSTS.csv");
    const ModelView mv = ModelView::load(m.substr(0, eq), lo);
    for (int t : mv.graphInputs()) shaped.insert(mv.tensors()[t].name);
    const NodeCosts c = readCostsCsv(m.substr(eq + 1), mv.nodeKeys());
    data.push_back({analyzeNodes(mv), c.device_ms});
    labels.push_back(m.substr(0, eq));
  }
  for (const auto& s : lo.input_shapes)
    if (!shaped.count(s.name)) throw InputError("--input-shape names '" + s.name + "', which is an input of no measured model");
  HwProfile fitted = calibrate(base, data);
  fitted.name = a.name.empty() ? base.name + "-calibrated" : a.name;
  fitted.description = "Calibrated from " + base.name + " on measurements of " + std::to_string(data.size()) + " model(s)";
  fitted.sources = base.sources;
  for (const auto& l : labels) fitted.sources.push_back("calibrated on measured per-node times of " + std::filesystem::path(l).filename().string());
  writeFileAtomically(a.out, profileJson(fitted));
  fmt::print("{:<40} {:>12} {:>12} {:>9} {:>9}\n", "model", "measured ms", "predicted ms", "error", "spearman");
  for (size_t i = 0; i < data.size(); ++i) {
    const auto pred = estimateAll(fitted, data[i].work);
    double tm = 0, tp = 0;
    for (size_t v = 0; v < pred.size(); ++v) { tm += data[i].ms[v]; tp += pred[v]; }
    fmt::print("{:<40} {:>12.3f} {:>12.3f} {:>8.1f}% {:>9.3f}\n", std::filesystem::path(labels[i]).filename().string(), tm, tp,
               (tp / tm - 1) * 100, spearman(pred, data[i].ms));
  }
  fmt::print("wrote {}\n", a.out);
  return kExitOk;
}

}  // namespace

void registerCalibrate(CLI::App& app, Action& run) {
  auto a = std::make_shared<CalibrateArgs>();
  auto* cmd = app.add_subcommand("calibrate", "Fit a hardware profile's efficiencies to measured per-node costs");
  cmd->add_option("--measured", a->measured, "MODEL=COSTS.csv (device_ms column; repeatable)")->required();
  cmd->add_option("--input-shape", a->input_shapes,
                  "Fix an input's dims, NAME=1x3x224x224, in every measured model with that input (repeatable)");
  cmd->add_option("--base", a->base, "Profile to start from (peak and bandwidth are kept)")->capture_default_str();
  cmd->add_option("--name", a->name, "Name of the fitted profile");
  cmd->add_option("-o,--output", a->out, "Profile JSON to write")->required();
  cmd->callback([a, &run] { run = [a] { return runCalibrate(*a); }; });
}

}  // namespace onnxcut::cli
