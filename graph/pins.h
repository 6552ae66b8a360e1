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

// True when `on_device` respects every forced side.
bool respectsForced(const DeviceSet& on_device, const std::vector<signed char>& forced);

}  // namespace onnxcut
