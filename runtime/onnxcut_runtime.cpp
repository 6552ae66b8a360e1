#include "onnxcut_runtime.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace onnxcut::runtime {
namespace {

using nlohmann::json;

// Caps on what a plan table may hold (docs/reliability.md): a table from a
// download must not make a device allocate without bound.
constexpr size_t kMaxTableBytes = size_t{256} << 20;
constexpr size_t kMaxPlans = 1000000;
constexpr size_t kMaxTables = 100000;
constexpr size_t kMaxBands = 1000000;

std::string shortNum(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

// Reads typed fields; the first problem is kept, naming where it is.
struct Reader {
  std::string error;
  bool fail(const std::string& e) {
    if (error.empty()) error = e;
    return false;
  }
  const json* field(const json& j, const char* key) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(key);
    return it == j.end() ? nullptr : &*it;
  }
  // A finite number >= `min`.
  double num(const json& j, const char* key, const std::string& where, double min = -HUGE_VAL) {
    if (!error.empty()) return 0;
    const json* v = field(j, key);
    if (!v || !v->is_number()) return fail(where + ": '" + key + "' is missing or not a number"), 0;
    const double x = v->get<double>();
    if (!std::isfinite(x)) return fail(where + ": '" + key + "' is not finite"), 0;
    if (x < min)
      return fail(where + ": '" + key + "' is " + (min == 0 ? "negative (" + shortNum(x) + ")" : shortNum(x) + ", below " + shortNum(min))), 0;
    return x;
  }
  // A whole number in [0, limit): never converted out of range.
  int index(const json& j, const char* key, const std::string& where, size_t limit) {
    if (!error.empty()) return 0;
    const json* v = field(j, key);
    if (!v || !v->is_number()) return fail(where + ": '" + key + "' is missing or not a number"), 0;
    const double x = v->get<double>();
    if (!(x >= 0 && x < static_cast<double>(limit)) || x != std::floor(x))
      return fail(where + ": '" + key + "' is " + shortNum(x) + (limit == 0 ? ": there is nothing it could name"
                  : ", not a whole number from 0 to " + std::to_string(limit - 1) + " (no such plan)")), 0;
    return static_cast<int>(x);
  }
  std::string str(const json& j, const char* key, const std::string& where) {
    if (!error.empty()) return "";
    const json* v = field(j, key);
    if (!v || !v->is_string()) return fail(where + ": '" + key + "' is missing or not a string"), "";
    return v->get<std::string>();
  }
  // A file path relative to the table's folder that stays inside it, or
  // null (no such file).
  std::string pathOrEmpty(const json& j, const char* key, const std::string& where) {
    const json* v = field(j, key);
    if (!error.empty() || !v || v->is_null()) return "";
    const std::string p = str(j, key, where);
    if (!error.empty()) return "";
    bool climbs = p.empty() || p.front() == '/' || p.find('\\') != std::string::npos || p.find('\0') != std::string::npos;
    for (size_t a = 0; !climbs && a <= p.size();) {
      const size_t b = std::min(p.find('/', a), p.size());
      const std::string part = p.substr(a, b - a);
      climbs = part == ".." || part == "." || part.empty();
      a = b + 1;
    }
    if (climbs) return fail(where + ": '" + key + "' path '" + p + "' is not a plain path inside the table's folder"), "";
    return p;
  }
};

bool knownPrecision(const std::string& p) { return p == "fp32" || p == "fp16" || p == "int8" || p == "mixed"; }

bool knownEncoding(const std::string& e) {
  return e == "raw" || e == "fp16" || e == "int8_q" || e == "int8_scale" || e == "int8_zero_point" ||
         e == "packed" || e == "packed_lo" || e == "packed_scale";
}

bool knownBits(int64_t b) { return b == 32 || b == 16 || b == 8 || b == 6 || b == 4 || b == 2; }

// A whole number in [0, 2^53] (exact as a double), or nothing.
std::optional<int64_t> wholeNumber(const json& v) {
  if (!v.is_number()) return std::nullopt;
  const double x = v.get<double>();
  if (!(x >= 0 && x <= 9007199254740992.0) || x != std::floor(x)) return std::nullopt;
  return static_cast<int64_t>(x);
}

// A tensor entry: {"name" (or `name_key`), "dtype", "shape", "dim_params"?,
// "tensor"?, "encoding"?, "bytes"?}.
bool readTensor(Reader& r, const json& j, const std::string& where, const char* name_key, TensorDesc& out) {
  if (!j.is_object()) return r.fail(where + ": not an object");
  out.name = r.str(j, name_key, where);
  out.dtype = r.str(j, "dtype", where);
  if (!r.error.empty()) return false;
  const json* shape = r.field(j, "shape");
  if (shape && !shape->is_null()) {
    if (!shape->is_array() || shape->size() > 64) return r.fail(where + ": 'shape' is not a list of at most 64 dims");
    out.shape.emplace();
    for (const auto& d : *shape) {
      const auto n = wholeNumber(d);
      if (!n) return r.fail(where + ": 'shape' holds something that is not a whole number >= 0");
      out.shape->push_back(*n);
    }
  }
  if (const json* dp = r.field(j, "dim_params")) {
    if (!dp->is_array() || dp->size() > 64) return r.fail(where + ": 'dim_params' is not a list");
    for (const auto& d : *dp) {
      if (!d.is_null() && !d.is_string()) return r.fail(where + ": 'dim_params' holds something not a string or null");
      out.dim_params.push_back(d.is_string() ? d.get<std::string>() : "");
    }
  }
  if (r.field(j, "tensor")) out.tensor = r.str(j, "tensor", where);
  if (r.field(j, "encoding")) {
    out.encoding = r.str(j, "encoding", where);
    if (r.error.empty() && !knownEncoding(out.encoding)) return r.fail(where + ": unknown encoding '" + out.encoding + "'");
  }
  if (const json* b = r.field(j, "bytes"); b && !b->is_null()) {
    out.bytes = wholeNumber(*b);
    if (!out.bytes) return r.fail(where + ": 'bytes' is not a whole number >= 0");
  }
  if (const json* b = r.field(j, "bits"); b && !b->is_null()) {
    const auto n = wholeNumber(*b);
    if (!n || !knownBits(*n)) return r.fail(where + ": 'bits' is not one of 32, 16, 8, 6, 4, 2");
    out.bits = static_cast<int>(*n);
  }
  return r.error.empty();
}

// A list of tensor entries under `key` (absent: left empty).
bool readTensors(Reader& r, const json& j, const char* key, const std::string& where, const char* name_key,
                 std::vector<TensorDesc>& out) {
  const json* list = r.field(j, key);
  if (!list) return true;
  if (!list->is_array()) return r.fail(where + ": '" + key + "' is not a list");
  out.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    TensorDesc t;
    if (!readTensor(r, (*list)[i], where + " " + key + "[" + std::to_string(i) + "]", name_key, t)) return false;
    out.push_back(std::move(t));
  }
  return true;
}

