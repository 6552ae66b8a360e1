#include "plan_enumeration.h"

#include <algorithm>
#include <functional>
#include <string>
#include <unordered_map>

#include "pins.h"

namespace onnxcut {
namespace {


bool dominates(const Figures4& a, const Figures4& b) {
  return a.dev <= b.dev && a.cloud <= b.cloud && a.up <= b.up && a.down <= b.down &&
         a.uses_cloud <= b.uses_cloud;
}

// For one throughput table (plan_enumeration.h, TableDp): the RTT plays no
// part, and a's larger cloud time doesn't matter when load·(a's cloud time +
// `cloud_rest`, the most the undecided nodes can add) is at most b's device
// time, which every completion of b keeps as a floor of its bottleneck.
bool dominatesInTable(const Figures4& a, const Figures4& b, double load, double cloud_rest) {
  return a.dev <= b.dev && a.up <= b.up && a.down <= b.down &&
         (a.cloud <= b.cloud || load * a.cloud + cloud_rest <= b.dev);
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

// The tensors live once node v is decided (topological order): those of
// `live` read after v, and v's outputs that are read at all; sorted.
std::vector<int> liveAfter(const PlanGraph& g, const NodeEdges& edges, const std::vector<int>& live, int v) {
  std::vector<int> next;
  for (int t : live)
    if (g.tensors[t].consumers.back() > v) next.push_back(t);
  for (int t : edges.out[v])
    if (!g.tensors[t].consumers.empty()) next.push_back(t);
  std::sort(next.begin(), next.end());
  return next;
}

}  // namespace

std::optional<long long> countDownsets(const PlanGraph& g, const std::vector<signed char>& forced, long long cap) {
  const NodeEdges edges = nodeEdges(g);
  std::vector<int> live, pos(g.tensors.size(), -1);
  std::unordered_map<std::string, long long> states = {{std::string(), 1}};
  std::string next_key;
  for (int v = 0; v < g.num_nodes; ++v) {
    for (size_t i = 0; i < live.size(); ++i) pos[live[i]] = static_cast<int>(i);
    std::vector<int> next_live = liveAfter(g, edges, live, v);
    std::unordered_map<std::string, long long> next;
    for (const auto& [key, count] : states)
      for (const bool device : {false, true}) {
        if (forced[v] == (device ? kCloud : kDevice)) continue;
        bool ok = true;
        if (device)
          for (int t : edges.in[v]) ok = ok && (pos[t] < 0 || key[pos[t]] != 'C');
        if (!ok) continue;
        next_key.resize(next_live.size());
        for (size_t i = 0; i < next_live.size(); ++i)
          next_key[i] = pos[next_live[i]] >= 0 ? key[pos[next_live[i]]] : (device ? 'D' : 'C');
        long long& n = next[next_key];
        n = std::min(cap + 1, n + count);
      }
    if (static_cast<long long>(next.size()) > cap) return std::nullopt;
    for (int t : live) pos[t] = -1;
    live = std::move(next_live);
    states = std::move(next);
  }
  long long total = 0;
  for (const auto& [key, count] : states) total = std::min(cap + 1, total + count);
  return total;
}

namespace {

// The frontier of a partial plan (nodes 0..v-1 decided): the status of each
// live tensor (made before v, read at or after v). Future costs depend only
// on it, so among partial plans with the same frontier only those not
// dominated in all four figures can lead to a Pareto-optimal plan.
enum Status : char { kMadeOnCloud = 'C', kUnsent = 'U', kSent = 'S' };

struct Partial {
  Figures4 f;
  int parent;  // index in the previous step's partials
  bool device;
};

// How a kept partial plan was reached, all that is stored of past steps.
struct Link {
  int parent : 31;
  unsigned device : 1;
};

struct Group {  // partial plans sharing one frontier
  std::string key;  // a Status per live tensor, in `live` order
  std::vector<int> members;
};

// A bounded DP gives up once its dominance tests run ahead of this many
// times the budget's share of the nodes decided so far: where it can't
// finish (1,000-node layered DAGs at load 4, docs/throughput.md), the
// fronts explode within the first tenth of the nodes; where it finishes,
// its tests grow about linearly (load 1: 410-605 million, under 1.5x the
// linear pace throughout).
constexpr double kPace = 4;

class FrontierDp {
 public:
  FrontierDp(const PlanGraph& g, const NodeCosts& c, const std::vector<signed char>& forced, Precision p,
             const TableDp* table = nullptr)
      : g_(g), c_(c), forced_(forced), p_(p), table_(table), edges_(nodeEdges(g)), pos_(g.tensors.size(), -1),
        cloud_rest_(g.num_nodes + 1, 0) {
    if (table_)
      for (int u = g.num_nodes - 1; u >= 0; --u)
        cloud_rest_[u] = cloud_rest_[u + 1] + (forced[u] == kDevice ? 0 : table_->load * c.cloud_ms[u]);
  }

