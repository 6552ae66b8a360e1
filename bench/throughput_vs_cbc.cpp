// Exact throughput, onnxcut against an ILP solver (issue 16): the same
// instance (model, costs, load, precision, one uplink bandwidth) solved by
// onnxcut's exact method (throughputBands over that single bandwidth) and by
// COIN-OR CBC (Debian's coinor-cbc, a benchmark peer only) on this ILP:
//
//   min z  s.t.  z >= Σ device_ms·x_v                 (x_v = 1: v on the device)
//                z >= load·Σ cloud_ms·(1 - x_v)
//                z >= ms_per_byte·Σ bytes_p(t)·s_t     (s_t = 1: t is sent)
//                z >= ms_per_byte·Σ out_bytes(v)·(1 - x_v)   (downlink = uplink)
//                x_c <= x_u, s_t >= x_u - x_c          (t made by u, read by c)
//                s_t >= 1 - x_c                        (t a graph input)
//
// Prints both optima (they must agree where onnxcut proves its table exact)
// and both times, one row per instance.
//
//   throughput_vs_cbc MODEL (COSTS.csv | DEVICE_PROFILE CLOUD_PROFILE) [--input-shape N=DIMS]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "analytic.h"
#include "costs_csv.h"
#include "hw_profile.h"
#include "model_view.h"
#include "pins.h"
#include "synthetic_dags.h"
#include "throughput_bnb.h"
#include "throughput_planner.h"

using namespace onnxcut;

namespace {

void writeLp(const std::string& path, const PlanGraph& g, const NodeCosts& c, const std::vector<signed char>& forced,
             double load, Precision p, double mbps) {
  const double k = transferMs(1.0, mbps);
  std::ostringstream dev, cld, up, down, rows;
  for (auto* os : {&dev, &cld, &up, &down, &rows}) os->precision(17);
  double cloud_total = 0, down_total = 0;
  std::vector<double> out_bytes(g.num_nodes, 0);
  for (const auto& t : g.tensors)
    if (t.is_output && t.producer >= 0 && t.size_known) out_bytes[t.producer] += t.bytes;
  for (int v = 0; v < g.num_nodes; ++v) {
    dev << " - " << c.device_ms[v] << " x" << v;
    cld << " + " << load * c.cloud_ms[v] << " x" << v;
    cloud_total += load * c.cloud_ms[v];
    down << " + " << k * out_bytes[v] << " x" << v;
    down_total += k * out_bytes[v];
    if (forced[v] == kDevice) rows << " f" << v << ": x" << v << " = 1\n";
    if (forced[v] == kCloud) rows << " f" << v << ": x" << v << " = 0\n";
  }
  int r = 0;
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    const auto& t = g.tensors[i];
    if (t.consumers.empty()) continue;
    if (t.size_known) up << " - " << k * sentBytes(t, p) << " s" << i;
    for (int cns : t.consumers) {
      if (t.producer < 0) {
        rows << " r" << r++ << ": s" << i << " + x" << cns << " >= 1\n";
        if (!t.size_known) rows << " r" << r++ << ": x" << cns << " = 1\n";
        continue;
      }
      rows << " r" << r++ << ": x" << cns << " - x" << t.producer << " <= 0\n";
      rows << " r" << r++ << ": s" << i << " - x" << t.producer << " + x" << cns << " >= 0\n";
      if (!t.size_known) rows << " r" << r++ << ": x" << t.producer << " - x" << cns << " <= 0\n";
    }
  }
  std::ofstream f(path);
  f.precision(17);
  f << "Minimize\n obj: z\nSubject To\n";
  f << " dev: z" << dev.str() << " >= 0\n";
  f << " cld: z" << cld.str() << " >= " << cloud_total << "\n";
  f << " up: z" << up.str() << " >= 0\n";
  f << " down: z" << down.str() << " >= " << down_total << "\n";
  f << rows.str() << "Bounds\n z >= 0\nBinary\n";
  for (int v = 0; v < g.num_nodes; ++v) f << " x" << v << "\n";
  for (size_t i = 0; i < g.tensors.size(); ++i)
    if (!g.tensors[i].consumers.empty()) f << " s" << i << "\n";
  f << "End\n";
}