// "head_io" / "tail_io": null, or {"inputs": [...], "outputs": [...]}.
bool readPartIO(Reader& r, const json& jp, const char* key, const std::string& where, std::optional<PartIO>& out) {
  const json* io = r.field(jp, key);
  if (!io || io->is_null()) return true;
  if (!io->is_object()) return r.fail(where + ": '" + key + "' is not an object");
  PartIO part;
  const std::string w = where + " " + key;
  if (!readTensors(r, *io, "inputs", w, "name", part.inputs) || !readTensors(r, *io, "outputs", w, "name", part.outputs))
    return false;
  out = std::move(part);
  return true;
}

// A list of strings under `key` of `j` (absent: left empty).
bool readStrings(Reader& r, const json& j, const char* key, const std::string& where, std::vector<std::string>& out) {
  const json* list = r.field(j, key);
  if (!list) return true;
  if (!list->is_array()) return r.fail(where + ": '" + key + "' is not a list");
  for (const auto& s : *list) {
    if (!s.is_string()) return r.fail(where + ": '" + key + "' holds a non-string");
    out.push_back(s.get<std::string>());
  }
  return true;
}

// A band as read, checked against the plans once they are all known.
struct RawBand {
  double min_mbps = 0, max_mbps = 0, plan = -1;
};