  // The Pareto-optimal plans, or nullopt once more than `cap` partial plans
  // would have to be kept.
  std::optional<std::vector<std::pair<Figures4, DeviceSet>>> run(long long cap, long long max_comparisons) {
    std::vector<int> live;
    for (int t = 0; t < static_cast<int>(g_.tensors.size()); ++t)
      if (g_.tensors[t].producer < 0 && !g_.tensors[t].consumers.empty()) live.push_back(t);
    links_.assign(1, {{-1, 0}});
    figures_.assign(1, Figures4{0, 0, 0, 0, false});
    std::vector<Group> groups = {{std::string(live.size(), kUnsent), {0}}};
    long long kept = 1;
    for (int v = 0; v < g_.num_nodes; ++v) {
      cloud_rest_now_ = cloud_rest_[v + 1];
      for (size_t i = 0; i < live.size(); ++i) pos_[live[i]] = static_cast<int>(i);
      std::vector<int> next_live = liveAfter(g_, edges_, live, v);
      std::vector<Partial> next;
      std::unordered_map<std::string, int> index;
      std::vector<Group> next_groups;
      // The candidates of each next frontier, then inserted in increasing
      // device time: a candidate can then only dominate kept ones of equal
      // device time.
      std::vector<std::vector<Partial>> candidates;
      for (const Group& gr : groups)
        for (bool device : {false, true}) {
          Figures4 delta{0, 0, 0, 0, false};
          std::string key;
          if (!step(v, device, gr.key, next_live, delta, key)) continue;
          auto [it, fresh] = index.emplace(key, static_cast<int>(next_groups.size()));
          if (fresh) {
            next_groups.push_back({key, {}});
            candidates.emplace_back();
          }
          std::vector<Partial>& into = candidates[it->second];
          if (table_ && table_->frontier) table_->frontier(v, next_live, key);
          for (int m : gr.members) {
            const Figures4& f = figures_[m];
            const Figures4 nf{f.dev + delta.dev, f.cloud + delta.cloud, f.up + delta.up, f.down + delta.down,
                              f.uses_cloud || delta.uses_cloud};
            if (table_ && table_->prune && table_->prune(nf, v)) continue;
            into.push_back({nf, m, device});
          }
        }
      for (size_t k = 0; k < next_groups.size(); ++k) {
        std::vector<Partial>& into = candidates[k];
        std::sort(into.begin(), into.end(), [](const Partial& a, const Partial& b) { return a.f.dev < b.f.dev; });
        for (const Partial& q : into) insert(next_groups[k], next, q);
        if (max_comparisons >= 0 && comparisons_ > max_comparisons) return std::nullopt;
      }
      kept += static_cast<long long>(next.size());
      if (kept > cap || (max_comparisons >= 0 && comparisons_ > max_comparisons)) return std::nullopt;
      // Gives up early on a pace to need more than kPace times the budget.
      if (max_comparisons >= 0 &&
          static_cast<double>(comparisons_) > kPace * static_cast<double>(max_comparisons) * (v + 1) / g_.num_nodes)
        return std::nullopt;
      compact(next_groups, next);
      std::vector<Link>& links = links_.emplace_back();
      links.reserve(next.size());
      figures_.clear();
      for (const Partial& q : next) {
        links.push_back({q.parent, q.device});
        figures_.push_back(q.f);
      }
      groups = std::move(next_groups);
      for (int t : live) pos_[t] = -1;
      live = std::move(next_live);
    }
    std::vector<std::pair<Figures4, DeviceSet>> out;
    for (const Group& gr : groups)
      for (int m : gr.members) out.emplace_back(figures_[m], planOf(m));
    return out;
  }

 private:
  // Node v on one side, from frontier `key`: the figures it adds and the
  // next frontier; false when the move is not valid.
  bool step(int v, bool device, const std::string& key, const std::vector<int>& next_live, Figures4& delta,
            std::string& next_key) const {
    std::string status = key;
    if (device) {
      if (forced_[v] == kCloud) return false;
      for (int t : edges_.in[v])
        if (status[pos_[t]] == kMadeOnCloud) return false;
      delta.dev = c_.device_ms[v];
    } else {
      if (forced_[v] == kDevice) return false;
      for (int t : edges_.in[v]) {
        char& st = status[pos_[t]];
        if (st != kUnsent) continue;
        if (!g_.tensors[t].size_known) return false;
        delta.up += sentBytes(g_.tensors[t], p_);
        st = kSent;
      }
      for (int t : edges_.out[v]) {
        const PlanTensor& ten = g_.tensors[t];
        if (ten.is_output && !ten.size_known) return false;
        if (ten.is_output) delta.down += ten.bytes;
      }
      delta.cloud = c_.cloud_ms[v];
      delta.uses_cloud = true;
    }
    next_key.resize(next_live.size());
    for (size_t i = 0; i < next_live.size(); ++i) {
      const int t = next_live[i];
      next_key[i] = pos_[t] >= 0 ? status[pos_[t]] : static_cast<char>(device ? kUnsent : kMadeOnCloud);
    }
    return true;
  }

