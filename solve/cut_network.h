// The DADS flow network of one model at one transfer precision, built once
// and solved for any stage weights (a band sweep, loads, the throughput
// search all re-solve the same structure with other capacities).
#pragma once
#include <memory>
#include <mutex>
#include <vector>

#include "cost_model.h"
#include "plan_graph.h"

namespace onnxcut {

// The objective: device·Σ_D device_ms + cloud·Σ_C cloud_ms
//              + up_per_byte·up_bytes_p + down_per_byte·down_bytes.
// Latency at uplink U uses {1, load, 8e-3/U, 8e-3/down}.
struct CutWeights {
  double device = 1;
  double cloud = 1;
  double up_per_byte = 0;
  double down_per_byte = 0;
};

// One arc of the network with explicit terminals, for peers and tests:
// vertex 0 is the device (source), 1 the cloud (sink), node v is v + 2,
// auxiliary vertices follow. A negative capacity is infinite.
struct NetworkArc {
  int from, to;
  double cap;
};

// Which way the network is solved (cut_network.cpp); every choice gives the
// same plan, `automatic` the fastest. The others are for tests.
enum class Orientation { automatic, from_cloud, from_device };

class CutNetwork {
 public:
  // `forced` from forcedSides. Throws std::logic_error when the forced sides
  // admit no valid plan (forcedSides reports that as bad input first).
  CutNetwork(const PlanGraph& g, const NodeCosts& costs, Precision p, const std::vector<signed char>& forced);

  // The same network with other forced sides (a superset of these, closed
  // as forcedSides closes them), without re-reading the graph. Throws
  // std::logic_error when they admit no valid plan.
  CutNetwork withForced(const std::vector<signed char>& forced) const;

  // The valid plan that respects the forced sides and minimises the weighted
  // objective; among optimal plans the one with the fewest device nodes.
  // Weights must be finite and >= 0.
  DeviceSet solve(const CutWeights& w, Orientation o = Orientation::automatic) const;

  // The network of cut_network.cpp's header comment as an arc list, with
  // forced nodes left in (infinite terminal arcs), for other solvers.
  std::vector<NetworkArc> arcs(const CutWeights& w) const;
  int vertexCount() const { return 2 + num_nodes_ + num_aux_; }

 private:
  CutNetwork() = default;
  struct Pair { int a, b; double ab, ba; };  // bytes coefficients; < 0 infinite
  void addPairs(const PlanGraph& g, Precision p);
  void closeSides();
  void buildRows();

  int num_nodes_ = 0, num_aux_ = 0;
  const NodeCosts* costs_;
  std::vector<signed char> forced_;
  std::vector<double> down_bytes_;  // per node: graph outputs it makes
  std::shared_ptr<const std::vector<Pair>> pairs_;  // reversed orientation (see .cpp); shared by withForced
  bool terminal_tied_ = false;      // an infinite arc into the device or out of the cloud
  // Infinite arcs as rows: out first, out heads, in first, in heads.
  struct InfiniteArcs { std::vector<int> out_first, out_head, in_first, in_head; };
  struct LazyArcs {
    std::once_flag once;
    InfiniteArcs rows;
  };
  std::shared_ptr<LazyArcs> inf_;  // shared by withForced's networks
  // Per vertex, the pairs that touch it (for networks with few free
  // vertices), built once like the infinite arcs' rows.
  struct Incidence { std::vector<int> first, pair; };
  struct LazyIncidence {
    std::once_flag once;
    Incidence rows;
  };
  std::shared_ptr<LazyIncidence> inc_;
  const Incidence& incidence() const;
  const InfiniteArcs& infiniteArcs() const;
  void buildInfiniteArcs(InfiniteArcs& rows) const;
  // Reduced network: free vertices only; side_ is kFree or the terminal.
  std::vector<signed char> side_;
  std::vector<int> index_;  // vertex -> free index, or -1
  std::vector<int> free_vertex_;
  std::vector<int> first_, head_, rev_;
  std::vector<double> arc_bytes_;  // per arc: bytes coefficient, < 0 infinite
  // Per free vertex, capacity coefficients of the terminal arcs gathered
  // from merged neighbours: source (cloud) += up·src_bytes, sink (device)
  // += up·sink_bytes.
  std::vector<double> src_bytes_, sink_bytes_;
};

// One-shot form of CutNetwork(g, costs, p, forced).solve(w).
DeviceSet minCutPlan(const PlanGraph& g, const NodeCosts& costs, Precision p,
                     const CutWeights& w, const std::vector<signed char>& forced);

}  // namespace onnxcut
