#include "onnxcut_runtime.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace onnxcut::runtime {
namespace {

using nlohmann::json;

// Reads a finite number at j[key]; records an error naming `where`.
struct Reader {
  std::string error;
  double num(const json& j, const char* key, const std::string& where) {
    if (!error.empty()) return 0;
    if (!j.is_object() || !j.contains(key) || !j[key].is_number()) {
      error = where + ": '" + key + "' is missing or not a number";
      return 0;
    }
    const double v = j[key].get<double>();
    if (!std::isfinite(v)) error = where + ": '" + key + "' is not finite";
    return v;
  }
  std::string str(const json& j, const char* key, const std::string& where) {
    if (!error.empty()) return "";
    if (!j.is_object() || !j.contains(key) || !j[key].is_string()) {
      error = where + ": '" + key + "' is missing or not a string";
      return "";
    }
    return j[key].get<std::string>();
  }
  std::string pathOrEmpty(const json& j, const char* key, const std::string& where) {
    if (!error.empty() || !j.contains(key) || j[key].is_null()) return "";
    return str(j, key, where);
  }
};

bool knownPrecision(const std::string& p) { return p == "fp32" || p == "fp16" || p == "int8"; }

std::optional<Table> readTable(Reader& r, const json& jt, const std::string& where, const PlanTable& t) {
  Table tab;
  tab.objective = r.str(jt, "objective", where);
  tab.load = r.num(jt, "server_load", where);
  tab.precision = r.str(jt, "precision", where);
  if (!r.error.empty()) return std::nullopt;
  if (tab.load < 1) { r.error = where + ": server_load " + std::to_string(tab.load) + " is below 1"; return std::nullopt; }
  if (!knownPrecision(tab.precision)) { r.error = where + ": unknown precision '" + tab.precision + "'"; return std::nullopt; }
  if (!jt.contains("bands") || !jt["bands"].is_array() || jt["bands"].empty()) {
    r.error = where + ": 'bands' is missing or empty";
    return std::nullopt;
  }
  for (size_t i = 0; i < jt["bands"].size(); ++i) {
    const std::string bw = where + " band " + std::to_string(i);
    const json& jb = jt["bands"][i];
    Band b{r.num(jb, "min_mbps", bw), r.num(jb, "max_mbps", bw), static_cast<int>(r.num(jb, "plan", bw))};
    if (!r.error.empty()) return std::nullopt;
    if (!(b.min_mbps > 0 && b.min_mbps < b.max_mbps)) { r.error = bw + ": needs 0 < min_mbps < max_mbps"; return std::nullopt; }
    if (b.plan < 0 || b.plan >= static_cast<int>(t.plans.size())) {
      r.error = bw + ": plan " + std::to_string(b.plan) + " does not exist";
      return std::nullopt;
    }
    if (t.plan(b.plan).precision != tab.precision) {
      r.error = bw + ": plan " + std::to_string(b.plan) + " is " + t.plan(b.plan).precision + ", the table is " + tab.precision;
      return std::nullopt;
    }
    if (!tab.bands.empty()) {
      if (b.min_mbps != tab.bands.back().max_mbps) { r.error = bw + ": gap or overlap with the band before"; return std::nullopt; }
      if (b.plan == tab.bands.back().plan) { r.error = bw + ": same plan as the band before"; return std::nullopt; }
    }
    tab.bands.push_back(b);
  }
  return tab;
}

}  // namespace

