// Split heads and tails on small ONNX-text graphs: each side passes the ONNX
// checker and shape inference, carries exactly the constants it needs, and
// exposes the right inputs and outputs. (tests/split/ runs them in ONNX
// Runtime.)
#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <set>

#include "errors.h"
#include "model_view.h"
#include "test_util.h"
#include "planning.h"
#include "split.h"

namespace onnxcut {
namespace {

using testing::fromText;
using testing::kDiamond;

DeviceSet deviceSet(const ModelView& mv, const std::set<std::string>& on_device) {
  DeviceSet d(mv.nodes().size(), 0);
  for (size_t v = 0; v < d.size(); ++v) d[v] = on_device.count(mv.nodes()[v].key) ? 1 : 0;
  return d;
}

SplitResult split(const ModelView& mv, const std::set<std::string>& on_device, Precision p) {
  const DeviceSet d = deviceSet(mv, on_device);
  return splitModel(mv, {7, d, p, cutTensors(mv.planGraph(), d), "abc"});
}

void expectValid(const onnx::ModelProto& m) {
  onnx::ModelProto copy = m;
  EXPECT_NO_THROW(onnx::checker::check_model(copy));
  onnx::ShapeInferenceOptions strict(true, 1, true);
  EXPECT_NO_THROW(onnx::shape_inference::InferShapes(copy, onnx::OpSchemaRegistry::Instance(), strict));
}

std::vector<std::string> names(const google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.name());
  return out;
}

std::vector<std::string> inits(const onnx::ModelProto& m) {
  std::vector<std::string> out;
  for (const auto& i : m.graph().initializer()) out.push_back(i.name());
  return out;
}


TEST(Split, DiamondCutAfterTheFork) {
  const ModelView mv = fromText(kDiamond);
  const auto s = split(mv, {"a", "b"}, Precision::fp32);
  ASSERT_TRUE(s.head && s.tail);
  expectValid(*s.head);
  expectValid(*s.tail);
  EXPECT_EQ(names(s.head->graph().input()), (std::vector<std::string>{"x"}));
  // Cut in graph order: a (read by c on the cloud), b (read by y).
  EXPECT_EQ(names(s.head->graph().output()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names(s.tail->graph().input()), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(names(s.tail->graph().output()), (std::vector<std::string>{"y"}));
  EXPECT_EQ(s.head->graph().node_size(), 2);
  EXPECT_EQ(s.tail->graph().node_size(), 2);
  // Kept from the original; linked to the model, never to a plan (plans
  // share identical files: docs/plan-table.md).
  EXPECT_EQ(s.head->producer_name(), "tests");
  EXPECT_EQ(s.head->opset_import(0).version(), 13);
  ASSERT_GT(s.head->metadata_props_size(), 0);
  EXPECT_EQ(s.head->metadata_props(0).key(), "onnxcut.split");
  EXPECT_NE(s.head->metadata_props(0).value().find("\"model_sha256\""), std::string::npos);
  EXPECT_EQ(s.head->metadata_props(0).value().find("plan"), std::string::npos);
  EXPECT_EQ(s.head->metadata_props(0).value(), s.tail->metadata_props(0).value());
}

TEST(Split, GraphOutputProducedOnTheDevice) {
  const ModelView mv = fromText(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 8] x) => (float[1, 8] early, float[1, 8] late) {
  early = Relu (x)
  late = Sigmoid (early)
}
)");
  const auto s = split(mv, {"early"}, Precision::fp16);
  ASSERT_TRUE(s.head && s.tail);
  expectValid(*s.head);
  expectValid(*s.tail);
  // The device keeps `early` at full precision and sends its fp16 form.
  EXPECT_EQ(names(s.head->graph().output()), (std::vector<std::string>{"early__fp16", "early"}));
  EXPECT_EQ(names(s.tail->graph().input()), (std::vector<std::string>{"early__fp16"}));
  EXPECT_EQ(names(s.tail->graph().output()), (std::vector<std::string>{"late"}));
}

TEST(Split, CutOnTheRawInput) {
  const ModelView mv = fromText(kDiamond);
  const auto fp32 = split(mv, {}, Precision::fp32);
  EXPECT_FALSE(fp32.head);  // the runtime sends the raw input as it is
  ASSERT_TRUE(fp32.tail);
  EXPECT_EQ(names(fp32.tail->graph().input()), (std::vector<std::string>{"x"}));
  const auto int8 = split(mv, {}, Precision::int8);
  ASSERT_TRUE(int8.head && int8.tail);
  expectValid(*int8.head);
  expectValid(*int8.tail);
  EXPECT_EQ(int8.head->graph().node(0).op_type(), "DynamicQuantizeLinear");
  EXPECT_EQ(names(int8.tail->graph().input()), (std::vector<std::string>{"x__q", "x__scale", "x__zp"}));
  EXPECT_EQ(int8.tail->graph().node(0).op_type(), "DequantizeLinear");
}

TEST(Split, AllDeviceHasNoTail) {
  const ModelView mv = fromText(kDiamond);
  const auto s = split(mv, {"a", "b", "c", "y"}, Precision::int8);
  ASSERT_TRUE(s.head);
  EXPECT_FALSE(s.tail);
  EXPECT_EQ(names(s.head->graph().output()), (std::vector<std::string>{"y"}));
}

TEST(Split, SharedConstantsAreCopiedToEachSideThatNeedsThem) {
  const ModelView mv = fromText(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 4] x, float[4] shared, float[4] only_tail) => (float[1, 4] y)
  <float[4] shared = {1, 2, 3, 4}, float[4] only_tail = {5, 6, 7, 8}>
{
  s = Constant <value = int64[1] {4}> ()
  gen = ConstantOfShape <value = float[1] {0.5}> (s)
  a = Mul (x, shared)
  b = Add (a, gen)
  c = Mul (b, shared)
  y = Add (c, only_tail)
}
)");
  const auto s = split(mv, {"a", "b"}, Precision::fp32);
  ASSERT_TRUE(s.head && s.tail);
  expectValid(*s.head);
  expectValid(*s.tail);
  EXPECT_EQ(inits(*s.head), (std::vector<std::string>{"shared"}));
  EXPECT_EQ(inits(*s.tail), (std::vector<std::string>{"shared", "only_tail"}));
  // The weight generator goes only where it is read.
  EXPECT_EQ(s.head->graph().node_size(), 4);  // Constant, ConstantOfShape, a, b
  EXPECT_EQ(s.tail->graph().node_size(), 2);
}

