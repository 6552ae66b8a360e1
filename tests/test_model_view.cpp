// The model view on small ONNX-text graphs, and on the real shared models
// (counts checked against figures measured independently with python3-onnx,
// ../shared/data/SOURCES.md).
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <fstream>
#include <unistd.h>

#include "bottlenecks.h"
#include "errors.h"
#include "model_view.h"
#include "test_util.h"

namespace onnxcut {
namespace {

using testing::fromText;
using testing::kDiamond;

const TensorInfo& tensor(const ModelView& mv, const std::string& name) {
  auto t = mv.findTensor(name);
  EXPECT_TRUE(t.has_value()) << name;
  return mv.tensors()[*t];
}

std::vector<std::string> bottleneckNames(const ModelView& mv) {
  std::vector<std::string> out;
  for (const auto& b : findBottlenecks(mv.planGraph())) out.push_back(mv.tensors()[b.tensor].name);
  return out;
}


TEST(ModelView, DiamondProducersConsumersAndSizes) {
  const ModelView mv = fromText(kDiamond);
  ASSERT_EQ(mv.nodes().size(), 4u);
  EXPECT_EQ(mv.constantNodes().size(), 0u);
  const auto& a = tensor(mv, "a");
  EXPECT_EQ(a.producer, 0);
  EXPECT_EQ(a.consumers, (std::vector<int>{1, 2}));  // fan-out
  EXPECT_EQ(a.bytes, 32);
  EXPECT_EQ(tensor(mv, "x").producer, -1);
  EXPECT_TRUE(tensor(mv, "y").is_graph_output);
  EXPECT_EQ(mv.nodes()[3].inputs.size(), 2u);  // merge
  // Unnamed nodes are keyed by their first output.
  EXPECT_EQ(mv.nodeKeys().names(), (std::vector<std::string>{"a", "b", "c", "y"}));
  // b and c are parallel: only x, a and y lie on every path.
  EXPECT_EQ(bottleneckNames(mv), (std::vector<std::string>{"x", "a", "y"}));
}

TEST(ModelView, WeightGeneratorsAndConstantsAreNotPlanned) {
  const ModelView mv = fromText(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 3, 8, 8] x) => (float[1, 4, 8, 8] y) {
  s = Constant <value = int64[4] {4, 3, 1, 1}> ()
  w = ConstantOfShape <value = float[1] {0.5}> (s)
  w2 = Mul (w, w)
  y = Conv (x, w2)
}
)");
  EXPECT_EQ(mv.nodes().size(), 1u);
  EXPECT_EQ(mv.constantNodes().size(), 3u);
  EXPECT_EQ(mv.nodes()[0].op_type, "Conv");
  EXPECT_FALSE(mv.findTensor("w2").has_value());  // constants are not data tensors
  EXPECT_EQ(tensor(mv, "y").bytes, 4 * 8 * 8 * 4);
}

TEST(ModelView, ShapeArithmeticIsFoldedThroughCast) {
  // Shape -> Cast -> Gather -> Concat -> Reshape, as Paddle/TF exports do;
  // ONNX 1.12's own data propagation stops at the Cast.
  const ModelView mv = fromText(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N, 6, 4] x) => (float[N, 24] y) {
  r = Relu (x)
  s = Shape (r)
  sf = Cast <to = 1> (s)
  si = Cast <to = 7> (sf)
  i0 = Constant <value = int64[1] {0}> ()
  n = Gather (si, i0)
  m1 = Constant <value = int64[1] {-1}> ()
  target = Concat <axis = 0> (n, m1)
  y = Reshape (r, target)
}
)",
                                 LoadOptions{{{"x", {2, 6, 4}}}});
  EXPECT_EQ(mv.nodes().size(), 2u);  // Relu, Reshape: the shape chain is constant
  const auto& y = tensor(mv, "y");
  ASSERT_TRUE(y.shape.has_value());
  EXPECT_EQ(*y.shape, (std::vector<int64_t>{2, 24}));
  EXPECT_TRUE(mv.unknownSizeTensors().empty());
}

TEST(ModelView, SymbolicDimsDefaultToOneOrTheUsersShape) {
  constexpr const char* kText = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[batch, 3, H, W] x) => (float[batch, 3, H, W] y) {
  y = Relu (x)
}
)";
  EXPECT_EQ(tensor(fromText(kText), "y").bytes, 3 * 4);
  const ModelView mv = fromText(kText, LoadOptions{{{"x", {2, 3, 5, 7}}}});
  EXPECT_EQ(tensor(mv, "y").bytes, 2 * 3 * 5 * 7 * 4);
}

