#include "plan_enumeration.h"

#include <algorithm>
#include <functional>

#include "pins.h"

namespace onnxcut {
namespace {

struct Figures4 {
  double dev, cloud, up, down;
  bool uses_cloud;
};

bool dominates(const Figures4& a, const Figures4& b) {
  return a.dev <= b.dev && a.cloud <= b.cloud && a.up <= b.up && a.down <= b.down &&
         a.uses_cloud <= b.uses_cloud;
}

class Enumerator {
 public:
  Enumerator(const PlanGraph& g, const NodeCosts& c, const std::vector<signed char>& forced, Precision p)
      : g_(g), c_(c), forced_(forced), p_(p), in_(g.num_nodes, 0), sent_(g.tensors.size(), 0),
        edges_(nodeEdges(g)), inputs_(edges_.in), outputs_(edges_.out) {}

  // Visits every valid plan; stops (returns false) past `cap` leaves.
  bool run(long long cap, const std::function<void(const Figures4&, const DeviceSet&)>& leaf) {
    cap_ = cap;
    leaf_ = &leaf;
    rec(0);
    return leaves_ <= cap_;
  }

 private:
  bool madeOnDevice(int t) const { return g_.tensors[t].producer < 0 || in_[g_.tensors[t].producer]; }

  void rec(int v) {
    if (leaves_ > cap_) return;
    if (v == g_.num_nodes) {
      ++leaves_;
      (*leaf_)(f_, in_);
      return;
    }
    // On the cloud: its inputs made on the device are sent (once each).
    if (forced_[v] != kDevice) {
      bool ok = true;
      for (int t : inputs_[v]) ok = ok && !(madeOnDevice(t) && !g_.tensors[t].size_known);
      for (int t : outputs_[v]) ok = ok && !(g_.tensors[t].is_output && !g_.tensors[t].size_known);
      if (ok) {
        const Figures4 saved = f_;
        f_.cloud += c_.cloud_ms[v];
        f_.uses_cloud = true;
        for (int t : inputs_[v])
          if (madeOnDevice(t) && sent_[t]++ == 0) f_.up += sentBytes(g_.tensors[t], p_);
        for (int t : outputs_[v])
          if (g_.tensors[t].is_output) f_.down += g_.tensors[t].bytes;
        rec(v + 1);
        for (int t : inputs_[v])
          if (madeOnDevice(t)) --sent_[t];
        f_ = saved;
      }
    }
    // On the device: only if everything it reads was made on the device.
    if (forced_[v] != kCloud) {
      bool ok = true;
      for (int t : inputs_[v]) ok = ok && madeOnDevice(t);
      if (ok) {
        in_[v] = 1;
        const double saved = f_.dev;
        f_.dev += c_.device_ms[v];
        rec(v + 1);
        f_.dev = saved;
        in_[v] = 0;
      }
    }
  }

  const PlanGraph& g_;
  const NodeCosts& c_;
  const std::vector<signed char>& forced_;
  Precision p_;
  DeviceSet in_;
  std::vector<int> sent_;
  NodeEdges edges_;
  const std::vector<std::vector<int>>&inputs_, &outputs_;
  Figures4 f_{0, 0, 0, 0, false};
  long long leaves_ = 0, cap_ = 0;
  const std::function<void(const Figures4&, const DeviceSet&)>* leaf_ = nullptr;
};

// Counts valid plans up to `cap` with no figures kept: cheap enough to run
// before deciding to enumerate (YOLOX-Nano: refused in milliseconds).
bool countAtMost(const PlanGraph& g, const std::vector<signed char>& forced, long long cap) {
  std::vector<std::vector<int>> preds(g.num_nodes);
  for (const auto& t : g.tensors)
    for (int c : t.consumers)
      if (t.producer >= 0) preds[c].push_back(t.producer);
  DeviceSet in(g.num_nodes, 0);
  long long count = 0;
  std::function<void(int)> rec = [&](int v) {
    if (count > cap) return;
    if (v == g.num_nodes) { ++count; return; }
    if (forced[v] != kDevice) rec(v + 1);
    if (forced[v] != kCloud) {
      bool ok = true;
      for (int p : preds[v]) ok = ok && in[p];
      if (ok) { in[v] = 1; rec(v + 1); in[v] = 0; }
    }
  };
  rec(0);
  return count <= cap;
}

}  // namespace

std::optional<std::vector<EnumeratedPlan>> paretoPlans(const PlanGraph& g, const NodeCosts& c,
                                                       const std::vector<signed char>& forced, Precision p,
                                                       long long cap) {
  // A plan on the cloud consumes nodes in topological order, so the device
  // set decided for v is final when v's consumers are visited: the running
  // figures are exact at every leaf.
  if (!countAtMost(g, forced, cap)) return std::nullopt;  // (an upper bound: ignores size rules)
  Enumerator e(g, c, forced, p);
  std::vector<std::pair<Figures4, DeviceSet>> front;
  const bool complete = e.run(cap, [&](const Figures4& f, const DeviceSet& d) {
    for (const auto& [k, _] : front)
      if (dominates(k, f)) return;
    front.erase(std::remove_if(front.begin(), front.end(), [&](const auto& x) { return dominates(f, x.first); }),
                front.end());
    front.emplace_back(f, d);
  });
  if (!complete) return std::nullopt;
  std::vector<EnumeratedPlan> out;
  for (auto& [f, d] : front) out.push_back({d, planFigures(g, c, d, p)});
  return out;
}

}  // namespace onnxcut