// CBC's optimum (nan when it proves none within the limit) and wall time.
std::pair<double, double> runCbc(const std::string& lp) {
  const std::string cmd = "cbc " + lp + " -sec 120 solve -printingOptions all 2>&1";
  const auto t0 = std::chrono::steady_clock::now();
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return {NAN, 0};
  std::string all;
  char buf[4096];
  while (fgets(buf, sizeof buf, pipe)) all += buf;
  pclose(pipe);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (all.find("Optimal solution found") == std::string::npos) return {NAN, secs};
  const auto at = all.find("Objective value:");
  return {at == std::string::npos ? NAN : std::atof(all.c_str() + at + 16), secs};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: throughput_vs_cbc MODEL (COSTS.csv | DEVICE CLOUD) [--input-shape N=DIMS]\n"
                 "       throughput_vs_cbc --synthetic (layered|cnn|dense) NODES SEED\n");
    return 2;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  PlanGraph g;
  NodeCosts costs;
  if (std::string(argv[1]) == "--synthetic" && args.size() == 3) {
    using Gen = bench::SyntheticCase (*)(int, uint64_t);
    const Gen gen = args[0] == "cnn" ? bench::cnnDag : args[0] == "dense" ? bench::denseDag : bench::layeredDag;
    bench::SyntheticCase sc = gen(std::atoi(args[1].c_str()), std::strtoull(args[2].c_str(), nullptr, 10));
    g = std::move(sc.graph);
    costs = std::move(sc.costs);
  } else {
    LoadOptions lo;
    if (args.size() >= 2 && args[args.size() - 2] == "--input-shape") {
      lo.input_shapes.push_back(parseInputShape(args.back()));
      args.resize(args.size() - 2);
    }
    const ModelView mv = ModelView::load(argv[1], lo);
    g = mv.planGraph();
    if (args.size() == 1) {
      costs = readCostsCsv(args[0], mv.nodeKeys());
    } else {  // hardware profiles, as `onnxcut plan --device D --cloud C`
      const auto work = analyzeNodes(mv);
      costs.device_ms = estimateAll(readProfile(resolveProfilePath(args[0])), work);
      costs.cloud_ms = estimateAll(readProfile(resolveProfilePath(args[1])), work);
    }
  }
  const auto forced = forcedSides(g, {}, {});
  const std::string lp = "/tmp/onnxcut_cbc_" + std::to_string(getpid()) + ".lp";
  int disagreements = 0;
  std::printf("%-7s %-5s %8s | %-9s %12s %9s %8s | %12s %9s\n", "load", "prec", "Mbit/s", "onnxcut", "optimum ms",
              "time", "cuts", "CBC opt ms", "time");
  for (double load : {1.0, 4.0})
    for (Precision p : {Precision::fp32, Precision::int8})
      for (double mbps : {1.0, 10.0, 30.0, 100.0}) {
        Network net;
        net.load = load;
        net.precision = p;
        const LatencyProblem pr{g, costs, forced, net};
        // One instance: the search, then the branch and bound from its plan
        // and bound (what a table runs at each of its breakpoints).
        const auto t0 = std::chrono::steady_clock::now();
        const ThroughputResult search = bestThroughputPlan(pr, mbps);
        const ProvenThroughput r = provenThroughputPlan(pr, mbps, search.plan, search.bound_ms, 20000000);
        const double ours_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        writeLp(lp, g, costs, forced, load, p, mbps);
        const auto [cbc, cbc_s] = runCbc(lp);
        const bool agree = !r.proven || std::isnan(cbc) || std::abs(r.bottleneck_ms - cbc) <= 1e-6 * std::max(1.0, cbc);
        disagreements += !agree;
        std::printf("%-7g %-5s %8g | %-9s %12.6f %8.3fs %8lld | %12.6f %8.3fs%s\n", load, toString(p), mbps,
                    r.proven ? "proven" : "open", r.bottleneck_ms, ours_s, r.cuts, cbc, cbc_s,
                    agree ? "" : "  DISAGREE");
        std::fflush(stdout);
      }
  unlink(lp.c_str());
  return disagreements ? 1 : 0;
}