RawBand readBand(Reader& r, const json& jb, const std::string& where) {
  RawBand b;
  b.min_mbps = r.num(jb, "min_mbps", where);
  b.max_mbps = r.num(jb, "max_mbps", where);
  b.plan = r.num(jb, "plan", where);
  return b;
}

std::optional<Table> readTable(Reader& r, const json& jt, const std::vector<RawBand>& raw, const std::string& where,
                               const PlanTable& t) {
  Table tab;
  tab.objective = r.str(jt, "objective", where);
  tab.load = r.num(jt, "server_load", where, 1.0);
  tab.precision = r.str(jt, "precision", where);
  if (!r.error.empty()) return std::nullopt;
  if (tab.objective != "latency" && tab.objective != "throughput") {
    r.error = where + ": unknown objective '" + tab.objective + "'";
    return std::nullopt;
  }
  if (!knownPrecision(tab.precision)) { r.error = where + ": unknown precision '" + tab.precision + "'"; return std::nullopt; }
  if (const json* ml = r.field(jt, "max_loss"); ml && !ml->is_null()) {
    tab.max_loss = r.num(jt, "max_loss", where, 0.0);
    if (!r.error.empty()) return std::nullopt;
  }
  const json* bands = r.field(jt, "bands");
  if (bands && bands->is_array() && !bands->empty()) {  // read bands are dropped: what is left is not an object
    r.error = where + ": 'bands' holds something that is not an object";
    return std::nullopt;
  }
  if (!bands || !bands->is_array() || raw.empty() || raw.size() > kMaxBands) {
    r.error = where + ": 'bands' is missing, empty or longer than " + std::to_string(kMaxBands);
    return std::nullopt;
  }
  tab.bands.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    const std::string bw = where + " band " + std::to_string(i);
    const json plan = raw[i].plan;
    Band b{raw[i].min_mbps, raw[i].max_mbps, r.index(json{{"plan", plan}}, "plan", bw, t.plans.size())};
    if (!r.error.empty()) return std::nullopt;
    if (!(b.min_mbps > 0 && b.min_mbps < b.max_mbps)) { r.error = bw + ": needs 0 < min_mbps < max_mbps"; return std::nullopt; }
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

std::optional<PlanInfo> readPlan(Reader& r, const json& jp, size_t i) {
  const std::string where = "plan " + std::to_string(i);
  PlanInfo p;
  p.id = r.index(jp, "id", where, kMaxPlans);
  p.precision = r.str(jp, "precision", where);
  p.device_ms = r.num(jp, "device_ms", where, 0.0);
  p.cloud_ms = r.num(jp, "cloud_ms", where, 0.0);
  const double fp32 = r.num(jp, "up_bytes_fp32", where, 0.0);
  p.down_bytes = r.num(jp, "down_bytes", where, 0.0);
  p.head = r.pathOrEmpty(jp, "head", where);
  p.tail = r.pathOrEmpty(jp, "tail", where);
  // up_bytes (sent) is an onnxcut extension; else apply the precision to
  // the full-precision size (exact for float32 cuts).
  p.up_bytes = jp.contains("up_bytes") ? r.num(jp, "up_bytes", where, 0.0)
               : fp32 * (p.precision == "fp16" ? 0.5 : p.precision == "int8" ? 0.25 : 1.0);
  if (!r.error.empty()) return std::nullopt;
  if (p.id != static_cast<int>(i)) return r.fail(where + ": id " + std::to_string(p.id) + " out of order"), std::nullopt;
  if (!knownPrecision(p.precision)) return r.fail(where + ": unknown precision '" + p.precision + "'"), std::nullopt;
  const json* nodes = r.field(jp, "device_nodes");
  if (!nodes || !nodes->is_array()) return r.fail(where + ": 'device_nodes' is missing"), std::nullopt;
  p.device_nodes.reserve(nodes->size());
  for (const auto& k : *nodes) {
    if (!k.is_string()) return r.fail(where + ": 'device_nodes' holds a non-string"), std::nullopt;
    p.device_nodes.push_back(k.get<std::string>());
  }
  p.uses_cloud = !p.tail.empty() || p.cloud_ms > 0 || fp32 > 0;
  if (const json* l = r.field(jp, "loss"); l && !l->is_null()) {
    if (!l->is_object()) return r.fail(where + ": 'loss' is not an object"), std::nullopt;
    p.loss = PlanLoss{r.num(*l, "fit", where + " loss", 0.0), r.num(*l, "held_out", where + " loss", 0.0)};
    if (!r.error.empty()) return std::nullopt;
  }
  p.head_data = r.pathOrEmpty(jp, "head_data", where);
  p.tail_data = r.pathOrEmpty(jp, "tail_data", where);
  if (!readTensors(r, jp, "cut", where, "tensor", p.cut) || !readPartIO(r, jp, "head_io", where, p.head_io) ||
      !readPartIO(r, jp, "tail_io", where, p.tail_io) || !readTensors(r, jp, "wire", where, "name", p.wire))
    return std::nullopt;
  if (const json* outs = r.field(jp, "outputs")) {
    if (!outs->is_object()) return r.fail(where + ": 'outputs' is not an object"), std::nullopt;
    if (!readStrings(r, *outs, "device", where + " outputs", p.device_outputs) ||
        !readStrings(r, *outs, "cloud", where + " outputs", p.cloud_outputs))
      return std::nullopt;
  }
  if (!r.error.empty()) return std::nullopt;
  return p;
}

using TableIndex = PlanTable::Index;

TableIndex indexTables(const std::vector<Table>& tables) {
  TableIndex idx;
  for (size_t i = 0; i < tables.size(); ++i)
    idx[{tables[i].objective, tables[i].precision, tables[i].max_loss.value_or(-1.0)}].emplace_back(
        tables[i].load, static_cast<int>(i));
  for (auto& [key, v] : idx) std::stable_sort(v.begin(), v.end());
  return idx;
}

// Loads a plan table while it is parsed: each plan and each band is read
// the moment its object ends and dropped from the tree, so memory follows
// the parsed table, not a JSON tree of it (docs/reliability.md).
class Loader {
 public:
  bool event(int depth, json::parse_event_t e, json& parsed) {
    using E = json::parse_event_t;
    if (depth >= kDepth) return fail("nested deeper than " + std::to_string(kDepth) + " levels");
    if (e == E::key) {
      key_[depth] = parsed.get<std::string>();
      return true;
    }
    if (e == E::object_start || e == E::array_start) {
      array_[depth] = e == E::array_start;
      if (e == E::object_start && isTable(depth)) raw_[section(depth)].emplace_back();
      return true;
    }
    if (e != E::object_end) return true;
    if (depth == 2 && under(1, "plans")) {  // a plan
      if (++plans_seen_ > kMaxPlans) return fail("more than " + std::to_string(kMaxPlans) + " plans");
      if (r_.error.empty())
        if (auto p = readPlan(r_, parsed, t_.plans.size())) t_.plans.push_back(std::move(*p));
      return false;
    }
    if (depth >= 4 && array_[depth - 1] && key_[depth - 1] == "bands" && isTable(depth - 2)) {  // a band
      auto& bands = raw_[section(depth - 2)].back();
      if (bands.size() >= kMaxBands) return fail("a table has more than " + std::to_string(kMaxBands) + " bands");
      bands.push_back(readBand(r_, parsed, where(depth - 2, bands.size())));
      return false;
    }
    return true;
  }

  Result<PlanTable> finish(const json& j) {
    auto fail = [](const std::string& e) { return Result<PlanTable>::failure(e); };
    if (!error_.empty()) return fail(error_);
    if (j.is_discarded()) return fail("not valid JSON");
    const json* format = j.is_object() && j.contains("format") ? &j["format"] : nullptr;
    if (!format || !format->is_string() || format->get<std::string>() != "onnxcut.plan-table")
      return fail("not an onnxcut plan table ('format' is not \"onnxcut.plan-table\")");
    if (!j.contains("version") || !j["version"].is_number_integer() || j["version"].get<int64_t>() < 1 ||
        j["version"].get<int64_t>() > 3)
      return fail("unsupported plan-table version (this runtime reads versions 1 to 3)");
    t_.version = static_cast<int>(j["version"].get<int64_t>());
    if (!r_.error.empty()) return fail(r_.error);
    Reader& r = r_;
    if (const json* m = r.field(j, "model"); m && m->is_object()) {
      if (r.field(*m, "file")) t_.model_file = r.str(*m, "file", "model");
      if (r.field(*m, "sha256")) t_.model_sha256 = r.str(*m, "sha256", "model");
      if (!readTensors(r, *m, "inputs", "model", "name", t_.model_inputs) ||
          !readTensors(r, *m, "outputs", "model", "name", t_.model_outputs))
        return fail(r.error);
    }
    if (const json* tool = r.field(j, "tool"); tool && tool->is_object()) {
      if (r.field(*tool, "name")) t_.tool_name = r.str(*tool, "name", "tool");
      if (r.field(*tool, "version")) t_.tool_version = r.str(*tool, "version", "tool");
    }
    if (const json* o = r.field(j, "options"); o && o->is_object()) t_.options_json = o->dump();
    if (const json* c = r.field(j, "calibration"); c && c->is_object() && r.field(*c, "metric"))
      t_.loss_metric = r.str(*c, "metric", "calibration");
    if (const json* files = r.field(j, "files")) {
      if (!files->is_array() || files->size() > 4 * kMaxPlans) return fail("'files' is not a list");
      for (size_t i = 0; i < files->size(); ++i) {
        const std::string w = "files[" + std::to_string(i) + "]";
        const json& f = (*files)[i];
        FileInfo info;
        info.path = r.pathOrEmpty(f, "path", w);
        info.sha256 = r.str(f, "sha256", w);
        const json* b = r.field(f, "bytes");
        const auto n = b ? wholeNumber(*b) : std::nullopt;
        if (r.error.empty() && (info.path.empty() || !n)) r.fail(w + ": needs a 'path' and whole 'bytes'");
        if (r.error.empty() && (info.sha256.size() != 64 || info.sha256.find_first_not_of("0123456789abcdef") != std::string::npos))
          r.fail(w + ": 'sha256' is not 64 lowercase hex digits");
        if (!r.error.empty()) return fail(r.error);
        info.bytes = *n;
        t_.files.push_back(std::move(info));
      }
    }
    if (!r.error.empty()) return fail(r.error);
    if (j.contains("network") && !j["network"].is_object()) return fail("'network' is not an object");
    const json net = j.contains("network") ? j["network"] : json::object();
    t_.rtt_ms = r.num(net, "rtt_ms", "network", 0.0);
    if (net.contains("down_mbps") && !net["down_mbps"].is_null()) {
      t_.down_mbps = r.num(net, "down_mbps", "network");
      if (r.error.empty() && !(*t_.down_mbps > 0)) return fail("network: 'down_mbps' must be positive");
    }
    if (!r.error.empty()) return fail(r.error);
    if (!j.contains("plans") || !j["plans"].is_array()) return fail("'plans' is missing");
    // Band tables: tables[i] and baselines.chain_only[i] (bands read already).
    auto readTables = [&](const json& list, int section, const std::string& name, std::vector<Table>& out) {
      if (list.size() > kMaxTables) return r.fail("more than " + std::to_string(kMaxTables) + " " + name);
      if (raw_[section].size() != list.size()) return r.fail("'" + name + "' holds something that is not an object");
      for (size_t i = 0; i < list.size(); ++i) {
        auto tab = readTable(r, list[i], raw_[section][i], (section == 0 ? "table " : name + " ") + std::to_string(i), t_);
        if (!tab) return false;
        out.push_back(std::move(*tab));
      }
      return true;
    };
    if (!j.contains("tables") || !j["tables"].is_array() || j["tables"].empty())
      return fail("'tables' is missing or empty");
    if (!readTables(j["tables"], 0, "tables", t_.tables)) return fail(r.error);
    if (j.contains("baselines") && j["baselines"].is_object()) {
      const json& b = j["baselines"];
      for (const char* key : {"device_only", "cloud_only"}) {
        if (!b.contains(key) || !b[key].is_object()) continue;
        for (const auto& [prec, id] : b[key].items()) {
          const int plan = r.index(b[key], prec.c_str(), std::string("baselines.") + key, t_.plans.size());
          if (!r.error.empty()) return fail(r.error);
          (std::string(key) == "device_only" ? t_.device_only : t_.cloud_only)[prec] = plan;
        }
      }
      if (b.contains("chain_only") && b["chain_only"].is_array() &&
          !readTables(b["chain_only"], 1, "baselines.chain_only", t_.chain_only))
        return fail(r.error);
    }
    t_.table_index = indexTables(t_.tables);
    t_.chain_index = indexTables(t_.chain_only);
    return Result<PlanTable>{std::move(t_), ""};
  }

 private:
  static constexpr int kDepth = 64;
  bool fail(const std::string& e) {
    if (error_.empty()) error_ = e;
    return false;
  }
  // The container opened at `depth` is an element of the array under `key`
  // of the container opened at depth - 1.
  bool under(int depth, const char* key) const { return depth >= 1 && array_[depth] && key_[depth] == key; }
  // An object opened at `depth` is a band table: tables[i] or
  // baselines.chain_only[i].
  bool isTable(int depth) const {
    return (depth == 2 && under(1, "tables")) || (depth == 3 && under(2, "chain_only") && !array_[1] && key_[1] == "baselines");
  }
  int section(int table_depth) const { return table_depth == 2 ? 0 : 1; }
  std::string where(int table_depth, size_t band) const {
    const size_t i = raw_[section(table_depth)].size() - 1;
    return (table_depth == 2 ? "table " : "baselines.chain_only ") + std::to_string(i) + " band " + std::to_string(band);
  }

  Reader r_;
  PlanTable t_;
  std::string error_;
  size_t plans_seen_ = 0;
  std::string key_[kDepth];
  bool array_[kDepth] = {};
  std::vector<std::vector<RawBand>> raw_[2];  // bands of tables / chain_only, in order
};

template <class Input>
Result<PlanTable> load(Input&& in) {
  Loader loader;
  const json j = json::parse(std::forward<Input>(in),
                             [&](int depth, json::parse_event_t e, json& parsed) { return loader.event(depth, e, parsed); },
                             /*allow_exceptions=*/false);
  return loader.finish(j);
}

}  // namespace