Result<PlanTable> parsePlanTable(const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Result<PlanTable>::failure("not valid JSON");
  if (!j.is_object() || j.value("format", "") != "onnxcut.plan-table")
    return Result<PlanTable>::failure("not an onnxcut plan table ('format' is not \"onnxcut.plan-table\")");
  if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int>() != 1)
    return Result<PlanTable>::failure("unsupported plan-table version (this runtime reads version 1)");
  PlanTable t;
  Reader r;
  const json net = j.value("network", json::object());
  t.rtt_ms = r.num(net, "rtt_ms", "network");
  if (net.contains("down_mbps") && !net["down_mbps"].is_null()) t.down_mbps = r.num(net, "down_mbps", "network");
  if (!r.error.empty()) return Result<PlanTable>::failure(r.error);
  if (!j.contains("plans") || !j["plans"].is_array()) return Result<PlanTable>::failure("'plans' is missing");
  for (size_t i = 0; i < j["plans"].size(); ++i) {
    const json& jp = j["plans"][i];
    const std::string where = "plan " + std::to_string(i);
    PlanInfo p;
    p.id = static_cast<int>(r.num(jp, "id", where));
    p.precision = r.str(jp, "precision", where);
    p.device_ms = r.num(jp, "device_ms", where);
    p.cloud_ms = r.num(jp, "cloud_ms", where);
    const double fp32 = r.num(jp, "up_bytes_fp32", where);
    p.down_bytes = r.num(jp, "down_bytes", where);
    p.head = r.pathOrEmpty(jp, "head", where);
    p.tail = r.pathOrEmpty(jp, "tail", where);
    if (!r.error.empty()) return Result<PlanTable>::failure(r.error);
    if (p.id != static_cast<int>(i)) return Result<PlanTable>::failure(where + ": id " + std::to_string(p.id) + " out of order");
    if (!knownPrecision(p.precision)) return Result<PlanTable>::failure(where + ": unknown precision '" + p.precision + "'");
    if (p.device_ms < 0 || p.cloud_ms < 0 || fp32 < 0 || p.down_bytes < 0)
      return Result<PlanTable>::failure(where + ": negative figure");
    // up_bytes (sent) is an onnxcut extension; else apply the precision to
    // the full-precision size (exact for float32 cuts).
    p.up_bytes = jp.contains("up_bytes") ? r.num(jp, "up_bytes", where)
                 : fp32 * (p.precision == "fp16" ? 0.5 : p.precision == "int8" ? 0.25 : 1.0);
    if (!jp.contains("device_nodes") || !jp["device_nodes"].is_array())
      return Result<PlanTable>::failure(where + ": 'device_nodes' is missing");
    for (const auto& k : jp["device_nodes"]) p.device_nodes.push_back(k.is_string() ? k.get<std::string>() : "");
    p.uses_cloud = !p.tail.empty() || p.cloud_ms > 0 || fp32 > 0;
    t.plans.push_back(std::move(p));
  }
  if (!j.contains("tables") || !j["tables"].is_array() || j["tables"].empty())
    return Result<PlanTable>::failure("'tables' is missing or empty");
  for (size_t i = 0; i < j["tables"].size(); ++i) {
    auto tab = readTable(r, j["tables"][i], "table " + std::to_string(i), t);
    if (!tab) return Result<PlanTable>::failure(r.error);
    t.tables.push_back(std::move(*tab));
  }
  if (j.contains("baselines") && j["baselines"].is_object()) {
    const json& b = j["baselines"];
    for (const char* key : {"device_only", "cloud_only"}) {
      if (!b.contains(key) || !b[key].is_object()) continue;
      for (const auto& [prec, id] : b[key].items()) {
        if (!id.is_number_integer() || id.get<int>() < 0 || id.get<int>() >= static_cast<int>(t.plans.size()))
          return Result<PlanTable>::failure(std::string("baselines.") + key + "." + prec + ": no such plan");
        (std::string(key) == "device_only" ? t.device_only : t.cloud_only)[prec] = id.get<int>();
      }
    }
    if (b.contains("chain_only") && b["chain_only"].is_array())
      for (size_t i = 0; i < b["chain_only"].size(); ++i) {
        auto tab = readTable(r, b["chain_only"][i], "baselines.chain_only " + std::to_string(i), t);
        if (!tab) return Result<PlanTable>::failure(r.error);
        t.chain_only.push_back(std::move(*tab));
      }
  }
  return Result<PlanTable>{std::move(t), ""};
}

Result<PlanTable> loadPlanTable(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Result<PlanTable>::failure(path + ": cannot open the file");
  std::stringstream buf;
  buf << f.rdbuf();
  auto r = parsePlanTable(buf.str());
  if (!r.ok()) r.error = path + ": " + r.error;
  return r;
}

Prediction predict(const PlanTable& t, const PlanInfo& p, double up_mbps, double load) {
  auto ms = [](double bytes, double mbps) { return bytes * 8.0 / (mbps * 1e6) * 1000.0; };
  Prediction out;
  const double down = t.down_mbps ? *t.down_mbps : up_mbps;
  const double dev = p.device_ms, cloud = load * p.cloud_ms;
  out.upload_ms = ms(p.up_bytes, up_mbps);
  const double dl = ms(p.down_bytes, down);
  out.latency_ms = dev + out.upload_ms + cloud + dl + (p.uses_cloud ? t.rtt_ms : 0.0);
  const double bottleneck = std::max({dev, out.upload_ms, cloud, dl});
  out.throughput_fps = bottleneck > 0 ? 1000.0 / bottleneck : 1e9;
  return out;
}

