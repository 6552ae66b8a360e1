// Maximum preflow by push-relabel with highest-label selection, global
// relabelling and the gap heuristic: the first phase of Cherkassky and
// Goldberg's HIPR ("On implementing the push-relabel method for the maximum
// flow problem", Algorithmica 19, 1997). The first phase already fixes a
// minimum cut; the flow itself is never needed, so the second phase (sending
// excess back to the source) is skipped.
//
// Labels are distances to the sink: the sink is 0, a vertex with residual
// sink capacity 1, at most n for n inner vertices; a vertex that can no
// longer reach the sink is "dead" (n + 1).
// Why push-relabel and not Boykov-Kolmogorov (docs/benchmarks.md): in the
// low-bandwidth regime every device-side node draws its flow from the raw
// input through the whole graph, so augmenting paths are as long as the
// graph is deep and their number grows with its size; push-relabel moves
// all of it as one wave.
#include "push_relabel.h"

#include <algorithm>
#include <chrono>

namespace onnxcut {
namespace {

// HIPR's constants: a global relabelling once the relabel work exceeds
// (kAlpha * n + m) / kGlobalFrequency; each relabel costs kBeta plus its arcs.
constexpr long long kAlpha = 6;
constexpr long long kBeta = 12;
constexpr double kGlobalFrequency = 0.5;
// HIPR's interval adapted to what each global relabelling finds. Where it
// raises the labels by kStaleLift or more on average, the discharges before
// it pushed along labels far below the distances (excess ping-ponging
// between neighbours, two levels per relabel), so the next comes
// kShorten times sooner, down to HIPR's interval / kShortest. Where it
// raises them by less than one, it was not needed: the next comes twice as
// late, up to HIPR's. Never longer than HIPR's: sooner global relabellings
// also restart the sloshing of exact labels (see run()), so the interval
// only shrinks on evidence. Measured (docs/benchmarks.md, "One min cut"):
// 1M-node layered graph, mid cut: build + solve 1.63 -> 0.95-1.16 s.
constexpr double kStaleLift = 16;
constexpr long long kShorten = 4;
constexpr long long kShortest = 16;
// The global relabelling's search: blocks of dequeued vertices, and how
// many are timed to choose the scan (see globalRelabel()).
constexpr int kBlock = 4096;
constexpr int kTrials = 8;

class PushRelabel {
 public:
  explicit PushRelabel(ResidualNetwork& g)
      : g_(g), n_(g.n), dead_(g.n + 1), label_(n_, dead_), current_(n_), next_active_(n_, -1),
        next_all_(n_, -1), prev_all_(n_, -1), active_head_(dead_, -1), all_head_(dead_, -1),
        queue_(n_ + 1) {}  // + 1: globalRelabel's search writes one past its last entry

  bool run(long long max_work, const std::atomic<bool>* stop) {
    stop_ = stop;
    for (int v = 0; v < n_; ++v) {  // a vertex's own source and sink arcs first
      const int64_t d = std::min(g_.excess[v], g_.sink_cap[v]);
      g_.excess[v] -= d;
      g_.sink_cap[v] -= d;
    }
    const long long nm = kAlpha * n_ + static_cast<long long>(g_.head.size());
    // Every label 1 (valid: no arc needs more), not the exact distances: with
    // exact ones the highest-label rule starts with the excess farthest from
    // the sink and sloshes it through the whole graph; from 1 the excess is
    // first offered to nearby sinks (100k-node CNN, 98 Mbit/s: 2.8 s with
    // exact labels, 0.012 s; docs/benchmarks.md). Global relabelling corrects
    // the labels once the work warrants it.
    for (int v = 0; v < n_; ++v) {
      label_[v] = 1;
      current_[v] = g_.first[v];
      addAll(v);
      if (g_.excess[v] > 0) addActive(v);
    }
    long long work = 0, total = 0;
    const long long longest = static_cast<long long>(nm / kGlobalFrequency);
    long long interval = longest;
    while (amax_ >= 1) {
      const int v = active_head_[amax_];
      if (v < 0) { --amax_; continue; }
      active_head_[amax_] = next_active_[v];
      if (label_[v] >= dead_ || g_.excess[v] == 0) continue;
      const long long w = discharge(v);
      work += w;
      total += w;
      if (max_work >= 0 && total > max_work) return false;
      if (stop_ && (++discharges_ & 1023) == 0 && stop_->load(std::memory_order_relaxed)) return false;
      if (work > interval) {
        total += nm;
        const double lift = globalRelabel();
        if (stopped_) return false;
        if (lift >= kStaleLift) interval = std::max(interval / kShorten, longest / kShortest);
        else if (lift < 1) interval = std::min(interval * 2, longest);
        work = 0;
      }
    }
    return true;
  }

