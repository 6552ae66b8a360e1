#include "plan_request.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <filesystem>
#include <streambuf>

#include "analytic.h"
#include "artifact_writer.h"
#include "costs_csv.h"
#include "errors.h"
#include "external_data.h"
#include "hw_profile.h"
#include "ort_profile.h"
#include "planning.h"
#include "sha256.h"
#include "shared_weights.h"
#include "split.h"

namespace onnxcut {
namespace {

std::string fileName(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// Every problem with the request itself, before any work is done.
void validateRequest(const PlanRequest& req) {
  validateOptions(req.options);
  validateFidelity(req.fidelity);
  ErrorList e;
  if (req.model.empty()) e.add("no model given");
  auto side = [&](const SideCosts& s, const char* name) {
    if (!s.profile.empty() && !s.ort_profile.empty())
      e.add("the " + std::string(name) + " side has both " + optionRef(std::string(name) + ".profile") + " and " +
            optionRef(std::string(name) + ".ort_profile"));
  };
  side(req.device, "device");
  side(req.cloud, "cloud");
  if (req.costs_csv.empty() && !(req.device.given() && req.cloud.given()))
    e.add("give " + optionRef("costs_csv") + " FILE, or a device side (" + optionRef("device.profile") +
          " PROFILE or " + optionRef("device.ort_profile") + " FILE) and a cloud side (" +
          optionRef("cloud.profile") + " PROFILE or " + optionRef("cloud.ort_profile") + " FILE)");
  if (req.emit_onnx && req.output_dir.empty())
    e.add(optionRef("emit_onnx") + " needs " + optionRef("output_dir"));
  if (req.self_contained && !req.emit_onnx)
    e.add(optionRef("self_contained") + " is about split files: it needs " + optionRef("emit_onnx"));
  e.throwIfAny("bad plan request");
}

// Per-node costs: a measured CSV overrides any profile (cost-model.md);
// otherwise, per side, a recorded ONNX Runtime profile or a hardware profile.
void loadCosts(const PlanRequest& req, PlanResult& r) {
  const ModelView& mv = r.model;
  if (!req.costs_csv.empty()) {
    if (req.device.given() || req.cloud.given())
      r.warnings.push_back(optionRef("costs_csv") + " " + req.costs_csv + " overrides the profiles given with it");
    r.costs = readCostsCsv(req.costs_csv, mv.nodeKeys());
    r.device_costs = r.cloud_costs = fileName(req.costs_csv);
    return;
  }
  const auto work = analyzeNodes(mv);
  if (req.device.profile.size() + req.cloud.profile.size() > 0)
    for (const auto& [op, count] : unmodelledOps(mv, work))
      r.warnings.push_back(std::to_string(count) + " x " + op + ": no FLOP model, estimated from bytes moved");
  auto side = [&](const SideCosts& s, std::string& name) {
    if (!s.ort_profile.empty()) {
      name = "ort-profile:" + fileName(s.ort_profile);
      return readOrtProfile(s.ort_profile, mv);
    }
    const HwProfile p = readProfile(resolveProfilePath(s.profile));
    name = p.name;
    return estimateAll(p, work);
  };
  r.costs.device_ms = side(req.device, r.device_costs);
  r.costs.cloud_ms = side(req.cloud, r.cloud_costs);
}

// Hashes what is streamed into it (nothing is kept).
class HashingBuf : public std::streambuf {
 public:
  std::string hex() { return sha_.hex(); }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    sha_.update(s, static_cast<size_t>(n));
    return n;
  }
  int_type overflow(int_type c) override {
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      const char ch = traits_type::to_char_type(c);
      sha_.update(&ch, 1);
    }
    return traits_type::not_eof(c);
  }

