// The deployment manifest of plan-table.json (docs/plan-table.md): what each
// side reads and writes, the exact wire tensors, which side computes which
// graph output, every file's SHA-256; identical files written once; the
// runtime library reads all of it back. (scripts/check_split.js checks the
// same manifest in ONNX Runtime on every model the split tests plan.)
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <set>

#include "onnxcut_runtime.h"
#include "onnxcut_wire.h"
#include "plan_request.h"
#include "planning.h"
#include "sha256.h"
#include "split.h"
#include "test_util.h"
#include "version.h"

namespace onnxcut {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Two inputs, two outputs: `aux` needs only x, `logits` needs c and m.
constexpr const char* kTwoByTwo = R"(
<ir_version: 8, opset_import: ["" : 13], producer_name: "tests">
g (float[1, 8] x, float[1, 8] m) => (float[1, 8] aux, float[1, 8] logits) {
  a = Relu (x)
  c = Sigmoid (a)
  aux = Tanh (a)
  d = Mul (c, m)
  logits = Exp (d)
}
)";

std::vector<std::string> names(const std::vector<PortTensor>& ports) {
  std::vector<std::string> out;
  for (const auto& p : ports) out.push_back(p.name);
  return out;
}

TEST(Manifest, Int8CutListsQuantizedTensorScaleAndZeroPoint) {
  const ModelView mv = testing::fromText(kTwoByTwo);
  DeviceSet d(mv.nodes().size(), 0);
  for (size_t v = 0; v < d.size(); ++v) {
    const auto& k = mv.nodes()[v].key;
    d[v] = k == "a" || k == "c" || k == "aux";
  }
  const SplitRequest req{0, d, Precision::int8, cutTensors(mv.planGraph(), d), "abc"};
  const SplitInterface io = splitInterface(mv, req);
  ASSERT_TRUE(io.has_head && io.has_tail);
  // m is a float graph input the cloud reads: the head quantizes it too, so
  // it reads m as well; cut tensors come in graph order (inputs first).
  EXPECT_EQ(names(io.head_inputs), (std::vector<std::string>{"x", "m"}));
  EXPECT_EQ(names(io.head_outputs),
            (std::vector<std::string>{"m__q", "m__scale", "m__zp", "c__q", "c__scale", "c__zp", "aux"}));
  EXPECT_EQ(names(io.tail_inputs), (std::vector<std::string>{"m__q", "m__scale", "m__zp", "c__q", "c__scale", "c__zp"}));
  EXPECT_EQ(io.head_outputs[3].encoding, "int8_q");
  EXPECT_EQ(mv.tensors()[io.head_outputs[3].tensor].name, "c");
  EXPECT_EQ(io.head_outputs[3].elem_type, onnx::TensorProto::UINT8);
  EXPECT_TRUE(io.head_outputs[4].scalar);
  EXPECT_EQ(io.head_outputs[4].encoding, "int8_scale");
  EXPECT_EQ(io.head_outputs[5].encoding, "int8_zero_point");
  EXPECT_EQ(io.head_outputs[6].encoding, "raw");
  EXPECT_EQ(names(io.tail_outputs), (std::vector<std::string>{"logits"}));
  ASSERT_EQ(io.device_outputs.size(), 1u);
  EXPECT_EQ(mv.tensors()[io.device_outputs[0]].name, "aux");
  ASSERT_EQ(io.cloud_outputs.size(), 1u);
  EXPECT_EQ(mv.tensors()[io.cloud_outputs[0]].name, "logits");

  // The files' own inputs and outputs are exactly these, in this order.
  const SplitResult s = splitModel(mv, req);
  auto protoNames = [](const auto& list) {
    std::vector<std::string> out;
    for (const auto& vi : list) out.push_back(vi.name());
    return out;
  };
  EXPECT_EQ(protoNames(s.head->graph().input()), names(io.head_inputs));
  EXPECT_EQ(protoNames(s.head->graph().output()), names(io.head_outputs));
  EXPECT_EQ(protoNames(s.tail->graph().input()), names(io.tail_inputs));
  EXPECT_EQ(protoNames(s.tail->graph().output()), names(io.tail_outputs));
}

struct Planned {
  fs::path dir;
  json table;
};

Planned planTo(const std::string& model, const std::string& name, std::vector<Precision> precisions) {
  PlanRequest req;
  req.model = model;
  req.device.profile = "raspberry-pi-4";
  req.cloud.profile = "nvidia-t4";
  req.options.precisions = std::move(precisions);
  req.options.loads = {1, 4};
  req.options.objectives = {Objective::latency, Objective::throughput};
  req.output_dir = (fs::temp_directory_path() / ("onnxcut_manifest_" + name)).string();
  req.emit_onnx = true;
  fs::remove_all(req.output_dir);
  PlanResult r = planModel(req);
  return {req.output_dir, r.table};
}

std::vector<std::string> protoNamesOf(const onnx::ModelProto& m, bool inputs) {
  std::vector<std::string> out;
  for (const auto& vi : inputs ? m.graph().input() : m.graph().output()) out.push_back(vi.name());
  return out;
}

