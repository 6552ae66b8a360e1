// Fidelity in a plan request (docs/precision.md): every plan's loss measured
// on calibration inputs, and with budgets, mixed-width plans and tables.
//
//   calibration inputs --> fit half / held-back half
//   candidate splits (solve/budgeted.h) --> each cut tensor alone at 16..2 bits (fit half)
//   --> per split and budget, the fewest bytes whose summed loss fits the budget
//   --> that plan measured as a whole on both halves; over budget on either:
//       the next safer choice (at most 6 rounds, then all 32 bits)
//   --> per (objective, load, budget) the exact envelope of the accepted plans
#pragma once
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "calibration_inputs.h"
#include "cost_model.h"
#include "fidelity.h"
#include "model_view.h"
#include "plan_set.h"

namespace onnxcut {

struct FidelityOptions {
  std::string calibration_dir;  // empty: no calibration
  ImagePreprocess image;
  std::optional<LossMetric> metric;  // default: defaultLossMetric(model)
  std::vector<double> max_loss;      // budgets (metric units): one mixed table per (objective, load, budget)
  int max_samples = 32;              // calibration samples used (the first, in name order)
};

// Throws InputError listing bad options (named with optionRef).
void validateFidelity(const FidelityOptions& f);

// Measures the loss of every plan in `set`, and for each budget adds mixed
// plans and a table per (objective, load). Returns the "calibration" entry of
// the plan table. Throws InputError for bad calibration inputs.
nlohmann::json applyFidelity(const ModelView& mv, const PlanGraph& g, const NodeCosts& costs, const PlanOptions& opt,
                             const FidelityOptions& f, PlanSet& set,
                             const std::function<void(const std::string&)>& progress);

}  // namespace onnxcut