TEST(Split, StaticShapeBecomesAConstantOnTheCloud) {
  // Shape(r) is constant (r has a static shape) and feeds the cloud's
  // Reshape, but r itself stays on the device: the tail gets a Constant.
  const ModelView mv = fromText(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2, 6, 4] x) => (float[2, 6, 4] y) {
  r = Relu (x)
  t = Sigmoid (r)
  s = Shape (r)
  y = Reshape (t, s)
}
)");
  ASSERT_EQ(mv.nodes().size(), 3u);  // Relu, Sigmoid, Reshape
  const auto s = split(mv, {"r", "t"}, Precision::fp32);
  ASSERT_TRUE(s.head && s.tail);
  expectValid(*s.tail);
  EXPECT_EQ(names(s.tail->graph().input()), (std::vector<std::string>{"t"}));
  EXPECT_EQ(s.tail->graph().node(0).op_type(), "Constant");
  EXPECT_EQ(s.tail->graph().node(0).output(0), "s");
}

TEST(Split, Opset9Int8UsesTheEquivalentFormulation) {
  const ModelView mv = fromText(R"(
<ir_version: 4, opset_import: ["" : 9]>
g (float[1, 8] x) => (float[1, 8] y) {
  a = Relu (x)
  y = Sigmoid (a)
}
)");
  const auto s = split(mv, {"a"}, Precision::int8);
  ASSERT_TRUE(s.head && s.tail);
  expectValid(*s.head);
  expectValid(*s.tail);
  for (const auto& n : s.head->graph().node()) EXPECT_NE(n.op_type(), "DynamicQuantizeLinear");
  for (const auto& n : s.tail->graph().node()) EXPECT_NE(n.op_type(), "DequantizeLinear");
  EXPECT_EQ(names(s.tail->graph().input()), (std::vector<std::string>{"a__q", "a__scale", "a__zp"}));
}

TEST(Split, SerializationIsDeterministic) {
  const ModelView mv = fromText(kDiamond);
  const auto s1 = split(mv, {"a"}, Precision::int8), s2 = split(mv, {"a"}, Precision::int8);
  EXPECT_EQ(serializeModel(*s1.head), serializeModel(*s2.head));
  EXPECT_EQ(serializeModel(*s1.tail), serializeModel(*s2.tail));
}

}  // namespace
}  // namespace onnxcut