 private:
  Sha256 sha_;
};

// Points every external tensor that refers to `from` at `to`.
void renameDataFile(onnx::ModelProto& m, const std::string& from, const std::string& to) {
  forEachTensor(*m.mutable_graph(), [&](onnx::TensorProto& t) {
    for (auto& e : *t.mutable_external_data())
      if (e.key() == "location" && e.value() == from) e.set_value(to);
  });
}

// plans/<id>/head.onnx and tail.onnx for every plan, one at a time; returns
// what was written (a side with no file is left empty). A file with the
// same contents as one already written (the all-device heads of every
// precision, the all-cloud fp32 tail: each the whole model) is not written
// again: the plan names the first one. Unless self-contained, weights go to
// one shared weights file (docs/plan-table.md, "Files written once").
std::map<int, PlanFiles> emitSplits(PlanResult& r, ArtifactWriter& writer, std::vector<WrittenFile>& written,
                                    bool self_contained, const std::function<void(const std::string&)>& progress) {
  std::map<int, PlanFiles> files;
  struct Stored {
    std::string file, data;
  };
  std::map<std::string, Stored> by_content;  // content key -> where it is
  constexpr const char* kPlaceholder = "onnxcut-data-file";
  constexpr const char* kWeights = "weights.data";
  SharedWeights shared(r.model.baseDir(), &r.model.model());
  std::vector<std::string> weight_dirs;  // plan folders whose files read weights.data
  for (const auto& p : r.plans.plans) {
    if (progress)
      progress("writing split files: plan " + std::to_string(p.id + 1) + "/" + std::to_string(r.plans.plans.size()));
    SplitResult split = splitModel(r.model, {p.id, p.device, p.precision, p.cut, r.model.sha256(), p.bits});
    if (split.batch_fixed)
      r.warnings.push_back("plan " + std::to_string(p.id) +
                           ": a side needs the shape of a batch-dependent tensor it does not receive; its split "
                           "files fix the batch at 1");
    const std::string dir = "plans/" + std::to_string(p.id) + "/";
    PlanFiles& f = files[p.id];
    auto part = [&](onnx::ModelProto& m, const char* name, std::string& file, std::string& data) {
      std::vector<DataRange> ranges;
      bool uses_shared = false;
      if (self_contained)  // weights kept outside go to a data file next to the part
        ranges = relocateExternalData(m, r.model.baseDir(), kPlaceholder);
      else
        uses_shared = shared.adopt(m, kWeights);
      // Same key, same bytes: the serialized part with its data file
      // unnamed, and the model ranges its data file is copied from.
      HashingBuf hb;
      {
        std::ostream o(&hb);
        serializeModel(m, o);
        for (const auto& d : ranges)
          o << '\n' << d.source << ' ' << d.offset << ' ' << d.length << ' ' << d.dest_offset;
      }
      const std::string key = hb.hex();
      if (auto it = by_content.find(key); it != by_content.end()) {
        file = it->second.file;
        data = it->second.data;
        return;
      }
      if (!ranges.empty()) {
        data = dir + name + ".onnx.data";
        renameDataFile(m, kPlaceholder, std::string(name) + ".onnx.data");
        const FileDigest d = writer.write(data, [&ranges](std::ostream& o) { copyDataRanges(ranges, o); });
        written.push_back({data, d.sha256, d.bytes});
      }
      if (uses_shared) {
        data = dir + kWeights;
        if (std::find(weight_dirs.begin(), weight_dirs.end(), dir) == weight_dirs.end()) weight_dirs.push_back(dir);
      }
      file = dir + name + ".onnx";
      const FileDigest d = writer.write(file, [&m](std::ostream& o) { serializeModel(m, o); });
      written.push_back({file, d.sha256, d.bytes});
      by_content[key] = {file, data};
    };
    if (split.head) part(*split.head, "head", f.head, f.head_data);
    if (split.tail) part(*split.tail, "tail", f.tail, f.tail_data);
  }
  if (!weight_dirs.empty()) {
    if (progress) progress("writing the shared weights file (" + std::to_string(shared.tensors()) + " tensors)");
    const std::string first = weight_dirs.front() + kWeights;
    const FileDigest d = writer.write(first, [&shared](std::ostream& o) { shared.write(o); });
    for (const auto& dir : weight_dirs) {
      if (dir + kWeights != first) writer.link(first, dir + kWeights);
      written.push_back({dir + kWeights, d.sha256, d.bytes});
    }
  }
  std::sort(written.begin(), written.end(), [](const WrittenFile& a, const WrittenFile& b) { return a.path < b.path; });
  return files;
}

// The request as the table records it ("options"): file names only, so the
// same request from another folder gives the same table.
nlohmann::json requestJson(const PlanRequest& req) {
  using nlohmann::json;
  const PlanOptions& o = req.options;
  json shapes = json::object();
  for (const auto& s : req.input_shapes) shapes[s.name] = s.dims;
  auto strings = [](const auto& list) {
    json a = json::array();
    for (const auto& x : list) a.push_back(toString(x));
    return a;
  };
  auto side = [](const SideCosts& s) {
    json j = json::object();
    if (!s.profile.empty()) j["profile"] = fileName(s.profile);
    if (!s.ort_profile.empty()) j["ort_profile"] = fileName(s.ort_profile);
    return j;
  };
  json j = {{"objectives", strings(o.objectives)},
            {"precisions", strings(o.precisions)},
            {"loads", o.loads},
            {"min_mbps", o.min_mbps},
            {"max_mbps", o.max_mbps},
            {"rtt_ms", o.rtt_ms},
            {"down_mbps", o.down_mbps ? json(*o.down_mbps) : json(nullptr)},
            {"proof_effort", o.proof_effort},
            {"pin_device", o.pin_device},
            {"pin_cloud", o.pin_cloud},
            {"input_shapes", shapes},
            {"costs_csv", req.costs_csv.empty() ? json(nullptr) : json(fileName(req.costs_csv))},
            {"device", side(req.device)},
            {"cloud", side(req.cloud)},
            {"emit_onnx", req.emit_onnx},
            {"self_contained", req.self_contained}};
  if (!req.fidelity.calibration_dir.empty()) {
    const FidelityOptions& f = req.fidelity;
    j["calibration"] = fileName(f.calibration_dir);
    j["max_loss"] = f.max_loss;
    j["loss_metric"] = f.metric ? json(toString(*f.metric)) : json(nullptr);
    j["calibration_samples"] = f.max_samples;
  }
  return j;
}

}  // namespace