TEST(ModelView, MultiOutputNodesAndDuplicateNames) {
  onnx::ModelProto m;
  ASSERT_TRUE(onnx::OnnxParser::Parse(m, R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 8] x) => (float[1, 4] y) {
  p, q = Split <axis = 1> (x)
  pr = Relu (p)
  qr = Relu (q)
  y = Add (pr, qr)
}
)").IsOK());
  // ONNX 1.12's text format has no node names: set them here.
  m.mutable_graph()->mutable_node(0)->set_name("dup");
  m.mutable_graph()->mutable_node(1)->set_name("dup");
  m.mutable_graph()->mutable_node(2)->set_name("solo");
  const ModelView mv = ModelView::fromProto(m, "<test>");
  ASSERT_EQ(mv.nodes().size(), 4u);
  EXPECT_EQ(mv.nodes()[0].outputs.size(), 2u);
  // A name used twice is no key: the first output names the node instead.
  EXPECT_EQ(mv.nodeKeys().names(), (std::vector<std::string>{"p", "pr", "solo", "y"}));
  EXPECT_EQ(tensor(mv, "q").bytes, 16);
}

TEST(ModelView, DataDependentShapesStayUnknown) {
  const ModelView mv = fromText(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 8] x) => (int64[?, 2] y) {
  r = Relu (x)
  y = NonZero (r)
}
)");
  ASSERT_EQ(mv.unknownSizeTensors().size(), 1u);
  EXPECT_EQ(mv.tensors()[mv.unknownSizeTensors()[0]].name, "y");
  EXPECT_FALSE(mv.planGraph().tensors[*mv.findTensor("y")].size_known);
}

void expectInputError(const char* text, const LoadOptions& opt, const std::string& needle) {
  try {
    fromText(text, opt);
    FAIL() << "expected an InputError containing: " << needle;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ModelView, BadInputShapesAreNamed) {
  expectInputError(kDiamond, {{{"nope", {1, 8}}}}, "'nope', which is not a graph input (inputs: x)");
  expectInputError(kDiamond, {{{"x", {1, 8, 1}}}}, "has rank 3, but input 'x' has rank 2");
  expectInputError(kDiamond, {{{"x", {1, 9}}}}, "axis 1 of input 'x' is fixed at 8, not 9");
  EXPECT_THROW(parseInputShape("x=1x0x3"), InputError);
  EXPECT_THROW(parseInputShape("x=1x-2"), InputError);
  EXPECT_THROW(parseInputShape("x"), InputError);
  EXPECT_EQ(parseInputShape("a=b=1x3").dims, (std::vector<int64_t>{1, 3}));
}

TEST(ModelView, BrokenGraphsAreNamed) {
  expectInputError(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 8] x) => (float[1, 8] y) {
  y = Relu (a)
  a = Relu (x)
}
)", {}, "not in topological order");
  expectInputError(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 8] x) => (float[1, 8] y) {
  y = Add (x, ghost)
}
)", {}, "reads tensor 'ghost', which no node, initializer or graph input produces");
  expectInputError(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 8] x) => (float[1, 8] y) {
  y = Relu (x)
  y = Sigmoid (x)
}
)", {}, "tensor 'y' is produced twice");
  expectInputError(R"(
<ir_version: 11, opset_import: ["" : 13]>
g (float[1, 8] x) => (float[1, 8] y) { y = Relu (x) }
)", {}, "IR version 11 is newer");
  expectInputError(R"(
<ir_version: 10, opset_import: ["" : 23]>
g (float[1, 8] x) => (float[1, 8] y) { y = Relu (x) }
)", {}, "opset 23 is newer");
}

// ---- The real shared models ----

std::filesystem::path sharedModel(const std::string& name) {
  return std::filesystem::path(ONNXCUT_SHARED_DIR) / "data" / "models" / name;
}

#define REQUIRE_SHARED(path)                                                   \
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data absent: " << (path)

struct SharedCase {
  const char* file;
  int total, planning;  // SOURCES.md: nodes total / on the data path
  std::vector<int64_t> output_shape;
};

