// Every valid plan of a graph, when there are few enough: a plan is a
// downset of the DAG (closed under producers), so depth-first decisions in
// topological order visit each exactly once, with the figures kept up to
// date incrementally. Real CNNs are chains of small blocks and have few
// (ResNet-50: 241, GoogLeNet: 2,718); detectors with many parallel paths can
// have millions (YOLOX-Nano: 25.5M), which the cap refuses.
#pragma once
#include <functional>
#include <optional>
#include <vector>

#include "cost_model.h"
#include "plan_graph.h"

namespace onnxcut {

struct EnumeratedPlan {
  DeviceSet plan;
  PlanFigures figures;
};

// The valid plans respecting `forced` that are Pareto-optimal in (device_ms,
// cloud_ms, up_bytes, down_bytes) at precision p: every objective of the
// cost model that only adds these up is optimised by one of them. Empty
// optional when there are more than `cap` valid plans.
std::optional<std::vector<EnumeratedPlan>> paretoPlans(const PlanGraph& g, const NodeCosts& c,
                                                       const std::vector<signed char>& forced, Precision p,
                                                       long long cap);

// The cap the planner uses: enumeration with Pareto filtering stays under
// ~0.1 s; past it, counting alone refuses in milliseconds.
constexpr long long kEnumerationCap = 100000;

}  // namespace onnxcut