  // Adds `p` to the group unless one of its members dominates it; drops
  // the members it dominates (marked with parent -2, removed by compact).
  // Members come in increasing device time (run()).
  void insert(Group& gr, std::vector<Partial>& all, const Partial& p) {
    if (table_) insertBy<true>(gr, all, p);
    else insertBy<false>(gr, all, p);
  }

  template <bool kTable>
  void insertBy(Group& gr, std::vector<Partial>& all, const Partial& p) {
    auto dom = [&](const Figures4& a, const Figures4& b) {
      return kTable ? dominatesInTable(a, b, table_->load, cloud_rest_now_) : dominates(a, b);
    };
    comparisons_ += static_cast<long long>(gr.members.size());
    for (int m : gr.members)
      if (dom(all[m].f, p.f)) return;
    // Only members of the same device time can be dominated by p.
    if (gr.members.empty() || all[gr.members.back()].f.dev < p.f.dev) {
      gr.members.push_back(static_cast<int>(all.size()));
      all.push_back(p);
      return;
    }
    size_t keep = 0;
    for (int m : gr.members)
      if (dom(p.f, all[m].f)) all[m].parent = -2;
      else gr.members[keep++] = m;
    gr.members.resize(keep);
    gr.members.push_back(static_cast<int>(all.size()));
    all.push_back(p);
  }

  static void compact(std::vector<Group>& groups, std::vector<Partial>& all) {
    std::vector<int> remap(all.size(), -1);
    std::vector<Partial> kept;
    for (size_t i = 0; i < all.size(); ++i)
      if (all[i].parent != -2) { remap[i] = static_cast<int>(kept.size()); kept.push_back(all[i]); }
    for (Group& gr : groups)
      for (int& m : gr.members) m = remap[m];
    all = std::move(kept);
  }

  DeviceSet planOf(int m) const {
    DeviceSet d(g_.num_nodes, 0);
    for (int v = g_.num_nodes; v > 0; --v) {
      const Link& l = links_[v][m];
      d[v - 1] = l.device;
      m = l.parent;
    }
    return d;
  }

  const PlanGraph& g_;
  const NodeCosts& c_;
  const std::vector<signed char>& forced_;
  Precision p_;
  const TableDp* table_;
  NodeEdges edges_;
  std::vector<int> pos_;  // tensor -> position in the current live list
  std::vector<std::vector<Link>> links_;  // per step, per kept partial plan
  std::vector<Figures4> figures_;         // the current step's
  // load · Σ cloud_ms of the nodes after v that may run on the cloud, and
  // that after the node being decided.
  std::vector<double> cloud_rest_;
  double cloud_rest_now_ = 0;
  long long comparisons_ = 0;
};

}  // namespace

std::optional<std::vector<EnumeratedPlan>> paretoPlans(const PlanGraph& g, const NodeCosts& c,
                                                       const std::vector<signed char>& forced, Precision p,
                                                       long long cap) {
  // Few valid plans (counted cheaply, up to the cap): visit them all.
  if (const auto count = countDownsets(g, forced, cap); count && *count <= cap) {
    Enumerator e(g, c, forced, p);
    std::vector<std::pair<Figures4, DeviceSet>> front;
    e.run(cap, [&](const Figures4& f, const DeviceSet& d) {
      for (const auto& [k, _] : front)
        if (dominates(k, f)) return;
      front.erase(std::remove_if(front.begin(), front.end(), [&](const auto& x) { return dominates(f, x.first); }),
                  front.end());
      front.emplace_back(f, d);
    });
    std::vector<EnumeratedPlan> out;
    for (auto& [f, d] : front) out.push_back({d, planFigures(g, c, d, p)});
    return out;
  }
  return paretoPlansByFrontier(g, c, forced, p, cap);
}

std::optional<std::vector<EnumeratedPlan>> paretoPlansByFrontier(const PlanGraph& g, const NodeCosts& c,
                                                                 const std::vector<signed char>& forced, Precision p,
                                                                 long long cap, const TableDp* table,
                                                                 long long max_comparisons) {
  auto front = FrontierDp(g, c, forced, p, table).run(cap, max_comparisons);
  if (!front) return std::nullopt;
  // Plans from different frontiers meet only at the end: one last filter.
  auto dom = [&](const Figures4& a, const Figures4& b) {
    return table ? dominatesInTable(a, b, table->load, 0) : dominates(a, b);
  };
  std::vector<std::pair<Figures4, DeviceSet>> kept;
  for (auto& [f, d] : *front) {
    bool dominated = false;
    for (const auto& [k, _] : kept) dominated = dominated || dom(k, f);
    if (dominated) continue;
    kept.erase(std::remove_if(kept.begin(), kept.end(), [&](const auto& x) { return dom(f, x.first); }),
               kept.end());
    kept.emplace_back(f, std::move(d));
  }
  std::vector<EnumeratedPlan> out;
  for (auto& [f, d] : kept) out.push_back({d, planFigures(g, c, d, p)});
  return out;
}

}  // namespace onnxcut
