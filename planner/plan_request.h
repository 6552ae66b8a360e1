// The planner as one call: a PlanRequest (a model, where costs come from,
// what to plan) goes in; the plans, the plan table and, when asked, a written
// plan directory come out. The CLI and the Python module are thin shells
// around planModel(); C++ users call it through onnxcut::planner.
//
//   PlanRequest --> ModelView --> NodeCosts --> PlanSet --> plan-table.json
//                   (model/)      (costs/)      (solve/)    + split files
//                                                           (artifacts/)
#pragma once
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "budgeted_plans.h"
#include "cost_model.h"
#include "model_view.h"
#include "plan_set.h"
#include "plan_table.h"

namespace onnxcut {

// Where one side's per-node costs come from: at most one of the two.
struct SideCosts {
  std::string profile;      // hardware profile: a bundled name or a JSON file
  std::string ort_profile;  // an ONNX Runtime profile JSON of this model
  bool given() const { return !profile.empty() || !ort_profile.empty(); }
};

struct PlanRequest {
  std::string model;                     // ONNX file (binary, or text: .onnxtxt)
  std::vector<InputShape> input_shapes;  // fixes unknown input dims
  std::string costs_csv;                 // measured costs; overrides device/cloud
  SideCosts device, cloud;
  PlanOptions options;
  // Calibration inputs: every plan's loss measured; with budgets, mixed
  // per-tensor-width plans and tables (docs/precision.md).
  FidelityOptions fidelity;
  std::string output_dir;                // empty: plan in memory, write nothing
  bool emit_onnx = false;                // also write plans/<id>/head.onnx, tail.onnx
  // Split files keep their weights: inline (or in a data file of their own
  // for models with external data), so each file stands alone and loads
  // from memory. Default (false): every weight is stored once, in
  // plans/<id>/weights.data, hard links to one file (docs/plan-table.md).
  bool self_contained = false;
  // Called at the start of each long step ("reading the model", "writing
  // split files 3/12"...), for a progress line; may be empty.
  std::function<void(const std::string&)> progress;
};

struct PlanResult {
  explicit PlanResult(ModelView m) : model(std::move(m)) {}
  ModelView model;
  PlanGraph graph;
  NodeCosts costs;
  std::string device_costs, cloud_costs;  // where each side's costs came from
  PlanSet plans;
  std::map<int, PlanFiles> files;         // what was written, by plan id
  nlohmann::json table;                   // plan-table.json as written
  // Problems worth a look that did not stop planning (unsized tensors,
  // unmodelled ops, overridden profiles). They may hold optionRef()s.
  std::vector<std::string> warnings;
};

// Throws InputError (bad model, costs, options or output folder; nothing is
// left behind) naming the problem.
PlanResult planModel(const PlanRequest& req);

}  // namespace onnxcut