TEST(SharedModels, CountsMatchIndependentFigures) {
  const std::vector<SharedCase> cases = {
      {"resnet50_light.onnx", 415, 176, {1, 1000}},
      {"googlenet_inception_v1_light.onnx", 237, 143, {1, 1000}},
      {"squeezenet1.0_light.onnx", 105, 66, {1, 1000, 1, 1}},
      {"vgg19_light.onnx", 82, 46, {1, 1000}},
      {"yolox_nano_416.onnx", 369, 369, {1, 3549, 85}},
      {"deeplabv3_mobilenetv2_257.onnx", 108, 108, {1, 257, 257, 21}},
  };
  for (const auto& c : cases) {
    const auto path = sharedModel(c.file);
    REQUIRE_SHARED(path);
    SCOPED_TRACE(c.file);
    const ModelView mv = ModelView::load(path.string());
    EXPECT_EQ(mv.totalNodes(), c.total);
    EXPECT_EQ(static_cast<int>(mv.nodes().size()), c.planning);
    EXPECT_EQ(static_cast<int>(mv.constantNodes().size()), c.total - c.planning);
    EXPECT_TRUE(mv.unknownSizeTensors().empty());
    ASSERT_EQ(mv.graphOutputs().size(), 1u);
    EXPECT_EQ(mv.tensors()[mv.graphOutputs()[0]].shape, c.output_shape);
  }
}

TEST(SharedModels, PaddleShapeChainIsFolded) {
  const auto path = sharedModel("ppocr_cls_mobilenetv3.onnx");
  REQUIRE_SHARED(path);
  // 220 nodes reach the input (SOURCES.md); the 5-node chain Shape -> Cast ->
  // Slice -> Cast -> Concat on a static tensor is constant (cost-model.md).
  const ModelView mv = ModelView::load(path.string(), {{{"x", {1, 3, 48, 192}}}});
  EXPECT_EQ(mv.nodes().size(), 215u);
  EXPECT_TRUE(mv.unknownSizeTensors().empty());
  EXPECT_EQ(mv.tensors()[mv.graphOutputs()[0]].shape, (std::vector<int64_t>{1, 2}));
}

TEST(SharedModels, LegacyModelFailsCleanly) {
  const auto path = sharedModel("edgecase_superres_ir1_legacy.onnx");
  REQUIRE_SHARED(path);
  try {
    ModelView::load(path.string());
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no opset_import"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace onnxcut

namespace onnxcut {
namespace {

// A model y = x + w whose w (4 floats) lives in external data at `location`,
// written to dir/model.onnx.
std::string writeExternalModel(const std::filesystem::path& dir, const std::string& location,
                               const std::string& offset = "0", const std::string& length = "16") {
  onnx::ModelProto m;
  EXPECT_TRUE(onnx::OnnxParser::Parse(m, R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[4] x) => (float[4] y) {
  y = Add (x, w)
}
)").IsOK());
  auto* w = m.mutable_graph()->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(4);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [k, v] : {std::pair<std::string, std::string>{"location", location}, {"offset", offset}, {"length", length}}) {
    auto* e = w->add_external_data();
    e->set_key(k);
    e->set_value(v);
  }
  const auto path = dir / "model.onnx";
  std::ofstream f(path, std::ios::binary);
  m.SerializeToOstream(&f);
  return path.string();
}

void expectRefused(const std::string& model, const std::string& needle) {
  try {
    ModelView::load(model);
    ADD_FAILURE() << "accepted " << model;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ModelView, ExternalDataMustStayInTheModelsFolder) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("onnxcut-external-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "model");
  std::ofstream(root / "outside.bin") << std::string(16, 'x');
  std::ofstream(root / "model/weights.bin") << std::string(16, 'x');
  const fs::path dir = root / "model";
  EXPECT_NO_THROW(ModelView::load(writeExternalModel(dir, "weights.bin")));
  expectRefused(writeExternalModel(dir, "/etc/passwd"), "'/etc/passwd' is outside the model's folder");
  expectRefused(writeExternalModel(dir, "../outside.bin"), "'../outside.bin' is outside the model's folder");
  expectRefused(writeExternalModel(dir, "sub/../../outside.bin"), "is outside the model's folder");
  fs::create_symlink(root / "outside.bin", dir / "link.bin");
  expectRefused(writeExternalModel(dir, "link.bin"), "'link.bin' leads outside the model's folder");
  expectRefused(writeExternalModel(dir, "missing.bin"), "'missing.bin' does not exist next to the model");
  expectRefused(writeExternalModel(dir, "weights.bin", "8", "16"), "runs past the end of the file (16 bytes)");
  expectRefused(writeExternalModel(dir, "weights.bin", "-1"), "offset/length must be whole numbers");
  expectRefused(writeExternalModel(dir, ""), "external data without a location");
  fs::remove_all(root);
}

}  // namespace
}  // namespace onnxcut

namespace onnxcut {
namespace {

onnx::ModelProto parse(const char* text) {
  onnx::ModelProto m;
  const auto status = onnx::OnnxParser::Parse(m, text);
  EXPECT_TRUE(status.IsOK()) << status.ErrorMessage();
  return m;
}

// Loading either succeeds or refuses with InputError naming the problem;
// nothing else may happen (the sanitizer build runs these too).
std::optional<std::string> loadError(const onnx::ModelProto& m) {
  try {
    ModelView::fromProto(m, "<hostile>");
    return std::nullopt;
  } catch (const InputError& e) {
    return std::string(e.what());
  }
}

TEST(ConstFold, UnsqueezeAxesOutOfRangeOrRepeatedAreNotFolded) {
  for (const char* axes : {"int64[1] {5}", "int64[1] {-9}", "int64[2] {0, 0}", "int64[2] {0, -3}"}) {
    SCOPED_TRACE(axes);
    std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 4] x) => (float[?] y) {
  s = Shape (x)
  a = Constant <value = )" + std::string(axes) + R"(> ()
  u = Unsqueeze (s, a)
  y = Reshape (x, u)
}
)";
    const auto m = parse(text.c_str());
    if (auto err = loadError(m)) {
      EXPECT_NE(err->find("<hostile>"), std::string::npos) << *err;
    } else {
      const ModelView mv = ModelView::fromProto(m, "<hostile>");
      EXPECT_FALSE(mv.tensors()[*mv.findTensor("y")].bytes.has_value());  // unknown, never garbage
    }
  }
}

TEST(ConstFold, BroadcastAgainstAnEmptyTensorIsEmpty) {
  const auto m = parse(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2, 3] x) => (float[2, 3] y) {
  s = Shape (x)
  e = Constant <value = int64[0] {}> ()
  o = Constant <value = int64[1] {5}> ()
  z = Add (o, e)
  c = Concat <axis = 0> (s, z)
  y = Reshape (x, c)
}
)");
  const ModelView mv = ModelView::fromProto(m, "<t>");  // [1] + [0] = [0]: c = s
  ASSERT_TRUE(mv.tensors()[*mv.findTensor("y")].bytes.has_value());
  EXPECT_EQ(*mv.tensors()[*mv.findTensor("y")].bytes, 24);
}

