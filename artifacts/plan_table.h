// plan-table.json as ../shared/spec/plan-table.md specifies.
#pragma once
#include <nlohmann/json.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model_view.h"
#include "plan_set.h"

namespace onnxcut {

// The split files written for one plan, relative to the plan directory
// (empty: that side has no file, or none was written). Plans needing the
// same bytes name the same file (written once).
struct PlanFiles {
  std::string head, tail;
  std::string head_data, tail_data;  // their external data files, if any
};

// A file of the plan directory, as written.
struct WrittenFile {
  std::string path;  // relative to the plan directory
  std::string sha256;
  uint64_t bytes = 0;
};

struct TableContext {
  std::string model_path;   // file name goes into "model.file"
  std::string model_sha256;
  std::string device_costs, cloud_costs;  // where the costs came from
  std::map<int, PlanFiles> files;         // by plan id: what was written
  std::vector<WrittenFile> written;       // every file once ("files")
  nlohmann::json options = nlohmann::json::object();  // what was asked ("options")
  nlohmann::json calibration;  // null: not calibrated; else "calibration" (docs/precision.md)
};

// The plan-table version written (docs/plan-table.md); runtimes read 1 to 3.
// Version 3 (written only when a table has mixed-width plans): plans of
// precision "mixed" with per-tensor "bits", "packed" wire encodings.
constexpr int kPlanTableVersion = 2;
constexpr int kPlanTableVersionMixed = 3;

nlohmann::json planTableJson(const ModelView& mv, const PlanSet& set, const PlanOptions& opt,
                             const TableContext& ctx);

}  // namespace onnxcut
