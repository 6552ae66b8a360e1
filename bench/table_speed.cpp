// Whole plan tables (issue 16): the 9-table latency plan (loads 1, 2, 4 x
// fp32, fp16, int8; 0.1-1000 Mbit/s; RTT 20 ms) of every real model in
// ../shared/data/models (loading timed apart from planning; costs from
// sizeCosts, as in bench_planner) and of synthetic graphs of 10k and 100k
// nodes (bench/synthetic_dags.h). Best of several runs; one JSON row each.
//
//   table_speed [--max-nodes N] [--json FILE]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "model_view.h"
#include "planning.h"
#include "size_costs.h"
#include "synthetic_dags.h"
#include "bench_util.h"

using namespace onnxcut;

namespace {

PlanOptions nineTables() {
  PlanOptions opt;
  opt.loads = {1, 2, 4};
  opt.precisions = {Precision::fp32, Precision::fp16, Precision::int8};
  opt.rtt_ms = 20;
  opt.min_mbps = 0.1;
  opt.max_mbps = 1000;
  return opt;
}

size_t bandCount(const PlanSet& s) {
  size_t b = 0;
  for (const auto& t : s.tables) b += t.bands.size();
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  const auto [max_nodes, json_out] = bench::parseSizeFlags(argc, argv, 100000, "table_speed [--max-nodes N] [--json FILE]");
  nlohmann::json rows = nlohmann::json::array();
  const PlanOptions opt = nineTables();
  const std::filesystem::path dir = std::filesystem::path(ONNXCUT_SHARED_DIR) / "data" / "models";
  std::vector<std::filesystem::path> models;
  if (std::filesystem::exists(dir))
    for (const auto& e : std::filesystem::directory_iterator(dir))
      if (e.path().extension() == ".onnx") models.push_back(e.path());
  std::sort(models.begin(), models.end());
  if (models.empty()) std::printf("shared models absent (%s): real-model rows skipped\n", dir.c_str());
  std::printf("%-40s %8s | %10s %12s %6s\n", "model", "nodes", "load", "9 tables", "bands");
  for (const auto& m : models) {
    std::optional<ModelView> mv;
    double load_s = 0;
    try {
      load_s = bench::bestSeconds([&] { mv.emplace(ModelView::load(m.string())); }, 3);
    } catch (const std::exception& e) {  // e.g. a model that needs --input-shape
      std::printf("%-40s skipped: %s\n", m.filename().c_str(), e.what());
      continue;
    }
    const PlanGraph g = mv->planGraph();
    const NodeCosts c = bench::sizeCosts(*mv);
    PlanSet set;
    const double plan_s = bench::bestSeconds([&] { set = planTables(g, c, mv->nodeKeys(), opt); }, 5);
    std::printf("%-40s %8d | %8.1fms %10.2fms %6zu\n", m.filename().c_str(), g.num_nodes, load_s * 1e3, plan_s * 1e3,
                bandCount(set));
    rows.push_back({{"model", m.filename().string()}, {"nodes", g.num_nodes}, {"load_s", load_s},
                    {"plan_9_tables_s", plan_s}, {"bands", bandCount(set)}});
  }
  using Gen = bench::SyntheticCase (*)(int, uint64_t);
  const std::pair<const char*, Gen> shapes[] = {
      {"cnn", bench::cnnDag}, {"layered", bench::layeredDag}, {"dense", bench::denseDag}};
  for (const auto& [shape, gen] : shapes)
    for (int n = 10000; n <= max_nodes; n *= 10) {
      const auto sc = gen(n, 42);
      PlanSet set;
      const double plan_s = bench::bestSeconds([&] { set = planTables(sc.graph, sc.costs, NodeKeys(), opt); }, n >= 100000 ? 1 : 3);
      const std::string name = std::string("synthetic ") + shape;
      std::printf("%-40s %8d | %10s %10.2fms %6zu\n", name.c_str(), sc.graph.num_nodes, "-", plan_s * 1e3, bandCount(set));
      std::fflush(stdout);
      rows.push_back({{"model", name}, {"nodes", sc.graph.num_nodes}, {"plan_9_tables_s", plan_s},
                      {"bands", bandCount(set)}});
    }
  if (!json_out.empty()) std::ofstream(json_out) << rows.dump(1) << "\n";
}