Result<Selection> selectIn(const PlanTable& t, const std::vector<Table>& tables, const Query& q) {
  if (!(q.mbps > 0) || !std::isfinite(q.mbps)) return Result<Selection>::failure("bandwidth must be a positive number");
  if (!(q.load >= 1) || !std::isfinite(q.load)) return Result<Selection>::failure("server load must be >= 1");
  auto pick = [&](const std::string& objective) -> std::optional<Selection> {
    // Tabulated loads for (objective, precision), ascending.
    const Table* best = nullptr;
    const Table* highest = nullptr;
    for (const auto& tab : tables) {
      if (tab.objective != objective || tab.precision != q.precision) continue;
      if (!highest || tab.load > highest->load) highest = &tab;
      if (tab.load >= q.load - 1e-12 && (!best || tab.load < best->load)) best = &tab;
    }
    if (!highest) return std::nullopt;
    Selection s;
    s.load_extrapolated = best == nullptr;
    if (!best) best = highest;
    s.objective = objective;
    s.mode = objective;
    s.table_load = best->load;
    const auto& bands = best->bands;
    double bw = q.mbps;
    if (bw < bands.front().min_mbps || bw > bands.back().max_mbps) {
      s.bandwidth_clamped = true;
      bw = std::clamp(bw, bands.front().min_mbps, bands.back().max_mbps);
    }
    // The last band whose min_mbps <= bw (O(log n)).
    auto it = std::upper_bound(bands.begin(), bands.end(), bw, [](double x, const Band& b) { return x < b.min_mbps; });
    s.plan = std::prev(it)->plan;
    s.predicted = predict(t, t.plan(s.plan), q.mbps, q.load);
    return s;
  };
  if (!q.fps) {
    auto s = pick(q.objective);
    if (!s) return Result<Selection>::failure("no " + q.objective + " table for precision " + q.precision);
    return Result<Selection>{std::move(s), ""};
  }
  auto light = pick("latency");
  if (!light) return Result<Selection>::failure("no latency table for precision " + q.precision);
  light->mode = "light";
  light->keeps_up = light->predicted.throughput_fps >= *q.fps;
  if (light->keeps_up) return Result<Selection>{std::move(light), ""};
  auto heavy = pick("throughput");
  if (!heavy) return Result<Selection>{std::move(light), ""};  // keeps_up = false says it all
  heavy->mode = "heavy";
  heavy->keeps_up = heavy->predicted.throughput_fps >= *q.fps;
  return Result<Selection>{std::move(heavy), ""};
}

Result<Selection> select(const PlanTable& t, const Query& q) { return selectIn(t, t.tables, q); }

void BandwidthEstimator::addSample(double bytes, double seconds) {
  if (!(bytes > 0) || !(seconds > 0) || !std::isfinite(bytes) || !std::isfinite(seconds)) return;
  const double mbps = bytes * 8.0 / seconds / 1e6;
  samples_.push_back(mbps);
  while (samples_.size() > std::max<size_t>(1, cfg_.window)) samples_.pop_front();
  ewma_ = ewma_ ? cfg_.alpha * mbps + (1 - cfg_.alpha) * *ewma_ : mbps;
}

std::optional<double> BandwidthEstimator::mbps() const {
  if (samples_.empty()) return std::nullopt;
  if (cfg_.kind == Kind::ewma) return ewma_;
  double inv = 0;
  for (double s : samples_) inv += 1.0 / s;
  return static_cast<double>(samples_.size()) / inv;
}

int PlanSwitcher::decide(int candidate, double candidate_ms, double current_ms) {
  if (!current_) {
    current_ = candidate;
    return candidate;
  }
  if (candidate == *current_ || !(candidate_ms < current_ms * (1 - cfg_.margin))) {
    streak_ = 0;
    return *current_;
  }
  streak_ = candidate == streak_plan_ ? streak_ + 1 : 1;
  streak_plan_ = candidate;
  if (streak_ >= cfg_.patience) {
    current_ = candidate;
    streak_ = 0;
    ++switches_;
  }
  return *current_;
}

}  // namespace onnxcut::runtime
