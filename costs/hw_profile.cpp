#include "hw_profile.h"

#include <algorithm>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "data_dir.h"
#include "errors.h"
#include "files.h"


namespace onnxcut {
namespace {

using nlohmann::json;

double positive(const json& j, const std::string& key, ErrorList& e, double max = INFINITY) {
  if (!j.contains(key)) { e.add("'" + key + "' is missing"); return 1; }
  if (!j[key].is_number()) { e.add("'" + key + "' must be a number"); return 1; }
  const double v = j[key].get<double>();
  if (!(v > 0) || !std::isfinite(v) || v > max)
    e.add("'" + key + "' must be a positive number" + (std::isfinite(max) ? " <= " + std::to_string(max).substr(0, 3) : "") +
          " (got " + j[key].dump() + ")");
  return v;
}

}  // namespace

HwProfile parseProfile(const std::string& text, const std::string& label) {
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw InputError(label + ": not a JSON object");
  ErrorList e;
  HwProfile p;
  auto str = [&](const char* key) {
    if (!j.contains(key) || !j[key].is_string()) { e.add(std::string("'") + key + "' must be a string"); return std::string(); }
    return j[key].get<std::string>();
  };
  p.name = str("name");
  p.compute_precision = str("compute_precision");
  if (j.contains("description") && !j["description"].is_string()) e.add("'description' must be a string");
  else if (j.contains("description")) p.description = j["description"].get<std::string>();
  if (!j.contains("sources") || !j["sources"].is_array() || j["sources"].empty())
    e.add("'sources' must list where the figures come from");
  else
    for (const auto& s : j["sources"]) p.sources.push_back(s.is_string() ? s.get<std::string>() : s.dump());
  if (!j.contains("peak_gflops") || !j["peak_gflops"].is_object()) {
    e.add("'peak_gflops' must be an object by precision (fp32, fp16, int8)");
  } else if (!p.compute_precision.empty()) {
    if (!j["peak_gflops"].contains(p.compute_precision))
      e.add("'peak_gflops' has no entry for compute_precision '" + p.compute_precision + "'");
    else
      p.peak_gflops = positive(j["peak_gflops"], p.compute_precision, e);
  }
  p.memory_gbps = positive(j, "memory_gbps", e);
  p.memory_efficiency = positive(j, "memory_efficiency", e, 1.0);
  if (!j.contains("overhead_ms") || !j["overhead_ms"].is_number() || j["overhead_ms"].get<double>() < 0)
    e.add("'overhead_ms' must be a number >= 0");
  else
    p.overhead_ms = j["overhead_ms"].get<double>();
  if (j.contains("transcendental_ns")) p.transcendental_ns = positive(j, "transcendental_ns", e);
  if (j.contains("window_flops")) p.window_flops = positive(j, "window_flops", e);
  if (!j.contains("efficiency") || !j["efficiency"].is_object()) {
    e.add("'efficiency' must be an object by op class");
  } else {
    for (int c = 0; c < kOpClassCount; ++c) {
      const std::string key = toString(static_cast<OpClass>(c));
      p.efficiency[c] = positive(j["efficiency"], key, e, 1.0);
    }
    for (const auto& [k, v] : j["efficiency"].items()) {
      bool known = false;
      for (int c = 0; c < kOpClassCount; ++c) known |= k == toString(static_cast<OpClass>(c));
      if (!known) e.add("'efficiency' has an unknown op class '" + k + "'");
    }
  }
  e.throwIfAny(label);
  return p;
}

HwProfile readProfile(const std::string& path) { return parseProfile(readWholeFile(path, "the profile"), path); }

std::string profileJson(const HwProfile& p) {
  json eff = json::object();
  for (int c = 0; c < kOpClassCount; ++c) eff[toString(static_cast<OpClass>(c))] = p.efficiency[c];
  json j{{"name", p.name}, {"description", p.description}, {"sources", p.sources},
         {"compute_precision", p.compute_precision}, {"peak_gflops", {{p.compute_precision, p.peak_gflops}}},
         {"memory_gbps", p.memory_gbps}, {"memory_efficiency", p.memory_efficiency}, {"efficiency", eff},
         {"overhead_ms", p.overhead_ms}, {"transcendental_ns", p.transcendental_ns},
         {"window_flops", p.window_flops}};
  return j.dump(2) + "\n";
}

// Bundled profiles: <data dir>/profiles (base/data_dir.h: the installed
// share/onnxcut, or the source tree of a build).
std::filesystem::path profilesDir() { return std::filesystem::path(dataDir()) / "profiles"; }

std::string resolveProfilePath(const std::string& name_or_path) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(name_or_path, ec)) return name_or_path;
  const auto bundled = profilesDir() / (name_or_path + ".json");
  if (std::filesystem::is_regular_file(bundled, ec)) return bundled.string();
  std::string names;
  for (const auto& n : bundledProfiles()) names += (names.empty() ? "" : ", ") + n;
  throw InputError("profile '" + name_or_path + "': no such file, and no bundled profile of that name (bundled: " +
                   (names.empty() ? "none found" : names) + ")");
}

std::vector<std::string> bundledProfiles() {
  std::error_code ec;
  std::vector<std::string> names;
  for (const auto& f : std::filesystem::directory_iterator(profilesDir(), ec))
    if (f.path().extension() == ".json") names.push_back(f.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

double estimateMs(const HwProfile& p, const NodeWork& w) {
  const double compute_ms = (w.flops + w.windows * p.window_flops) / (p.peak_gflops * 1e9 * p.efficiency[static_cast<int>(w.cls)]) * 1e3;
  const double memory_ms = w.bytes / (p.memory_gbps * 1e9 * p.memory_efficiency) * 1e3;
  return std::max(compute_ms, memory_ms) + w.transcendentals * p.transcendental_ns * 1e-6 + p.overhead_ms;
}

std::vector<double> estimateAll(const HwProfile& p, const std::vector<NodeWork>& w) {
  std::vector<double> out;
  for (const auto& x : w) out.push_back(estimateMs(p, x));
  return out;
}

}  // namespace onnxcut
