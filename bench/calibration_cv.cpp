// Issue 6 figures: how well a calibrated profile predicts models it was not
// calibrated on.
//   calibration_cv BASE_PROFILE [--train A,B,...] MODEL FIT.csv TEST.csv [NAME=DIMS] ...
// For every model, leave-one-out: calibrate BASE on the FIT measurements of
// all the other models and predict this one, scored against its TEST
// measurements (an independent run, so run-to-run noise is not hidden).
// With --train (model file stems): one fixed split as well, calibrated on
// those models and predicting the rest.
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>
#include <string>

#include "analytic.h"
#include "calibrate.h"
#include "costs_csv.h"
#include "hw_profile.h"
#include "model_view.h"

using namespace onnxcut;

namespace {

struct Model {
  std::string name;
  std::vector<NodeWork> work;
  std::vector<double> fit_ms, test_ms;
};

void row(const HwProfile& p, const Model& m) {
  const auto pred = estimateAll(p, m.work);
  double tm = 0, tp = 0, tf = 0;
  for (size_t v = 0; v < pred.size(); ++v) { tm += m.test_ms[v]; tp += pred[v]; tf += m.fit_ms[v]; }
  std::printf("| %s | %.2f | %+.1f%% | %.2f | %+.1f%% | %.3f |\n", m.name.c_str(), tm, (tf / tm - 1) * 100, tp,
              (tp / tm - 1) * 100, spearman(pred, m.test_ms));
}

HwProfile fitWithout(const HwProfile& base, const std::vector<Model>& ms, const std::function<bool(const Model&)>& use) {
  std::vector<Measured> data;
  for (const auto& m : ms)
    if (use(m)) data.push_back({m.work, m.fit_ms});
  return calibrate(base, data);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: calibration_cv BASE [--train A,B] MODEL FIT.csv TEST.csv [NAME=DIMS] ...\n");
    return 2;
  }
  const HwProfile base = readProfile(resolveProfilePath(argv[1]));
  int i = 2;
  std::set<std::string> train;
  if (std::string(argv[i]) == "--train") {
    std::stringstream ss(argv[i + 1]);
    for (std::string t; std::getline(ss, t, ',');) train.insert(t);
    i += 2;
  }
  std::vector<Model> models;
  while (i + 2 < argc) {
    LoadOptions lo;
    const std::string path = argv[i], fit = argv[i + 1], test = argv[i + 2];
    i += 3;
    if (i < argc && std::string(argv[i]).find('=') != std::string::npos && !std::filesystem::exists(argv[i]))
      lo.input_shapes.push_back(parseInputShape(argv[i++]));
    const ModelView mv = ModelView::load(path, lo);
    models.push_back({std::filesystem::path(path).stem().string(), analyzeNodes(mv),
                      readCostsCsv(fit, mv.nodeKeys()).device_ms, readCostsCsv(test, mv.nodeKeys()).device_ms});
  }
  // "fitting run": the model's total in the run calibration used, against
  // the scored run (the machine's own drift between the two).
  const char* header =
      "| model | measured ms | fitting run | predicted ms | error | Spearman |\n|---|---|---|---|---|---|\n";
  if (!train.empty()) {
    const HwProfile p = fitWithout(base, models, [&](const Model& m) { return train.count(m.name) > 0; });
    std::printf("Calibrated on the training models; every row scored on an independent run.\n\n%s", header);
    for (const auto& m : models)
      if (train.count(m.name)) row(p, m);
    std::printf("\nHeld out:\n\n%s", header);
    for (const auto& m : models)
      if (!train.count(m.name)) row(p, m);
    std::printf("\n");
  }
  std::printf("Leave-one-out (each model predicted by a profile calibrated on all the others):\n\n%s", header);
  for (const auto& held : models) {
    const HwProfile p = fitWithout(base, models, [&](const Model& m) { return &m != &held; });
    row(p, held);
  }
}