 private:
  void addActive(int v) {
    const int d = label_[v];
    next_active_[v] = active_head_[d];
    active_head_[d] = v;
    amax_ = std::max(amax_, d);
  }
  void addAll(int v) {
    const int d = label_[v];
    prev_all_[v] = -1;
    next_all_[v] = all_head_[d];
    if (all_head_[d] >= 0) prev_all_[all_head_[d]] = v;
    all_head_[d] = v;
    dmax_ = std::max(dmax_, d);
  }
  void removeAll(int v) {
    const int d = label_[v];
    if (prev_all_[v] >= 0) next_all_[prev_all_[v]] = next_all_[v];
    else all_head_[d] = next_all_[v];
    if (next_all_[v] >= 0) prev_all_[next_all_[v]] = prev_all_[v];
  }

  // The breadth-first search's state: the queue's first `tail` vertices
  // are found, the first `next` of them scanned; queue_[level_end - 1] is
  // the last one at `level`.
  struct Search {
    int next = 0, tail = 0, level = 1, level_end = 0;
    double rise = 0;  // of the labels of vertices alive before, and their number
    long long alive = 0;
  };

  // Scans the queue's vertices from s.next up to `limit` (or its end):
  // found vertices are marked in seen_ (n / 8 bytes, it stays in cache)
  // and take their level's label when dequeued (and join the label's
  // lists). Returns the arcs scanned.
  template <bool kBranchFree>
  long long scan(Search& s, int limit) {
    long long scanned = 0;
    for (; s.next < s.tail && s.next < limit; ++s.next) {
      if (s.next == s.level_end) { ++s.level; s.level_end = s.tail; }
      const int u = queue_[s.next], begin = g_.first[u], end = g_.first[u + 1];
      label_[u] = s.level;
      current_[u] = begin;
      addAll(u);
      if (g_.excess[u] > 0) addActive(u);
      if (old_label_[u] < dead_) {
        s.rise += s.level - old_label_[u];
        ++s.alive;
      }
      scanned += end - begin;
      for (int a = begin; a < end; ++a) {
        const int w = g_.head[a];
        uint64_t& word = seen_[w >> 6];
        const uint64_t bit = uint64_t{1} << (w & 63);
        if constexpr (kBranchFree) {
          const bool found = ((word & bit) == 0) & (g_.cap[g_.rev[a]] > 0);
          word |= found ? bit : 0;
          queue_[s.tail] = w;
          s.tail += found;
        } else if ((word & bit) == 0 && g_.cap[g_.rev[a]] > 0) {
          word |= bit;
          queue_[s.tail++] = w;
        }
      }
    }
    return scanned;
  }

  // Breadth-first search from the sink over residual arcs, backwards.
  // Returns the mean rise of the labels of vertices alive before and after.
  double globalRelabel() {
    label_.swap(old_label_);
    label_.resize(n_);
    std::fill(label_.begin(), label_.end(), dead_);
    // Buckets above amax_ and dmax_ are empty already.
    std::fill(active_head_.begin(), active_head_.begin() + amax_ + 1, -1);
    std::fill(all_head_.begin(), all_head_.begin() + dmax_ + 1, -1);
    amax_ = dmax_ = 0;
    seen_.assign((static_cast<size_t>(n_) + 63) / 64, 0);
    int tail = 0;
    for (int v = 0; v < n_; ++v)
      if (g_.sink_cap[v] > 0) { seen_[v >> 6] |= uint64_t{1} << (v & 63); queue_[tail++] = v; }
    // The search in blocks of kBlock dequeued vertices. Whether "w is new"
    // is predictable depends on the graph, and with it which form of the
    // scan is faster: branch-free, 40 -> 25 ms a search on the 1M-node
    // layered graph, but 30-60 % slower on the dense and CNN-shaped ones
    // (docs/benchmarks.md). So the first kTrials blocks alternate the two,
    // timed, and the rest use the faster per arc. Both queue the same
    // vertices in the same order, so the timing changes nothing but speed.
    Search s;
    s.tail = s.level_end = tail;
    double ns[2] = {0, 0};
    long long arcs[2] = {0, 0};
    for (int block = 0; s.next < s.tail; ++block) {
      // A search takes 25-40 ms at 1M nodes: a raced solve's loser must not
      // hold up the winner that long (cut_network.cpp joins it).
      if (stop_ && stop_->load(std::memory_order_relaxed)) {
        stopped_ = true;
        return 0;
      }
      const int limit = s.next + kBlock;
      if (block < kTrials) {
        const bool branch_free = block % 2 == 1;
        const auto start = std::chrono::steady_clock::now();
        arcs[branch_free] += branch_free ? scan<true>(s, limit) : scan<false>(s, limit);
        ns[branch_free] += std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
      } else if (ns[1] * static_cast<double>(arcs[0]) < ns[0] * static_cast<double>(arcs[1])) {
        scan<true>(s, limit);
      } else {
        scan<false>(s, limit);
      }
    }
    return s.alive > 0 ? s.rise / static_cast<double>(s.alive) : 0.0;
  }

