// Plans for a whole table request: one band table per (objective, server
// load, precision), plans deduplicated by (device set, precision). ONNX-free.
#pragma once
#include "cost_model.h"
#include "plan_graph.h"
#include "plan_set.h"

namespace onnxcut {

// `keys` name nodes for pins and messages. Throws InputError for bad
// options and for unknown or impossible pins.
PlanSet planTables(const PlanGraph& g, const NodeCosts& costs, const NodeKeys& keys,
                   const PlanOptions& opt);

}  // namespace onnxcut
