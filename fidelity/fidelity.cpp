#include "fidelity.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "data_dir.h"
#include "errors.h"
#include "files.h"
#include "precision_ops.h"
#include "process.h"
#include "shared_weights.h"
#include "split.h"

namespace onnxcut {

namespace fs = std::filesystem;

struct FidelityLab::Scratch {
  ScratchDir dir{"onnxcut-fidelity"};
};

const char* toString(LossMetric m) { return m == LossMetric::top1 ? "top1" : "rel-l2"; }

LossMetric parseLossMetric(const std::string& s) {
  if (s == "top1") return LossMetric::top1;
  if (s == "rel-l2") return LossMetric::rel_l2;
  throw InputError("unknown loss metric '" + s + "' (allowed: top1, rel-l2)");
}

LossMetric defaultLossMetric(const ModelView& mv) {
  const auto& outs = mv.graphOutputs();
  if (outs.size() != 1) return LossMetric::rel_l2;
  const TensorInfo& t = mv.tensors()[outs[0]];
  if (t.elem_type != onnx::TensorProto::FLOAT || !t.shape || t.shape->size() != 2) return LossMetric::rel_l2;
  return (*t.shape)[1] >= 2 ? LossMetric::top1 : LossMetric::rel_l2;
}

namespace {

int64_t opsetOf(const onnx::ModelProto& m) {
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  return 0;
}

}  // namespace

onnx::ModelProto quantizedModel(const ModelView& mv, const onnx::ModelProto& base, const TransferQuery& q) {
  onnx::ModelProto m = base;
  const int64_t opset = opsetOf(m);
  auto* g = m.mutable_graph();
  std::map<int, std::vector<size_t>> before;         // proto index -> cut entries inserted right before it
  std::map<int, std::vector<std::string>> readers;   // proto index -> tensor names it reads decoded
  for (size_t i = 0; i < q.cut.size(); ++i) {
    const TensorInfo& ti = mv.tensors()[q.cut[i]];
    if (ti.elem_type != onnx::TensorProto::FLOAT) continue;
    if (q.precision == Precision::fp32 || (q.precision == Precision::mixed && q.bits.at(i) >= 32)) continue;
    int first = -1;
    for (int v : ti.consumers) {
      if (q.device[v]) continue;
      const int k = mv.nodes()[v].proto_index;
      readers[k].push_back(ti.name);
      if (first < 0 || k < first) first = k;
    }
    if (first >= 0) before[first].push_back(i);
  }
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  nodes.Swap(g->mutable_node());
  for (int k = 0; k < nodes.size(); ++k) {
    for (size_t i : before[k]) {
      const TensorInfo& ti = mv.tensors()[q.cut[i]];
      onnx::GraphProto tmp;
      if (q.precision != Precision::mixed) {
        appendEncode(tmp, ti.name, q.precision, opset);
        appendDecode(tmp, ti.name, q.precision, opset);
      } else if (q.bits[i] == 16 || q.bits[i] == 8) {  // as fp16 and int8 plans send them
        const Precision p = q.bits[i] == 16 ? Precision::fp16 : Precision::int8;
        appendEncode(tmp, ti.name, p, opset);
        appendDecode(tmp, ti.name, p, opset);
      } else {
        appendEncodeBits(tmp, ti.name, q.bits[i], *ti.shape, opset);
        appendDecodeBits(tmp, ti.name, q.bits[i], *ti.shape, opset);
      }
      for (auto& n : *tmp.mutable_node()) {
        for (auto& o : *n.mutable_output())
          if (o == ti.name) o = ti.name + "__dq";
        *g->add_node() = std::move(n);
      }
    }
    onnx::NodeProto& n = *g->add_node();
    n = std::move(nodes[k]);
    if (auto it = readers.find(k); it != readers.end())
      for (auto& in : *n.mutable_input())
        if (std::find(it->second.begin(), it->second.end(), in) != it->second.end()) in += "__dq";
  }
  return m;
}

FidelityLab::FidelityLab(const ModelView& mv, const std::vector<CalibrationSample>& samples, LossMetric metric)
    : mv_(mv), metric_(metric), scratch_(std::make_unique<Scratch>()) {
  script_ = (fs::path(dataDir()) / "scripts" / "fidelity.js").string();
  std::error_code ec;
  if (!fs::is_regular_file(script_, ec))
    throw InputError("the ONNX Runtime helper " + script_ + " is missing (onnxcut's data folder: " +
                     (dataDir().empty() ? std::string("none found") : dataDir()) + "; set ONNXCUT_DATA_DIR, or reinstall)");
  dir_ = scratch_->dir.path();
  base_ = std::make_unique<onnx::ModelProto>(mv.model());
  SharedWeights weights(mv.baseDir(), &mv.model());
  const bool shared = weights.adopt(*base_, "weights.data");
  if (shared) {
    std::ofstream w(fs::path(dir_) / "weights.data", std::ios::binary);
    weights.write(w);
    if (!w.flush()) throw InputError("cannot write the model's weights to " + dir_);
  }
  {
    std::ofstream f(fs::path(dir_) / "base.onnx", std::ios::binary);
    serializeModel(*base_, f);
    if (!f.flush()) throw InputError("cannot write a copy of the model to " + dir_);
  }
  nlohmann::json js = nlohmann::json::array();
  for (size_t s = 0; s < samples.size(); ++s) {
    nlohmann::json feeds = nlohmann::json::object();
    for (const auto& [name, t] : samples[s].feeds) {
      const std::string file = "s" + std::to_string(s) + "." + std::to_string(feeds.size()) + ".bin";
      std::ofstream f(fs::path(dir_) / file, std::ios::binary);
      f.write(t.bytes.data(), static_cast<std::streamsize>(t.bytes.size()));
      if (!f.flush()) throw InputError("cannot write calibration inputs to " + dir_);
      feeds[name] = {{"file", file}, {"dtype", dtypeName(t.elem_type)}, {"dims", t.dims}};
    }
    js.push_back({{"name", samples[s].name}, {"feeds", feeds}});
  }
  samples_json_ = js.dump();
  num_samples_ = static_cast<int>(samples.size());
}

FidelityLab::~FidelityLab() = default;

std::vector<std::optional<std::vector<double>>> FidelityLab::measure(const std::vector<Eval>& evals) {
  if (evals.empty()) return {};
  const std::string call = "c" + std::to_string(calls_++);
  nlohmann::json list = nlohmann::json::array();
  std::vector<std::string> written;
  for (size_t e = 0; e < evals.size(); ++e) {
    const std::string file = call + "e" + std::to_string(e) + ".onnx";
    const onnx::ModelProto m = quantizedModel(mv_, *base_, evals[e].query);
    std::ofstream f(fs::path(dir_) / file, std::ios::binary);
    serializeModel(m, f);
    if (!f.flush()) throw InputError("cannot write a calibration model to " + dir_);
    written.push_back(file);
    nlohmann::json j = {{"id", std::to_string(e)}, {"model", file}, {"samples", evals[e].samples}};
    if (!evals[e].group.empty()) {
      j["group"] = evals[e].group;
      j["stop_above"] = evals[e].stop_above;
    }
    list.push_back(j);
  }
  nlohmann::json job = {{"reference", "base.onnx"},
                        {"metric", metric_ == LossMetric::top1 ? "top1" : "rel_l2"},
                        {"samples", nlohmann::json::parse(samples_json_)},
                        {"evaluations", list}};
  const std::string job_file = (fs::path(dir_) / (call + ".json")).string();
  {
    std::ofstream f(job_file);
    f << job.dump();
    if (!f.flush()) throw InputError("cannot write " + job_file);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const ProcessResult r = runProcess({"node", script_, job_file}, /*capture_stdout=*/true, /*plain_stderr=*/true);
  seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& f : written) fs::remove(fs::path(dir_) / f);
  if (!r.started) throw InputError("ONNX Runtime could not run: 'node' was not found (run 'make' to install it)");
  if (r.exit_code != 0)
    throw InputError("ONNX Runtime could not measure the calibration models (node exited with " +
                     std::to_string(r.exit_code) + "; its message is above)");
  const auto out = nlohmann::json::parse(r.out, nullptr, false);
  if (!out.is_object() || !out.contains("evaluations")) throw InputError("ONNX Runtime's helper gave no results");
  std::vector<std::optional<std::vector<double>>> res(evals.size());
  for (const auto& e : out["evaluations"]) {
    const size_t id = std::stoul(e.at("id").get<std::string>());
    if (id >= res.size() || e.at("skipped").get<bool>()) continue;
    res[id] = e.at("losses").get<std::vector<double>>();
  }
  runs_ += out.value("runs", 0L);
  return res;
}

}  // namespace onnxcut
