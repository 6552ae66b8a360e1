// `onnxcut profile MODEL -o costs.csv`: measures per-node latency on this
// machine with ONNX Runtime (onnxruntime-node): graph optimizations
// disabled, one thread, the first run dropped, median of the rest.
#include <fmt/format.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "artifact_writer.h"
#include "commands.h"
#include "data_dir.h"
#include "errors.h"
#include "files.h"
#include "external_data.h"
#include "model_view.h"
#include "ort_profile.h"
#include "process.h"


namespace onnxcut::cli {
namespace {
namespace fs = std::filesystem;

struct ProfileArgs {
  std::string model, out;
  std::vector<std::string> input_shapes;
  int runs = 10;
  bool kernel_only = false;
};

int runProfile(const ProfileArgs& a) {
  if (a.runs < 1) throw InputError("--runs must be at least 1");
  LoadOptions lo;
  for (const auto& s : a.input_shapes) lo.input_shapes.push_back(parseInputShape(s));
  lo.require_sizes = true;  // profiled at the sizes a plan uses
  const ModelView mv = ModelView::load(a.model, lo);
  // A copy whose planning nodes are named by their keys, so that ORT's
  // events name them exactly; input dims fixed as planned.
  onnx::ModelProto named = mv.model();
  for (const auto& n : mv.nodes()) named.mutable_graph()->mutable_node(n.proto_index)->set_name(n.key);
  ScratchDir scratch_dir("onnxcut-profile");
  struct {
    fs::path path;
  } scratch{scratch_dir.path()};
  const fs::path model_file = scratch.path / "model.onnx";
  {
    // Weights kept outside the model go beside the copy (ONNX Runtime reads
    // them relative to the file it loads).
    const auto ranges = relocateExternalData(named, mv.baseDir(), "model.onnx.data");
    if (!ranges.empty()) {
      std::ofstream data(scratch.path / "model.onnx.data", std::ios::binary);
      copyDataRanges(ranges, data);
      if (!data.flush()) throw InputError("cannot write a temporary copy of the model's external data");
    }
    std::ofstream f(model_file, std::ios::binary);
    if (!named.SerializeToOstream(&f)) throw InputError("cannot write a temporary copy of the model");
  }
  nlohmann::json inputs = nlohmann::json::array();
  for (int t : mv.graphInputs()) {
    const auto& ti = mv.tensors()[t];
    if (!ti.shape) throw InputError(a.model + ": input '" + ti.name + "' has no static shape; give --input-shape");
    inputs.push_back({{"name", ti.name}, {"shape", *ti.shape}, {"dtype", dtypeName(ti.elem_type)}});
  }
  const fs::path script = fs::path(dataDir()) / "scripts" / "ort_profile.js";
  std::error_code exists_ec;
  if (!fs::is_regular_file(script, exists_ec))
    throw InputError("the ONNX Runtime helper " + script.string() + " is missing (onnxcut's data folder: " +
                     (dataDir().empty() ? std::string("none found") : dataDir()) +
                     "; set ONNXCUT_DATA_DIR, or reinstall)");
  fmt::print(stderr, "profiling {} with ONNX Runtime: {} runs after one warm-up...\n", a.model, a.runs);
  // An argument vector, no shell: paths and the input list go as they are.
  const fs::path whole = scratch.path / "whole-run.json";
  std::vector<std::string> argv = {"node", script.string(), model_file.string(), std::to_string(a.runs + 1),
                                   inputs.dump(), (scratch.path / "prof").string()};
  if (!a.kernel_only) argv.push_back(whole.string());
  const ProcessResult run = runProcess(argv,
                                       /*capture_stdout=*/false, /*plain_stderr=*/true);
  if (!run.started)
    throw InputError("ONNX Runtime could not run the model: 'node' was not found (run 'make' to install it)");
  if (run.exit_code != 0)
    throw InputError("ONNX Runtime could not run the model (node exited with " + std::to_string(run.exit_code) +
                     "; were the npm packages installed by 'make'?)");
  fs::path profile;
  for (const auto& f : fs::directory_iterator(scratch.path))
    if (f.path().filename().string().starts_with("prof") && f.path().extension() == ".json") profile = f.path();
  if (profile.empty()) throw InputError("ONNX Runtime wrote no profile");
  const ModelView named_view = ModelView::fromProto(named, a.model, lo);
  std::vector<double> ms = readOrtProfile(profile.string(), named_view);
  double kernels = 0;
  for (double x : ms) kernels += x;
  // What a runtime sees is the whole run: the kernels plus the time between
  // them and around them (dispatch, allocation, the call from JavaScript).
  // That overhead is shared out evenly per node (it is per node, mostly),
  // so a head and a tail are charged their share (docs/profiles.md).
  double overhead = 0, whole_ms = 0;
  if (!a.kernel_only) {
    nlohmann::json w = nlohmann::json::parse(readWholeFile(whole.string(), "ONNX Runtime's run times"), nullptr, false);
    std::vector<double> runs;
    if (w.is_object() && w.contains("run_ms") && w["run_ms"].is_array())
      for (const auto& x : w["run_ms"])
        if (x.is_number() && std::isfinite(x.get<double>())) runs.push_back(x.get<double>());
    if (runs.empty()) throw InputError("ONNX Runtime reported no whole-run times");
    std::sort(runs.begin(), runs.end());
    whole_ms = runs[runs.size() / 2];
    overhead = std::max(0.0, whole_ms - kernels);
    if (!ms.empty())
      for (double& x : ms) x += overhead / static_cast<double>(ms.size());
  }
  std::string csv = "node,device_ms,cloud_ms\n";
  double total = 0;
  for (size_t v = 0; v < ms.size(); ++v) {
    std::string key = mv.nodes()[v].key;
    if (key.find_first_of(",\"") != std::string::npos) {
      std::string q = "\"";
      for (char c : key) q += c == '"' ? std::string("\"\"") : std::string(1, c);
      key = q + "\"";
    }
    csv += fmt::format("{},{:.6f},{:.6f}\n", key, ms[v], ms[v]);
    total += ms[v];
  }
  writeFileAtomically(a.out, csv);
  fmt::print("measured {} nodes: {:.3f} ms per frame in total (median of {} runs); wrote {}\n", ms.size(), total,
             a.runs, a.out);
  if (!a.kernel_only)
    fmt::print("  kernels {:.3f} ms, whole run {:.3f} ms: {:.3f} ms of overhead shared out over the nodes "
               "(--kernel-only: kernels alone)\n", kernels, whole_ms, overhead);
  return kExitOk;
}

}  // namespace

void registerProfile(CLI::App& app, Action& run) {
  auto a = std::make_shared<ProfileArgs>();
  auto* cmd = app.add_subcommand("profile", "Measure per-node latency on this machine with ONNX Runtime");
  cmd->add_option("model", a->model, "ONNX model file")->required();
  cmd->add_option("-o,--output", a->out, "Costs CSV to write (node,device_ms,cloud_ms)")->required();
  cmd->add_option("--input-shape", a->input_shapes, "Fix an input's dims, NAME=1x3x224x224 (repeatable)");
  cmd->add_option("--runs", a->runs, "Measured runs (after one warm-up)")->capture_default_str();
  cmd->add_flag("--kernel-only", a->kernel_only,
                "Per-node kernel times alone, without the run's overhead between kernels (for calibrate)");
  cmd->callback([a, &run] { run = [a] { return runProfile(*a); }; });
}

}  // namespace onnxcut::cli