Result<PlanTable> parsePlanTable(const std::string& text) {
  if (text.size() > kMaxTableBytes)
    return Result<PlanTable>::failure("larger than " + std::to_string(kMaxTableBytes >> 20) + " MiB");
  return load(text);
}

Result<PlanTable> loadPlanTable(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) return Result<PlanTable>::failure(path + ": cannot open the file");
  const auto size = f.tellg();
  if (size < 0) return Result<PlanTable>::failure(path + ": cannot read the file");
  if (static_cast<size_t>(size) > kMaxTableBytes)
    return Result<PlanTable>::failure(path + ": larger than " + std::to_string(kMaxTableBytes >> 20) + " MiB");
  f.seekg(0);
  auto r = load(f);
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
  // The tabulated loads of (objective, precision), ascending: indexed once
  // per table list, O(log tables) per call.
  auto covers = [&](const TableIndex& i) {
    size_t n = 0;
    for (const auto& e : i) n += e.second.size();
    return n == tables.size();
  };
  TableIndex scratch;
  const TableIndex* index = &tables == &t.tables && covers(t.table_index)    ? &t.table_index
                            : &tables == &t.chain_only && covers(t.chain_index) ? &t.chain_index
                                                                                : nullptr;
  if (!index) index = &(scratch = indexTables(tables));  // a list built by hand
  const TableIndex& idx = *index;
  if (q.max_loss && !(*q.max_loss >= 0 && std::isfinite(*q.max_loss)))
    return Result<Selection>::failure("max loss must be a finite number >= 0");
  // One family: the tables of one (objective, precision, budget) by load.
  auto fromFamily = [&](const std::string& objective, const std::vector<std::pair<double, int>>& loads) {
    // The first table at the highest load, as in file order.
    const auto top = std::lower_bound(loads.begin(), loads.end(), loads.back().first,
                                      [](const std::pair<double, int>& e, double x) { return e.first < x; });
    const Table* highest = &tables[static_cast<size_t>(top->second)];
    const Table* best = nullptr;
    auto it = std::lower_bound(loads.begin(), loads.end(), q.load - 1e-12,
                               [](const std::pair<double, int>& e, double x) { return e.first < x; });
    if (it != loads.end()) best = &tables[static_cast<size_t>(it->second)];
    Selection s;
    s.load_extrapolated = best == nullptr;
    if (!best) best = highest;
    s.objective = objective;
    s.mode = objective;
    s.table_load = best->load;
    s.precision = best->precision;
    s.max_loss = best->max_loss;
    const auto& bands = best->bands;
    double bw = q.mbps;
    if (bw < bands.front().min_mbps || bw > bands.back().max_mbps) {
      s.bandwidth_clamped = true;
      bw = std::clamp(bw, bands.front().min_mbps, bands.back().max_mbps);
    }
    // The last band whose min_mbps <= bw (O(log n)).
    auto b = std::upper_bound(bands.begin(), bands.end(), bw, [](double x, const Band& band) { return x < band.min_mbps; });
    s.plan = std::prev(b)->plan;
    s.predicted = predict(t, t.plan(s.plan), q.mbps, q.load);
    return s;
  };
  // Within the runtime's budget: measured (both halves), or fp32 (exact).
  auto withinBudget = [&](const PlanInfo& p) {
    if (!q.max_loss) return true;
    if (p.loss) return p.loss->worst() <= *q.max_loss;
    return p.precision == "fp32";
  };
  auto pick = [&](const std::string& objective) -> std::optional<Selection> {
    std::optional<Selection> out;
    for (const auto& [key, loads] : idx) {
      const auto& [obj, precision, budget_unused] = key;
      (void)budget_unused;
      if (obj != objective || loads.empty()) continue;
      if (q.precision != "auto" && precision != q.precision) continue;
      Selection s = fromFamily(objective, loads);
      if (!withinBudget(t.plan(s.plan))) continue;
      const bool better = !out || (objective == "throughput"
                                       ? s.predicted.throughput_fps > out->predicted.throughput_fps
                                       : s.predicted.latency_ms < out->predicted.latency_ms);
      if (better) out = std::move(s);
    }
    return out;
  };
  auto none = [&](const std::string& objective) {
    std::string e = "no " + objective + " table for precision " + q.precision;
    if (q.max_loss) e += " with a plan within max loss " + std::to_string(*q.max_loss);
    return Result<Selection>::failure(e);
  };
  if (!q.fps) {
    auto s = pick(q.objective);
    if (!s) return none(q.objective);
    return Result<Selection>{std::move(s), ""};
  }
  auto light = pick("latency");
  if (!light) return none("latency");
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
