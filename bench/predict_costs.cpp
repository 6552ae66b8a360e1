// Diagnosis for issue 6: a profile's predictions against measured per-node
// times, per model and (--by-op) per op type.
//   predict_costs PROFILE.json MODEL COSTS.csv [NAME=DIMS] [MODEL COSTS.csv [NAME=DIMS]]...
// Prints per model: measured and predicted totals, error, Spearman rank
// correlation of the per-node times.
#include <cstdio>
#include <array>
#include <filesystem>
#include <map>
#include <string>

#include "analytic.h"
#include "calibrate.h"
#include "costs_csv.h"
#include "hw_profile.h"
#include "model_view.h"

using namespace onnxcut;

int main(int argc, char** argv) {
  // --by-op: also per op type, measured and predicted totals (for diagnosis).
  bool by_op = argc > 1 && std::string(argv[1]) == "--by-op";
  if (by_op) { --argc; ++argv; }
  if (argc < 4) { std::fprintf(stderr, "usage: predict_costs PROFILE MODEL COSTS [NAME=DIMS] ...\n"); return 2; }
  const HwProfile p = readProfile(argv[1]);
  std::printf("| model | measured ms | predicted ms | error | Spearman |\n|---|---|---|---|---|\n");
  for (int i = 2; i + 1 < argc;) {
    LoadOptions lo;
    const std::string model = argv[i], costs = argv[i + 1];
    i += 2;
    if (i < argc && std::string(argv[i]).find('=') != std::string::npos && !std::filesystem::exists(argv[i]))
      lo.input_shapes.push_back(parseInputShape(argv[i++]));
    const ModelView mv = ModelView::load(model, lo);
    const NodeCosts c = readCostsCsv(costs, mv.nodeKeys());
    const auto work = analyzeNodes(mv);
    const auto pred = estimateAll(p, work);
    double tm = 0, tp = 0;
    for (size_t v = 0; v < pred.size(); ++v) { tm += c.device_ms[v]; tp += pred[v]; }
    std::printf("| %s | %.2f | %.2f | %+.1f%% | %.3f |\n", std::filesystem::path(model).filename().c_str(), tm, tp,
                (tp / tm - 1) * 100, spearman(pred, c.device_ms));
    if (by_op) {
      std::map<std::string, std::array<double, 4>> ops;  // measured, predicted, count, flops
      for (size_t v = 0; v < pred.size(); ++v) {
        auto& o = ops[mv.nodes()[v].op_type];
        o[0] += c.device_ms[v]; o[1] += pred[v]; o[2] += 1; o[3] += work[v].flops;
      }
      for (const auto& [op, o] : ops)
        std::printf("|   %s (%g nodes, %.3g GFLOP) | %.2f | %.2f | %+.1f%% | |\n", op.c_str(), o[2], o[3] / 1e9, o[0], o[1],
                    (o[1] / o[0] - 1) * 100);
    }
  }
}
