// The model view on small ONNX-text graphs, and on the real shared models
// (counts checked against figures measured independently with python3-onnx,
// ../shared/data/SOURCES.md).
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <filesystem>

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
<ir_version: 10, opset_import: ["" : 13]>
g (float[1, 8] x) => (float[1, 8] y) { y = Relu (x) }
)", {}, "IR version 10 is newer");
  expectInputError(R"(
<ir_version: 8, opset_import: ["" : 21]>
g (float[1, 8] x) => (float[1, 8] y) { y = Relu (x) }
)", {}, "opset 21 is newer");
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