PlanResult planModel(const PlanRequest& req) {
  validateRequest(req);
  if (!req.output_dir.empty()) checkArtifactDirWritable(req.output_dir);

  LoadOptions lo;
  lo.input_shapes = req.input_shapes;
  lo.require_sizes = true;  // no plan at guessed sizes (docs/model-view.md)
  auto step = [&](const std::string& what) {
    if (req.progress) req.progress(what);
  };
  step("reading " + fileName(req.model));
  PlanResult r(ModelView::load(req.model, lo));
  r.warnings = r.model.warnings();
  step("costs of " + std::to_string(r.model.nodes().size()) + " nodes");
  loadCosts(req, r);
  r.graph = r.model.planGraph();
  step("planning " + std::to_string(req.options.objectives.size() * req.options.loads.size() *
                                    req.options.precisions.size()) + " tables");
  r.plans = planTables(r.graph, r.costs, r.model.nodeKeys(), req.options);
  nlohmann::json calibration;
  if (!req.fidelity.calibration_dir.empty())
    calibration = applyFidelity(r.model, r.graph, r.costs, req.options, req.fidelity, r.plans, req.progress);

  TableContext ctx{req.model, r.model.sha256(), r.device_costs, r.cloud_costs, {}, {}, requestJson(req), calibration};
  if (req.output_dir.empty()) {
    r.table = planTableJson(r.model, r.plans, req.options, ctx);
    return r;
  }
  ArtifactWriter writer(req.output_dir);
  if (req.emit_onnx) r.files = ctx.files = emitSplits(r, writer, ctx.written, req.self_contained, req.progress);
  r.table = planTableJson(r.model, r.plans, req.options, ctx);
  writer.write("plan-table.json", r.table.dump(2) + "\n");
  writer.commit();
  return r;
}

}  // namespace onnxcut
