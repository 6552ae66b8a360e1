// Minimum s-t cut by push-relabel on compact arrays (no ONNX, no Boost).
#pragma once
#include <atomic>
#include <cstdint>
#include <span>
#include <vector>

namespace onnxcut {

// A residual network in compressed sparse rows. Vertices 0..n-1 are the
// inner vertices; the source and the sink are implicit: `excess[v]` is what
// the source sends v at the start (its source arc, saturated), `sink_cap[v]`
// the capacity of v's arc to the sink. Every arc a (tail's rows
// first[tail]..first[tail+1]) has a reverse arc rev[a] in its head's rows.
struct ResidualNetwork {
  int n = 0;
  std::span<const int> first;   // n + 1 row starts
  std::span<const int> head;    // per arc
  std::span<const int> rev;     // per arc
  std::vector<int64_t> cap;     // per arc, residual
  std::vector<int64_t> excess;  // per vertex
  std::vector<int64_t> sink_cap;
};

// Runs the first phase of push-relabel: afterwards `net` holds a maximum
// preflow (residual capacities, excess left only where the sink can't be
// reached). Capacities must be >= 0 and their sum must fit in int64.
// Gives up, returning false with `net` in an unspecified state, once its
// work (arcs scanned by discharges and relabels) exceeds `max_work` (< 0:
// no limit), or soon after `*stop` becomes true (another thread solving the
// same cut the other way round finished first).
bool maxPreflow(ResidualNetwork& net, long long max_work = -1, const std::atomic<bool>* stop = nullptr);

// After maxPreflow, per vertex: 1 when it can reach the sink in the residual
// network. The others form the largest source side of a minimum cut.
std::vector<char> reachesSink(const ResidualNetwork& net);

// After maxPreflow, per vertex: 1 when it is reachable in the residual
// network from a vertex holding excess. These form the smallest source side
// of a minimum cut: returning the excess to the source (the second phase)
// makes exactly them reachable from it (docs/benchmarks.md has the proof).
std::vector<char> reachableFromExcess(const ResidualNetwork& net);

}  // namespace onnxcut
