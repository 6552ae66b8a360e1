#include "pins.h"

#include <deque>
#include <map>
#include <set>

#include "errors.h"

namespace onnxcut {
namespace {

std::string nodeName(const NodeKeys& keys, int v) {
  return v < keys.size() ? "'" + keys.name(v) + "'" : keys.name(v);
}

// Breadth-first closure of one side. `origin[v]` records which reason first
// forced v, so that conflicts can be explained.
struct Closure {
  std::vector<int> origin;  // index into reasons, or -1
  std::vector<std::string> reasons;
};

// The closure of one side. Device: a node's producers join it, and so do
// the readers of an unknown-size tensor it makes. Cloud: a node's readers
// join it, and so does the producer of an unknown-size tensor it reads.
Closure close(const PlanGraph& g, const NodeEdges& adj, const std::vector<std::pair<int, std::string>>& seeds,
              Side side) {
  Closure c{std::vector<int>(g.num_nodes, -1), {}};
  std::deque<int> queue;
  auto force = [&](int v, int reason) {
    if (v >= 0 && c.origin[v] < 0) { c.origin[v] = reason; queue.push_back(v); }
  };
  for (const auto& [v, why] : seeds) { c.reasons.push_back(why); force(v, static_cast<int>(c.reasons.size()) - 1); }
  while (!queue.empty()) {
    const int v = queue.front(); queue.pop_front();
    forEachTiedNode(g, adj, v, side, [&](int w) { force(w, c.origin[v]); });
  }
  return c;
}

}  // namespace

std::vector<signed char> forcedSides(const PlanGraph& g, const Pins& pins,
                                     const NodeKeys& keys) {
  const NodeEdges adj = nodeEdges(g);
  std::vector<std::pair<int, std::string>> dev_seeds, cloud_seeds;
  for (int v : pins.device) dev_seeds.emplace_back(v, optionRef("pin_device") + " " + nodeName(keys, v));
  for (int v : pins.cloud) cloud_seeds.emplace_back(v, optionRef("pin_cloud") + " " + nodeName(keys, v));
  for (const auto& t : g.tensors) {
    if (t.size_known) continue;
    if (t.is_output && t.producer >= 0)
      dev_seeds.emplace_back(t.producer, "it produces a graph output of unknown size");
    if (t.producer < 0)
      for (int c : t.consumers) dev_seeds.emplace_back(c, "it reads a graph input of unknown size");
  }
  const Closure dev = close(g, adj, dev_seeds, kDevice);
  const Closure cloud = close(g, adj, cloud_seeds, kCloud);

  ErrorList errors;
  std::set<std::pair<int, int>> reported;  // one message per pair of reasons
  std::vector<signed char> forced(g.num_nodes, kFree);
  for (int v = 0; v < g.num_nodes; ++v) {
    const int d = dev.origin[v], c = cloud.origin[v];
    if (d >= 0 && c >= 0) {
      if (reported.insert({d, c}).second)
        errors.add("node " + nodeName(keys, v) + " would have to run on the device (" +
                   dev.reasons[d] + ") and on the cloud (" + cloud.reasons[c] + ")");
    } else if (d >= 0) {
      forced[v] = kDevice;
    } else if (c >= 0) {
      forced[v] = kCloud;
    }
  }
  errors.throwIfAny("impossible pins");
  return forced;
}

bool respectsForced(const DeviceSet& on_device, const std::vector<signed char>& forced) {
  for (size_t v = 0; v < forced.size(); ++v) {
    if (forced[v] == kDevice && !on_device[v]) return false;
    if (forced[v] == kCloud && on_device[v]) return false;
  }
  return true;
}

}  // namespace onnxcut
