// plan-table.json as ../shared/spec/plan-table.md specifies.
#pragma once
#include <nlohmann/json.hpp>
#include <map>
#include <string>

#include "model_view.h"
#include "plan_set.h"

namespace onnxcut {

// The split files written for one plan, relative to the plan directory
// (empty: that side has no file, or none was written).
struct PlanFiles {
  std::string head, tail;
  std::string head_data, tail_data;  // their external data files, if any
};

struct TableContext {
  std::string model_path;   // file name goes into "model.file"
  std::string model_sha256;
  std::string device_costs, cloud_costs;  // where the costs came from
  std::map<int, PlanFiles> files;         // by plan id: what was written
};

nlohmann::json planTableJson(const ModelView& mv, const PlanSet& set, const PlanOptions& opt,
                             const TableContext& ctx);

}  // namespace onnxcut