  // Pushes v's excess along admissible arcs, relabelling as needed; returns
  // the relabel work done (HIPR's measure: kBeta plus the arcs, per relabel).
  long long discharge(int v) {
    long long work = 0;
    int64_t& ex = g_.excess[v];
    while (true) {
      const int d = label_[v];
      if (d == 1 && g_.sink_cap[v] > 0) {
        const int64_t delta = std::min(ex, g_.sink_cap[v]);
        g_.sink_cap[v] -= delta;
        ex -= delta;
        if (ex == 0) return work;
      }
      for (int a = current_[v], end = g_.first[v + 1]; a < end; ++a) {
        if (g_.cap[a] == 0) continue;
        const int w = g_.head[a];
        if (label_[w] != d - 1) continue;
        const int64_t delta = std::min(ex, g_.cap[a]);
        g_.cap[a] -= delta;
        g_.cap[g_.rev[a]] += delta;
        if (g_.excess[w] == 0) addActive(w);
        g_.excess[w] += delta;
        ex -= delta;
        if (ex == 0) { current_[v] = a; return work; }
      }
      // Relabel: one more than the lowest residual neighbour.
      work += kBeta + (g_.first[v + 1] - g_.first[v]);
      int newd = g_.sink_cap[v] > 0 ? 1 : dead_, best = g_.first[v];
      for (int a = g_.first[v], end = g_.first[v + 1]; a < end; ++a)
        if (g_.cap[a] > 0 && label_[g_.head[a]] + 1 < newd) { newd = label_[g_.head[a]] + 1; best = a; }
      if (all_head_[d] == v && next_all_[v] < 0) {
        // Gap: v was alone at d, so nothing above d reaches the sink.
        for (int k = d; k <= dmax_; ++k) {
          for (int u = all_head_[k]; u >= 0; u = next_all_[u]) label_[u] = dead_;
          all_head_[k] = -1;
        }
        dmax_ = d - 1;
        return work;
      }
      removeAll(v);
      label_[v] = std::min(newd, dead_);
      current_[v] = best;
      if (label_[v] >= dead_) return work;
      addAll(v);
    }
  }

  ResidualNetwork& g_;
  const int n_, dead_;
  std::vector<int> label_, current_, next_active_, next_all_, prev_all_, active_head_, all_head_, queue_;
  std::vector<int> old_label_;  // globalRelabel's scratch
  std::vector<uint64_t> seen_;  // the search's found vertices
  int amax_ = 0, dmax_ = 0;
  unsigned discharges_ = 0;
  const std::atomic<bool>* stop_ = nullptr;
  bool stopped_ = false;
};

}  // namespace

bool maxPreflow(ResidualNetwork& net, long long max_work, const std::atomic<bool>* stop) {
  return net.n == 0 || PushRelabel(net).run(max_work, stop);
}

std::vector<char> reachesSink(const ResidualNetwork& g) {
  std::vector<char> mark(g.n, 0);
  std::vector<int> queue;
  for (int v = 0; v < g.n; ++v)
    if (g.sink_cap[v] > 0) { mark[v] = 1; queue.push_back(v); }
  for (size_t i = 0; i < queue.size(); ++i)  // backwards: w reaches u if w->u is residual
    for (int a = g.first[queue[i]], end = g.first[queue[i] + 1]; a < end; ++a)
      if (!mark[g.head[a]] && g.cap[g.rev[a]] > 0) { mark[g.head[a]] = 1; queue.push_back(g.head[a]); }
  return mark;
}

std::vector<char> reachableFromExcess(const ResidualNetwork& g) {
  std::vector<char> mark(g.n, 0);
  std::vector<int> queue;
  for (int v = 0; v < g.n; ++v)
    if (g.excess[v] > 0) { mark[v] = 1; queue.push_back(v); }
  for (size_t i = 0; i < queue.size(); ++i)
    for (int a = g.first[queue[i]], end = g.first[queue[i] + 1]; a < end; ++a)
      if (!mark[g.head[a]] && g.cap[a] > 0) { mark[g.head[a]] = 1; queue.push_back(g.head[a]); }
  return mark;
}

}  // namespace onnxcut
