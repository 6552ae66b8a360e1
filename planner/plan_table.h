// plan-table.json as ../shared/spec/plan-table.md specifies.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "model_view.h"
#include "planning.h"

namespace onnxcut {

struct TableContext {
  std::string model_path;   // file name goes into "model.file"
  std::string model_sha256;
  std::string device_costs, cloud_costs;  // where the costs came from
  bool emit_onnx = false;   // head/tail paths are set only when emitted
};

nlohmann::json planTableJson(const ModelView& mv, const PlanSet& set, const PlanOptions& opt,
                             const TableContext& ctx);

// Whether a plan has a head / a tail file (plan-table.md): all-device has no
// tail; all-cloud at fp32 has no head.
bool planHasHead(const PlannedPlan& p);
bool planHasTail(const PlannedPlan& p);

}  // namespace onnxcut
