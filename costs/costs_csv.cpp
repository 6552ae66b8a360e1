#include "costs_csv.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "errors.h"
#include "files.h"

namespace onnxcut {
namespace {

// Splits one CSV line; fields may be double-quoted ("a,b", "say ""hi""").
bool splitCsv(const std::string& line, std::vector<std::string>& out) {
  out.clear();
  std::string field;
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') { field += '"'; ++i; }
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"' && field.find_first_not_of(" \t") == std::string::npos) {
      quoted = was_quoted = true;
      field.clear();
    } else if (c == ',') {
      out.push_back(was_quoted ? field : trim(field));
      field.clear();
      was_quoted = false;
    } else {
      field += c;
    }
  }
  if (quoted) return false;
  out.push_back(was_quoted ? field : trim(field));
  return true;
}

}  // namespace

NodeCosts parseCostsCsv(const std::string& text, const std::string& label,
                        const NodeKeys& keys) {
  NodeCosts costs{std::vector<double>(keys.size(), 0.0), std::vector<double>(keys.size(), 0.0)};
  std::vector<int> seen_at(keys.size(), 0);
  ErrorList errors;
  std::istringstream in(text);
  std::string line;
  int row = 0;
  bool header_seen = false;
  std::vector<std::string> f;
  while (std::getline(in, line)) {
    ++row;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty()) continue;
    const std::string where = "row " + std::to_string(row);
    if (!splitCsv(line, f)) { errors.add(where + ": unterminated quote"); continue; }
    if (!header_seen) {
      header_seen = true;
      if (f.size() != 3 || f[0] != "node" || f[1] != "device_ms" || f[2] != "cloud_ms")
        errors.add(where + ": bad header '" + line + "' (expected: node,device_ms,cloud_ms)");
      continue;
    }
    if (f.size() != 3) {
      errors.add(where + ": expected 3 fields (node,device_ms,cloud_ms), found " + std::to_string(f.size()));
      continue;
    }
    const auto found = keys.find(f[0]);
    if (!found) {
      errors.add(where + ": unknown node '" + f[0] + "' (not a planning node's key; see onnxcut inspect)");
      continue;
    }
    const int v = *found;
    if (seen_at[v]) {
      errors.add(where + ": duplicate row for node '" + f[0] + "' (first at row " + std::to_string(seen_at[v]) + ")");
      continue;
    }
    seen_at[v] = row;
    for (int c = 1; c <= 2; ++c) {
      const char* name = c == 1 ? "device_ms" : "cloud_ms";
      char* end = nullptr;
      const double x = std::strtod(f[c].c_str(), &end);
      if (f[c].empty() || *end != '\0') {
        errors.add(where + ": " + name + " '" + f[c] + "' of node '" + f[0] + "' is not a number");
      } else if (!std::isfinite(x)) {
        errors.add(where + ": " + name + " of node '" + f[0] + "' is not finite (" + f[c] + ")");
      } else if (x < 0) {
        errors.add(where + ": " + name + " of node '" + f[0] + "' is negative (" + f[c] + ")");
      } else {
        (c == 1 ? costs.device_ms : costs.cloud_ms)[v] = x;
      }
    }
  }
  if (!header_seen) errors.add("the file is empty (expected the header node,device_ms,cloud_ms)");
  std::vector<std::string> missing;
  for (int v = 0; v < keys.size(); ++v)
    if (!seen_at[v]) missing.push_back(keys.name(v));
  if (header_seen && !missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size() && i < 10; ++i) list += (i ? ", " : "") + missing[i];
    if (missing.size() > 10) list += ", ... (" + std::to_string(missing.size() - 10) + " more)";
    errors.add(std::to_string(missing.size()) + " node(s) have no row: " + list);
  }
  errors.throwIfAny(label);
  return costs;
}

NodeCosts readCostsCsv(const std::string& path, const NodeKeys& keys) {
  return parseCostsCsv(readWholeFile(path, "the costs file"), path, keys);
}

}  // namespace onnxcut
