// One min cut, onnxcut against the best C++ peers (issue 16): Boost's
// Boykov-Kolmogorov and push-relabel on a compressed sparse row graph,
// solving the same DADS network. Three shapes (bench/synthetic_dags.h) x
// four cost regimes (all on the device, a cut mid-graph, all on the cloud
// just above the bandwidth where that starts, all on the cloud at 2 Gbit/s)
// x sizes; every time is build + solve from the planning
// graph (the peers get the arc list for free), best of `reps` runs, and
// every answer is checked against Boykov-Kolmogorov's (same device set).
//
//   min_cut_peers [--max-nodes N] [--json FILE]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "bench_util.h"
#include "boost_peers.h"
#include "cut_network.h"
#include "pins.h"
#include "synthetic_dags.h"

using namespace onnxcut;

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

constexpr double kNoRepeatSeconds = 2;  // a run this slow is not repeated

CutWeights weightsAt(double mbps) { return {1, 1, transferMs(1, mbps), transferMs(1, mbps)}; }

double deviceFraction(const DeviceSet& d) {
  double s = 0;
  for (char c : d) s += c != 0;
  return d.empty() ? 0 : s / static_cast<double>(d.size());
}

struct Regimes {
  double mid = 10;   // the optimum puts closest to half the nodes on the device
  double edge = 30;  // all on the cloud, 3x above the lowest such bandwidth
};

// Found on a 10k-node instance of the shape.
Regimes findRegimes(const bench::SyntheticCase& sc) {
  const std::vector<signed char> forced(sc.graph.num_nodes, kFree);
  const CutNetwork net(sc.graph, sc.costs, Precision::fp32, forced);
  Regimes r;
  double gap = 2;
  bool edge_found = false;
  for (double bw = 0.1; bw <= 1000; bw *= 1.25) {
    const double f = deviceFraction(net.solve(weightsAt(bw)));
    if (f > 0.02 && f < 0.98 && std::abs(f - 0.5) < gap) { gap = std::abs(f - 0.5); r.mid = bw; }
    if (f == 0 && !edge_found) { edge_found = true; r.edge = 3 * bw; }
  }
  return r;
}

// A peer slower than this at one size is not run at the next, 10x larger (reported as
// skipped): Boykov-Kolmogorov's low-bandwidth times grow ~n^2.
constexpr double kPeerSkipSeconds = 1;

}  // namespace

int main(int argc, char** argv) {
  const auto [max_nodes, json_out] =
      bench::parseSizeFlags(argc, argv, 1000000, "min_cut_peers [--max-nodes N] [--json FILE]");
  using Gen = bench::SyntheticCase (*)(int, uint64_t);
  const std::pair<const char*, Gen> shapes[] = {
      {"cnn", bench::cnnDag}, {"layered", bench::layeredDag}, {"dense", bench::denseDag}};
  nlohmann::json rows = nlohmann::json::array();
  bool all_agree = true;
  std::printf("%-8s %8s %-7s %8s %7s | %9s %9s %9s | %6s\n", "shape", "nodes", "regime", "Mbit/s", "on dev",
              "onnxcut", "BK(CSR)", "PR(CSR)", "ratio");
  for (const auto& [shape, gen] : shapes) {
    const Regimes rg = findRegimes(gen(10000, 7));
    const std::pair<const char*, double> regimes[] = {
        {"device", 0.5}, {"mid", rg.mid}, {"edge", rg.edge}, {"cloud", 2000}};
    std::map<std::string, double> last_bk, last_pr;  // per regime, seconds at the previous size
    for (int n = 1000; n <= max_nodes; n *= 10) {
      const auto sc = gen(n, 42);
      const std::vector<signed char> forced(sc.graph.num_nodes, kFree);
      const int reps = n >= 1000000 ? 1 : n >= 100000 ? 2 : 5;
      for (const auto& [regime, bw] : regimes) {
        const CutWeights w = weightsAt(bw);
        DeviceSet ours, bk_set;
        const double t_ours = bench::bestSeconds([&] { ours = CutNetwork(sc.graph, sc.costs, Precision::fp32, forced).solve(w); }, reps, kNoRepeatSeconds);
        const auto arcs = CutNetwork(sc.graph, sc.costs, Precision::fp32, forced).arcs(w);
        const int nv = CutNetwork(sc.graph, sc.costs, Precision::fp32, forced).vertexCount();
        const bool run_bk = last_bk[regime] < kPeerSkipSeconds, run_pr = last_pr[regime] < kPeerSkipSeconds;
        const double t_bk = !run_bk ? NAN : bench::bestSeconds([&] {
          auto csr = peers::buildCsr(arcs, nv);
          peers::boykovKolmogorov(csr);
          bk_set = peers::sourceSide(csr, sc.graph.num_nodes);
        }, reps, kNoRepeatSeconds);
        const double t_pr = !run_pr ? NAN : bench::bestSeconds([&] {
          auto csr = peers::buildCsr(arcs, nv);
          peers::pushRelabel(csr);
        }, reps, kNoRepeatSeconds);
        last_bk[regime] = run_bk ? t_bk : 1e300;
        last_pr[regime] = run_pr ? t_pr : 1e300;
        const bool agree = !run_bk || ours == bk_set;
        all_agree = all_agree && agree;
        const double best_peer = std::min(run_bk ? t_bk : 1e300, run_pr ? t_pr : 1e300);
        const double ratio = best_peer < 1e300 ? t_ours / best_peer : NAN;
        auto cell = [](double t) { return std::isnan(t) ? std::string("  skipped") : fmt("%8.4fs", t); };
        std::printf("%-8s %8d %-7s %8.3g %6.1f%% | %s %s %s | %5.2fx%s\n", shape, sc.graph.num_nodes, regime, bw,
                    100 * deviceFraction(ours), cell(t_ours).c_str(), cell(t_bk).c_str(), cell(t_pr).c_str(), ratio,
                    agree ? "" : "  DISAGREES WITH BK");
        std::fflush(stdout);
        rows.push_back({{"shape", shape}, {"nodes", sc.graph.num_nodes}, {"regime", regime}, {"mbps", bw},
                        {"device_fraction", deviceFraction(ours)}, {"onnxcut_s", t_ours}, {"bk_csr_s", t_bk},
                        {"pr_csr_s", run_pr ? nlohmann::json(t_pr) : nlohmann::json()},
                        {"ratio_to_best_peer", std::isnan(ratio) ? nlohmann::json() : nlohmann::json(ratio)},
                        {"same_plan_as_bk", agree}});
        if (!run_bk) rows.back()["bk_csr_s"] = nullptr;
      }
    }
  }
  if (!json_out.empty()) std::ofstream(json_out) << rows.dump(1) << "\n";
  return all_agree ? 0 : 1;
}