std::vector<std::string> jsonNames(const json& list) {
  std::vector<std::string> out;
  for (const auto& e : list) out.push_back(e["name"].get<std::string>());
  return out;
}

onnx::ModelProto readProto(const fs::path& p) {
  onnx::ModelProto m;
  std::ifstream f(p, std::ios::binary);
  EXPECT_TRUE(m.ParseFromIstream(&f)) << p;
  return m;
}

// Every plan's manifest against its files; every file listed once with its
// hash; identical bytes written once; whole-model copies shared.
void checkDirectory(const Planned& p) {
  const json& t = p.table;
  EXPECT_EQ(t["version"], 2);
  EXPECT_EQ(t["tool"]["version"], toolVersion());
  std::map<std::string, json> listed;
  std::set<std::string> hashes;
  for (const auto& f : t["files"]) {
    const std::string path = f["path"];
    EXPECT_TRUE(listed.emplace(path, f).second) << path << " listed twice";
    EXPECT_EQ(sha256File((p.dir / path).string()), f["sha256"]) << path;
    EXPECT_EQ(fs::file_size(p.dir / path), f["bytes"].get<uint64_t>()) << path;
    EXPECT_TRUE(hashes.insert(f["sha256"].get<std::string>()).second) << path << ": the same bytes written twice";
  }
  size_t on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(p.dir))
    if (e.is_regular_file() && e.path().filename() != "plan-table.json") {
      ++on_disk;
      EXPECT_TRUE(listed.count(fs::relative(e.path(), p.dir).string())) << e.path() << " not in 'files'";
    }
  EXPECT_EQ(on_disk, listed.size());
  for (const auto& plan : t["plans"]) {
    for (const char* side : {"head", "tail"}) {
      const json& io = plan[std::string(side) + "_io"];
      if (plan[side].is_null()) {
        EXPECT_TRUE(io.is_null()) << "plan " << plan["id"] << " " << side;
        continue;
      }
      ASSERT_TRUE(listed.count(plan[side].get<std::string>())) << plan[side];
      ASSERT_FALSE(io.is_null());
      const onnx::ModelProto m = readProto(p.dir / plan[side].get<std::string>());
      EXPECT_EQ(protoNamesOf(m, true), jsonNames(io["inputs"])) << "plan " << plan["id"] << " " << side;
      EXPECT_EQ(protoNamesOf(m, false), jsonNames(io["outputs"])) << "plan " << plan["id"] << " " << side;
    }
    EXPECT_EQ(jsonNames(plan["wire"]), plan["tail_io"].is_null() ? std::vector<std::string>{}
                                                                 : jsonNames(plan["tail_io"]["inputs"]));
    // Every graph output comes from exactly one side.
    std::set<std::string> outs;
    for (const char* side : {"device", "cloud"})
      for (const auto& n : plan["outputs"][side]) EXPECT_TRUE(outs.insert(n.get<std::string>()).second);
    EXPECT_EQ(outs.size(), t["model"]["outputs"].size());
  }
}

TEST(Manifest, DirectoryMatchesItsFilesAndSharesWholeModelCopies) {
  const std::string model = std::string(ONNXCUT_SOURCE_DIR) + "/models/tinyyolov2_light.onnx";
  const Planned p = planTo(model, "yolo", {Precision::fp32, Precision::fp16, Precision::int8});
  checkDirectory(p);
  const json& t = p.table;
  // The all-device heads of every precision and the all-cloud fp32 tail
  // are the model itself: one file.
  const auto& base = t["baselines"];
  const std::string whole = t["plans"][base["device_only"]["fp32"].get<int>()]["head"];
  for (const char* prec : {"fp16", "int8"}) EXPECT_EQ(t["plans"][base["device_only"][prec].get<int>()]["head"], whole);
  EXPECT_EQ(t["plans"][base["cloud_only"]["fp32"].get<int>()]["tail"], whole);
  // Files at least the model's size: that one, and the all-cloud tails
  // that decode fp16/int8 (the model plus a Cast or DequantizeLinear).
  size_t full_size_files = 0;
  for (const auto& f : t["files"])
    if (f["bytes"].get<uint64_t>() >= fs::file_size(model)) ++full_size_files;
  std::set<std::string> decoding_tails;
  for (const char* prec : {"fp16", "int8"}) decoding_tails.insert(t["plans"][base["cloud_only"][prec].get<int>()]["tail"].get<std::string>());
  EXPECT_EQ(full_size_files, 1 + decoding_tails.size());
  EXPECT_EQ(decoding_tails.count(whole), 0u);
  // Without sharing, each of those plans had its own copy.
  size_t references = 0;
  for (const auto& plan : t["plans"])
    for (const char* side : {"head", "tail"}) references += plan[side].is_string();
  EXPECT_LT(t["files"].size(), references);
  fs::remove_all(p.dir);
}

