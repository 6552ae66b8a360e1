// Cut vertices of the data flow: the tensors that every path from a graph
// input to a graph output passes through (the split points QDMP and dynamic
// split computing work with), found as dominators of a virtual sink.
#pragma once
#include <vector>

#include "plan_graph.h"

namespace onnxcut {

struct Bottleneck {
  int tensor = -1;              // index into PlanGraph::tensors
  double ratio_to_input = 0;    // bytes / total bytes of the graph inputs
  bool natural = false;         // smaller than the input and every earlier one
};

// In data-flow order (input side first). Tensors of unknown size are listed
// but are never natural.
std::vector<Bottleneck> findBottlenecks(const PlanGraph& g);

}  // namespace onnxcut
