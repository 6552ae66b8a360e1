#include "ort_profile.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "errors.h"
#include "files.h"

namespace onnxcut {

std::vector<double> parseOrtProfile(const std::string& text, const std::string& label, const ModelView& mv) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array())
    throw InputError(label + ": not an ONNX Runtime profile (expected a JSON array of trace events)");
  static const std::string kSuffix = "_kernel_time";
  std::map<std::string, std::vector<double>> durations;  // node name -> µs per run
  ErrorList errors;
  for (size_t i = 0; i < j.size(); ++i) {
    const auto& e = j[i];
    if (!e.is_object() || !e.contains("cat") || !e["cat"].is_string() || e["cat"].get<std::string>() != "Node") continue;
    if (!e.contains("name") || !e["name"].is_string()) { errors.add("event " + std::to_string(i) + ": 'name' missing or not a string"); continue; }
    const std::string name = e["name"].get<std::string>();
    if (name.size() <= kSuffix.size() || !name.ends_with(kSuffix)) continue;  // fence events
    if (!e.contains("dur") || !e["dur"].is_number() || e["dur"].get<double>() < 0) {
      errors.add("event " + std::to_string(i) + " (" + name + "): 'dur' missing or not a non-negative number");
      continue;
    }
    durations[name.substr(0, name.size() - kSuffix.size())].push_back(e["dur"].get<double>());
  }
  errors.throwIfAny(label);
  std::vector<double> ms(mv.nodes().size(), 0);
  std::vector<std::string> missing;
  const auto& g = mv.model().graph();
  for (size_t v = 0; v < mv.nodes().size(); ++v) {
    const auto& info = mv.nodes()[v];
    const auto& n = g.node(info.proto_index);
    const std::vector<std::string> names = {n.name(), info.key, n.op_type() + "_" + std::to_string(info.proto_index)};
    const std::vector<double>* d = nullptr;
    for (const auto& nm : names)
      if (!nm.empty() && durations.count(nm)) { d = &durations.at(nm); break; }
    if (!d) { missing.push_back(info.key); continue; }
    std::vector<double> runs(d->size() > 1 ? d->begin() + 1 : d->begin(), d->end());  // drop the warm-up run
    std::sort(runs.begin(), runs.end());
    const size_t m = runs.size();
    ms[v] = (m % 2 ? runs[m / 2] : 0.5 * (runs[m / 2 - 1] + runs[m / 2])) / 1000.0;
  }
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 10; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 10) list += ", ... (" + std::to_string(missing.size() - 10) + " more)";
    throw InputError(label + ": " + std::to_string(missing.size()) + " of " + std::to_string(ms.size()) +
                     " planning nodes have no kernel event in the profile (" + list +
                     "); was it recorded for this model, with graph optimizations disabled?");
  }
  return ms;
}

std::vector<double> readOrtProfile(const std::string& path, const ModelView& mv) {
  return parseOrtProfile(readWholeFile(path, "the ONNX Runtime profile"), path, mv);
}

}  // namespace onnxcut