TEST(Manifest, RuntimeLibraryReadsIt) {
  const std::string model = std::string(ONNXCUT_SOURCE_DIR) + "/models/resnet18_light.onnx";
  const Planned p = planTo(model, "resnet", {Precision::fp32, Precision::int8});
  checkDirectory(p);
  const auto loaded = runtime::loadPlanTable((p.dir / "plan-table.json").string());
  ASSERT_TRUE(loaded.ok()) << loaded.error;
  const runtime::PlanTable& rt = *loaded.value;
  EXPECT_EQ(rt.version, 2);
  EXPECT_EQ(rt.tool_name, "onnxcut");
  EXPECT_EQ(rt.tool_version, toolVersion());
  EXPECT_EQ(json::parse(rt.options_json), p.table["options"]);
  EXPECT_EQ(rt.model_file, "resnet18_light.onnx");
  ASSERT_EQ(rt.model_inputs.size(), p.table["model"]["inputs"].size());
  EXPECT_EQ(rt.files.size(), p.table["files"].size());
  ASSERT_EQ(rt.plans.size(), p.table["plans"].size());
  bool saw_int8_cut = false;
  for (const auto& plan : rt.plans) {
    const json& j = p.table["plans"][plan.id];
    ASSERT_EQ(plan.wire.size(), j["wire"].size());
    ASSERT_EQ(plan.cut.size(), j["cut"].size());
    for (size_t i = 0; i < plan.wire.size(); ++i) {
      EXPECT_EQ(plan.wire[i].name, j["wire"][i]["name"]);
      EXPECT_EQ(plan.wire[i].encoding, j["wire"][i]["encoding"]);
      EXPECT_EQ(plan.wire[i].dtype, j["wire"][i]["dtype"]);
      ASSERT_TRUE(plan.wire[i].bytes.has_value());
      EXPECT_EQ(*plan.wire[i].bytes, j["wire"][i]["bytes"].get<int64_t>());
      if (plan.wire[i].encoding == "int8_scale") {
        saw_int8_cut = true;
        EXPECT_EQ(*plan.wire[i].bytes, 4);
        ASSERT_TRUE(plan.wire[i].shape.has_value());
        EXPECT_TRUE(plan.wire[i].shape->empty());
      }
    }
    EXPECT_EQ(plan.head_io.has_value(), !j["head_io"].is_null());
    EXPECT_EQ(plan.tail_io.has_value(), !j["tail_io"].is_null());
    if (!plan.head.empty()) {
      const auto* f = rt.file(plan.head);
      ASSERT_NE(f, nullptr) << plan.head;
      EXPECT_EQ(f->sha256, sha256File((p.dir / plan.head).string()));
    }
    EXPECT_EQ(plan.device_outputs.size() + plan.cloud_outputs.size(), rt.model_outputs.size());
  }
  EXPECT_TRUE(saw_int8_cut) << "no int8 plan cuts a float tensor: the test checks nothing of the int8 wire";
  fs::remove_all(p.dir);
}

TEST(Manifest, RuntimeRefusesABadManifest) {
  const std::string model = std::string(ONNXCUT_SOURCE_DIR) + "/models/resnet18_light.onnx";
  const Planned p = planTo(model, "bad", {Precision::int8});
  size_t k = 0;  // a plan that sends something
  while (k < p.table["plans"].size() && p.table["plans"][k]["wire"].empty()) ++k;
  ASSERT_LT(k, p.table["plans"].size());
  auto expectError = [&](const std::function<void(json&)>& edit, const std::string& needle) {
    json t = p.table;
    edit(t);
    const auto r = runtime::parsePlanTable(t.dump());
    ASSERT_FALSE(r.ok()) << needle;
    EXPECT_NE(r.error.find(needle), std::string::npos) << r.error;
  };
  expectError([](json& t) { t["files"][0]["sha256"] = "xyz"; }, "64 lowercase hex");
  expectError([](json& t) { t["files"][0]["path"] = "../escape.onnx"; }, "not a plain path");
  expectError([](json& t) { t["files"] = 3; }, "'files' is not a list");
  expectError([&](json& t) { t["plans"][k]["wire"] = json::object(); }, "'wire' is not a list");
  expectError([&](json& t) { t["plans"][k]["wire"][0]["encoding"] = "int3"; }, "unknown encoding");
  expectError([&](json& t) { t["plans"][k]["wire"][0]["shape"] = {1, -2}; }, "whole number");
  expectError([&](json& t) { t["plans"][k]["head_io"] = 5; }, "'head_io' is not an object");
  expectError([&](json& t) { t["plans"][k]["outputs"]["device"] = {7}; }, "non-string");
  fs::remove_all(p.dir);
}

// The runtime library keeps its own table of ONNX data types (it links
// nothing of the planner): the names and sizes the plan table writes must be
// the ones the wire protocol reads.
TEST(Manifest, WireDtypesAreThePlanTablesDtypes) {
  for (int32_t code = 1; code <= 16; ++code) {
    const std::string name = runtime::wire::dtypeName(code);
    if (name.empty()) continue;
    EXPECT_EQ(dtypeName(code), name) << code;
    EXPECT_EQ(static_cast<size_t>(elementSize(code)), runtime::wire::elementBytes(code)) << name;
  }
  EXPECT_EQ(runtime::wire::dtypeCode(dtypeName(onnx::TensorProto::FLOAT16)), onnx::TensorProto::FLOAT16);
}

}  // namespace
}  // namespace onnxcut
