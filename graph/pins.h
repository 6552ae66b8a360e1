// Which nodes a plan must put on one side: user pins, plus what the cost
// model forces (a tensor of unknown size is never cut; a graph output of
// unknown size is produced on the device). Conflicts are bad input.
#pragma once
#include <string>
#include <vector>

#include "plan_graph.h"

namespace onnxcut {

enum Side : signed char { kFree = 0, kDevice = 1, kCloud = 2 };

struct Pins {
  std::vector<int> device;  // node indices pinned to the device
  std::vector<int> cloud;   // node indices pinned to the cloud
};

// The closure of the pins under the validity rules: a device node's
// producers run on the device, a cloud node's consumers run on the cloud, and
// both ends of an unknown-size tensor share a side. Throws InputError naming
// every conflicting pair when no valid plan respects the pins. `keys` names
// nodes in messages (may be empty).
std::vector<signed char> forcedSides(const PlanGraph& g, const Pins& pins,
                                     const NodeKeys& keys);

// The nodes that must share `side` with node v: on the device, v's
// producers and the readers of an unknown-size tensor it makes; on the
// cloud, v's readers and the producer of an unknown-size tensor it reads.
// Calls fn(w) for each (a node may come more than once; never a graph
// input's -1). forcedSides closes the pins under this rule.
template <class Fn>
void forEachTiedNode(const PlanGraph& g, const NodeEdges& adj, int v, Side side, Fn&& fn) {
  const bool device = side == kDevice;
  for (int t : device ? adj.in[v] : adj.out[v]) {  // always: producers / readers
    if (device) { if (g.tensors[t].producer >= 0) fn(g.tensors[t].producer); }
    else for (int w : g.tensors[t].consumers) fn(w);
  }
  for (int t : device ? adj.out[v] : adj.in[v]) {  // unknown size: the other end too
    if (g.tensors[t].size_known) continue;
    if (device) for (int w : g.tensors[t].consumers) fn(w);
    else if (g.tensors[t].producer >= 0) fn(g.tensors[t].producer);
  }
}

// True when `on_device` respects every forced side.
bool respectsForced(const DeviceSet& on_device, const std::vector<signed char>& forced);

}  // namespace onnxcut
