#include "plan_request.h"

#include <onnx/onnx_pb.h>

#include <filesystem>

#include "analytic.h"
#include "artifact_writer.h"
#include "costs_csv.h"
#include "errors.h"
#include "external_data.h"
#include "hw_profile.h"
#include "ort_profile.h"
#include "planning.h"
#include "split.h"

namespace onnxcut {
namespace {

std::string fileName(const std::string& path) { return std::filesystem::path(path).filename().string(); }

// Every problem with the request itself, before any work is done.
void validateRequest(const PlanRequest& req) {
  validateOptions(req.options);
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

// plans/<id>/head.onnx and tail.onnx for every plan, one at a time; returns
// what was written (a side with no file is left empty).
std::map<int, PlanFiles> emitSplits(PlanResult& r, ArtifactWriter& writer) {
  std::map<int, PlanFiles> files;
  for (const auto& p : r.plans.plans) {
    SplitResult split = splitModel(r.model, {p.id, p.device, p.precision, p.cut, r.model.sha256()});
    if (split.batch_fixed)
      r.warnings.push_back("plan " + std::to_string(p.id) +
                           ": a side needs the shape of a batch-dependent tensor it does not receive; its split "
                           "files fix the batch at 1");
    const std::string dir = "plans/" + std::to_string(p.id) + "/";
    auto stream = [](const onnx::ModelProto& m) { return [&m](std::ostream& o) { serializeModel(m, o); }; };
    PlanFiles& f = files[p.id];
    // Weights the model keeps outside go to a data file next to each part
    // (streamed from the model's files), never a reference back to them.
    auto part = [&](onnx::ModelProto& m, const char* name, std::string& file, std::string& data) {
      const auto ranges = relocateExternalData(m, r.model.baseDir(), std::string(name) + ".onnx.data");
      if (!ranges.empty())
        writer.write(data = dir + name + ".onnx.data", [&ranges](std::ostream& o) { copyDataRanges(ranges, o); });
      writer.write(file = dir + name + ".onnx", stream(m));
    };
    if (split.head) part(*split.head, "head", f.head, f.head_data);
    if (split.tail) part(*split.tail, "tail", f.tail, f.tail_data);
  }
  return files;
}

}  // namespace

PlanResult planModel(const PlanRequest& req) {
  validateRequest(req);
  if (!req.output_dir.empty()) checkArtifactDirWritable(req.output_dir);

  LoadOptions lo;
  lo.input_shapes = req.input_shapes;
  lo.require_sizes = true;  // no plan at guessed sizes (docs/model-view.md)
  PlanResult r(ModelView::load(req.model, lo));
  r.warnings = r.model.warnings();
  loadCosts(req, r);
  r.graph = r.model.planGraph();
  r.plans = planTables(r.graph, r.costs, r.model.nodeKeys(), req.options);

  TableContext ctx{req.model, r.model.sha256(), r.device_costs, r.cloud_costs, {}};
  if (req.output_dir.empty()) {
    r.table = planTableJson(r.model, r.plans, req.options, ctx);
    return r;
  }
  ArtifactWriter writer(req.output_dir);
  if (req.emit_onnx) r.files = ctx.files = emitSplits(r, writer);
  r.table = planTableJson(r.model, r.plans, req.options, ctx);
  writer.write("plan-table.json", r.table.dump(2) + "\n");
  writer.commit();
  return r;
}

}  // namespace onnxcut