TEST(ModelLoad, TensorDataMustMatchItsDims) {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 4] x) => (float[?] y) {
  y = Reshape (x, shape)
}
)";
  auto withShape = [&](const std::function<void(onnx::TensorProto&)>& edit) {
    onnx::ModelProto m = parse(text);
    auto* t = m.mutable_graph()->add_initializer();
    t->set_name("shape");
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(2);
    const int64_t v[2] = {2, 2};
    t->set_raw_data(std::string(reinterpret_cast<const char*>(v), sizeof v));
    edit(*t);
    return m;
  };
  EXPECT_FALSE(loadError(withShape([](onnx::TensorProto&) {})).has_value());
  auto err = loadError(withShape([](onnx::TensorProto& t) { t.set_raw_data(std::string(8, '\0')); }));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("tensor 'shape': raw_data holds 8 bytes, its dims and type need 16"), std::string::npos) << *err;
  err = loadError(withShape([](onnx::TensorProto& t) { t.set_dims(0, -2); }));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("dims must be non-negative"), std::string::npos) << *err;
  err = loadError(withShape([](onnx::TensorProto& t) {
    t.set_dims(0, int64_t{1} << 40);
    t.add_dims(int64_t{1} << 40);
  }));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("product must fit in 64 bits"), std::string::npos) << *err;
  err = loadError(withShape([](onnx::TensorProto& t) {
    t.clear_raw_data();
    t.add_int64_data(2);
  }));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("holds 1 values, its dims say 2"), std::string::npos) << *err;
  err = loadError(withShape([](onnx::TensorProto& t) { t.set_data_type(77); }));
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("data type 77 is not an ONNX tensor type"), std::string::npos) << *err;
}

TEST(ConstFold, HugeSliceEndsAndCastsSaturate) {
  // INT64_MAX ends (exporters write them) and a cast of a huge float to
  // int32 must fold without undefined conversions.
  const auto m = parse(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 3, 4] x) => (float[?] y) {
  s = Shape (x)
  b = Constant <value = int64[1] {1}> ()
  e = Constant <value = int64[1] {9223372036854775807}> ()
  t = Slice (s, b, e)
  f = Constant <value = float[1] {1e30}> ()
  i = Cast <to = 6> (f)
  y = Reshape (x, t)
}
)");
  if (auto err = loadError(m)) FAIL() << *err;
}

}  // namespace
}  // namespace onnxcut
