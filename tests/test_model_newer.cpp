// Constant folding op by op, and the analysis-only lowering of newer opsets
// (docs/model-view.md): sizes the model view finds for shape arithmetic and
// for opset 18-22 forms, each checked against the ONNX definition by hand.
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

#include "errors.h"
#include "model_view.h"
#include "test_util.h"

namespace onnxcut {
namespace {

using testing::fromText;

std::optional<std::vector<int64_t>> shapeOf(const ModelView& mv, const std::string& name) {
  auto t = mv.findTensor(name);
  if (!t) return std::nullopt;
  return mv.tensors()[*t].shape;
}

struct FoldCase {
  const char* name;
  int opset;
  const char* weights;  // initializers, without the <>
  const char* body;     // computes int64 't' from constants
  std::vector<int64_t> expected;
};

// y = Reshape(x, t): y's shape is known only if t was folded.
std::string foldModel(const FoldCase& c) {
  std::string w = c.weights;
  return std::string("<ir_version: 8, opset_import: [\"\" : ") + std::to_string(c.opset) +
         "]>\ng (float[1,24] x) => (float[?] y)\n" + (w.empty() ? "" : "<" + w + ">\n") + "{\n" + c.body +
         "\n  y = Reshape(x, t)\n}\n";
}

class Fold : public ::testing::TestWithParam<FoldCase> {};

TEST_P(Fold, ReshapeTargetIsFolded) {
  const FoldCase& c = GetParam();
  const std::string text = foldModel(c);
  const ModelView mv = fromText(text.c_str());
  const auto s = shapeOf(mv, "y");
  ASSERT_TRUE(s.has_value()) << c.name << ": y has no static shape\n" << text;
  EXPECT_EQ(*s, c.expected) << c.name;
}

const FoldCase kFoldCases[] = {
    {"split", 13, "int64[4] v = {5, 2, 3, 4}, int64[2] sp = {1, 3}", "  a, t = Split <axis = 0>(v, sp)", {2, 3, 4}},
    {"split_attr_opset11", 11, "int64[4] v = {5, 2, 3, 4}", "  a, t = Split <axis = 0, split = [1, 3]>(v)", {2, 3, 4}},
    {"split_equal", 13, "int64[4] v = {2, 12, 2, 12}", "  t, b = Split <axis = 0>(v)", {2, 12}},
    {"split_num_outputs_uneven_opset18", 18, "int64[5] v = {2, 3, 4, 9, 9}",
     "  t, b = Split <axis = 0, num_outputs = 2>(v)", {2, 3, 4}},
    {"slice_2d", 13, "int64[2,3] m = {2, 3, 4, 6, 1, 4}, int64[2] st = {1, 0}, int64[2] en = {2, 3}, int64[2] ax = {0, 1}, int64[1] flat = {-1}",
     "  s = Slice(m, st, en, ax)\n  t = Reshape(s, flat)", {6, 1, 4}},
    {"slice_negative_step", 13, "int64[3] v = {4, 3, 2}, int64[1] st = {-1}, int64[1] en = {-9}, int64[1] ax = {0}, int64[1] step = {-1}",
     "  t = Slice(v, st, en, ax, step)", {2, 3, 4}},
    {"gather_axis1", 13, "int64[2,3] m = {9, 2, 9, 9, 12, 9}, int64[1] i = {1}, int64[1] flat = {-1}",
     "  g = Gather <axis = 1>(m, i)\n  t = Reshape(g, flat)", {2, 12}},
    {"gather_scalar_index", 13, "int64[3] v = {7, 24, 7}, int64 i = {1}, int64[1] zero = {0}",
     "  g = Gather(v, i)\n  t = Unsqueeze(g, zero)", {24}},
    {"concat_2d_axis1", 13, "int64[1,1] a = {2}, int64[1,2] b = {3, 4}, int64[1] flat = {-1}",
     "  c = Concat <axis = 1>(a, b)\n  t = Reshape(c, flat)", {2, 3, 4}},
    {"range", 13, "int64 s = {2}, int64 l = {5}, int64 d = {1}", "  t = Range(s, l, d)", {2, 3, 4}},
    {"range_negative_delta", 13, "int64 s = {4}, int64 l = {1}, int64 d = {-1}, int64[1] flat = {-1}",
     "  r = Range(s, l, d)\n  t = Reshape(r, flat)", {4, 3, 2}},
    {"where", 13, "bool[3] c = {1, 0, 1}, int64[3] a = {2, 0, 4}, int64[3] b = {0, 3, 0}", "  t = Where(c, a, b)", {2, 3, 4}},
    {"equal_where", 13, "int64[3] a = {1, 5, 1}, int64[3] one = {1, 1, 1}, int64[3] p = {2, 0, 4}, int64[3] q = {0, 3, 0}",
     "  c = Equal(a, one)\n  t = Where(c, p, q)", {2, 3, 4}},
    {"less_greater_and_or_not", 13,
     "int64[3] a = {1, 5, 1}, int64[3] b = {2, 2, 2}, int64[3] p = {2, 0, 4}, int64[3] q = {0, 3, 0}",
     "  l = Less(a, b)\n  g = Greater(a, b)\n  n = Not(g)\n  k = And(l, n)\n  o = Or(k, l)\n  t = Where(o, p, q)", {2, 3, 4}},
    {"less_or_equal_xor", 13, "int64[3] a = {2, 5, 2}, int64[3] b = {2, 2, 2}, bool[3] f = {0, 0, 0}, int64[3] p = {2, 0, 4}, int64[3] q = {0, 3, 0}",
     "  l = LessOrEqual(a, b)\n  x2 = Xor(l, f)\n  t = Where(x2, p, q)", {2, 3, 4}},
    {"mod_python_sign", 13, "int64[3] a = {-22, -9, 4}, int64[3] b = {24, 12, 5}", "  t = Mod(a, b)", {2, 3, 4}},
    {"mod_fmod", 13, "int64[3] a = {26, 15, 4}, int64[3] b = {24, 12, 5}", "  t = Mod <fmod = 1>(a, b)", {2, 3, 4}},
    {"pow", 13, "int64[3] a = {2, 3, 2}, int64[3] b = {1, 1, 2}", "  t = Pow(a, b)", {2, 3, 4}},
    {"arith_broadcast", 13, "int64[3] a = {4, 6, 8}, int64 two = {2}, int64 one = {1}, int64 zero = {0}",
     "  d = Div(a, two)\n  m = Mul(d, one)\n  s = Sub(m, zero)\n  t = Add(s, zero)", {2, 3, 4}},
    {"max_min_variadic", 13, "int64[3] a = {1, 3, 9}, int64[3] b = {2, 1, 1}, int64[3] c = {0, 0, 4}, int64[3] big = {9, 9, 4}",
     "  m = Max(a, b, c)\n  t = Min(m, big, m)", {2, 3, 4}},
    {"sum_mean_variadic", 13, "int64[3] a = {1, 1, 1}, int64[3] b = {1, 2, 3}, int64[3] c = {3, 6, 8}, int64[3] z = {0, 0, 0}",
     "  s = Sum(a, b, c)\n  m = Mean(s, s, s)\n  k = Sub(m, c)\n  t = Sum(k, z)", {2, 3, 4}},
    {"expand", 13, "int64[1] two = {2}, int64[1] n = {2}, int64[1] six = {6}",
     "  e = Expand(two, n)\n  t = Concat <axis = 0>(e, six)", {2, 2, 6}},
    {"tile", 13, "int64[1] two = {2}, int64[1] reps = {2}, int64[1] six = {6}",
     "  e = Tile(two, reps)\n  t = Concat <axis = 0>(e, six)", {2, 2, 6}},
    {"transpose", 13, "int64[2,2] m = {2, 4, 3, 1}, int64[1] flat = {-1}",
     "  p = Transpose <perm = [1, 0]>(m)\n  t = Reshape(p, flat)", {2, 3, 4, 1}},
    {"reduce_prod_attr", 13, "int64[2,2] m = {2, 3, 4, 1}", "  t = ReduceProd <axes = [0], keepdims = 0>(m)", {8, 3}},
    {"reduce_sum_axes_input", 13, "int64[2,2] m = {1, 1, 11, 1}, int64[1] ax = {0}",
     "  t = ReduceSum <keepdims = 0>(m, ax)", {12, 2}},
    {"reduce_max_min_keepdims", 13, "int64[2,2] m = {2, 12, 1, 3}, int64[1] flat = {-1}",
     "  a = ReduceMax <axes = [0], keepdims = 1>(m)\n  t = Reshape(a, flat)", {2, 12}},
    {"reduce_max_opset18_axes_input", 18, "int64[2,2] m = {2, 12, 1, 3}, int64[1] ax = {0}",
     "  t = ReduceMax <keepdims = 0>(m, ax)", {2, 12}},
    {"reduce_min_all", 13, "int64[2,2] m = {24, 30, 26, 25}, int64[1] flat = {-1}",
     "  a = ReduceMin <keepdims = 0>(m)\n  t = Reshape(a, flat)", {24}},
    {"flatten_squeeze", 13, "int64[1,3] m = {2, 3, 4}, int64[1] zero = {0}",
     "  f = Flatten <axis = 0>(m)\n  t = Squeeze(f, zero)", {2, 3, 4}},
    {"cast_round_abs_neg_sign", 13, "float[3] f = {2.5, 3.4, 3.6}, int64[3] n = {-1, -1, -1}",
     "  r = Round(f)\n  c = Cast <to = 7>(r)\n  a = Neg(c)\n  b = Abs(a)\n  s = Sign(n)\n  k = Neg(s)\n  t = Mul(b, k)", {2, 3, 4}},
    {"castlike_floor_ceil", 15, "float[3] f = {2.7, 3.0, 4.9}, int64[1] like = {0}",
     "  a = Floor(f)\n  b = Ceil(f)\n  c = Floor(b)\n  m = Min(a, c)\n  h = Ceil(m)\n  t = CastLike(h, like)", {2, 3, 4}},
    {"shape_start_end", 15, "", "  t = Shape <start = 1>(x)", {24}},
    {"size_unsqueeze", 13, "int64[1] zero = {0}", "  s = Size(x)\n  t = Unsqueeze(s, zero)", {24}},
    {"constant_of_shape", 13, "int64[1] one = {1}",
     "  t = ConstantOfShape <value = int64[1] {24}>(one)", {24}},
    {"constant_node_value_ints", 13, "", "  t = Constant <value_ints = [2, 3, 4]>()", {2, 3, 4}},
};

INSTANTIATE_TEST_SUITE_P(Ops, Fold, ::testing::ValuesIn(kFoldCases),
                         [](const auto& info) { return std::string(info.param.name); });

// ---- Lowering of opset 18-22 forms ----

const ModelView& keep(const ModelView& mv) { return mv; }

TEST(Lowering, ReduceNoopWithEmptyAxesIsIdentity) {
  const ModelView mv = fromText(R"(
<ir_version: 9, opset_import: ["" : 18]>
g (float[2,3,4] x) => (float[?] y, float[?] z) {
  y = ReduceMax <noop_with_empty_axes = 1>(x)
  z = ReduceMean <keepdims = 0>(x)
}
)");
  EXPECT_EQ(shapeOf(mv, "y"), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(shapeOf(mv, "z"), (std::vector<int64_t>{}));  // all axes reduced
}

TEST(Lowering, ResizeKeepAspectRatioPolicies) {
  const ModelView mv = fromText(R"(
<ir_version: 9, opset_import: ["" : 18]>
g (float[1,3,10,20] x) => (float[?] a, float[?] b, float[?] c) <int64[2] sizes = {5, 5}, float[2] scales = {0.5, 2.0}> {
  a = Resize <axes = [2, 3], keep_aspect_ratio_policy = "not_larger">(x, , , sizes)
  b = Resize <axes = [2, 3], keep_aspect_ratio_policy = "not_smaller">(x, , , sizes)
  c = Resize <axes = [2, 3], antialias = 1>(x, , scales)
}
)");
  // not_larger: scale min(5/10, 5/20) = 0.25 -> 3 (2.5 rounded half up) x 5
  EXPECT_EQ(shapeOf(mv, "a"), (std::vector<int64_t>{1, 3, 3, 5}));
  // not_smaller: scale 0.5 -> 5 x 10
  EXPECT_EQ(shapeOf(mv, "b"), (std::vector<int64_t>{1, 3, 5, 10}));
  EXPECT_EQ(shapeOf(mv, "c"), (std::vector<int64_t>{1, 3, 5, 40}));
}

TEST(Lowering, PadAxesFromAConstantNodeAndWrapMode) {
  const ModelView mv = fromText(R"(
<ir_version: 9, opset_import: ["" : 19]>
g (float[1,3,8,8] x) => (float[?] y) <int64[2] pads = {1, 2}> {
  ax = Constant <value = int64[1] {-1}>()
  y = Pad <mode = "wrap">(x, pads, , ax)
}
)");
  EXPECT_EQ(shapeOf(mv, "y"), (std::vector<int64_t>{1, 3, 8, 11}));
}

TEST(Lowering, SplitNumOutputsOfAnInferredDim) {
  const ModelView mv = fromText(R"(
<ir_version: 9, opset_import: ["" : 18]>
g (float[1,7,4] x) => (float[?] a, float[?] b, float[?] c) {
  r = Relu(x)
  a, b, c = Split <axis = 1, num_outputs = 3>(r)
}
)");
  EXPECT_EQ(shapeOf(mv, "a"), (std::vector<int64_t>{1, 3, 4}));
  EXPECT_EQ(shapeOf(mv, "c"), (std::vector<int64_t>{1, 1, 4}));
}

TEST(Lowering, PoolsDeformConvGridSampleDft) {
  const ModelView mv = fromText(R"(
<ir_version: 10, opset_import: ["" : 20]>
g (float[1,2,9,9] x, float[1,4,4,2] grid, float[1,8,1] sig, float[3,2,3,3] w, float[1,18,7,7] off) => (float[?] avg, float[?] lp, float[?] dc, float[?] gs, float[?] ft)
<int64[1] axis = {1}>
{
  avg = AveragePool <kernel_shape = [3, 3], dilations = [2, 2]>(x)
  lp = LpPool <kernel_shape = [2, 2], strides = [2, 2], ceil_mode = 1>(x)
  dc = DeformConv <kernel_shape = [3, 3]>(x, w, off)
  gs = GridSample <mode = "linear">(x, grid)
  ft = DFT(sig, , axis)
}
)");
  EXPECT_EQ(shapeOf(mv, "avg"), (std::vector<int64_t>{1, 2, 5, 5}));  // effective kernel 5
  EXPECT_EQ(shapeOf(mv, "lp"), (std::vector<int64_t>{1, 2, 5, 5}));   // ceil(7/2)+1
  EXPECT_EQ(shapeOf(mv, "dc"), (std::vector<int64_t>{1, 3, 7, 7}));
  EXPECT_EQ(shapeOf(mv, "gs"), (std::vector<int64_t>{1, 2, 4, 4}));
  EXPECT_EQ(shapeOf(mv, "ft"), (std::vector<int64_t>{1, 8, 2}));
}

TEST(Lowering, NewShapePreservingOpsAndBitwise) {
  const ModelView mv = fromText(R"(
<ir_version: 10, opset_import: ["" : 21]>
g (float[1,4,3] x, int32[4,1] a, int32[3] b) => (float[?] y, int32[?] z)
<float[4] s = {1.0, 1.0, 1.0, 1.0}, float[4] o = {0.0, 0.0, 0.0, 0.0}>
{
  g1 = Gelu(x)
  m = Mish(g1)
  y = GroupNormalization <num_groups = 2>(m, s, o)
  n = BitwiseNot(a)
  z = BitwiseAnd(n, b)
}
)");
  EXPECT_EQ(shapeOf(mv, "y"), (std::vector<int64_t>{1, 4, 3}));
  EXPECT_EQ(shapeOf(mv, "z"), (std::vector<int64_t>{4, 3}));
}

TEST(Lowering, AxesThatAreNotConstantStayUnknownWithAWarning) {
  const ModelView mv = fromText(R"(
<ir_version: 9, opset_import: ["" : 18]>
g (float[2,3,4] x, int64[1] ax) => (float[?] y) {
  y = ReduceMax(x, ax)
}
)");
  EXPECT_FALSE(shapeOf(mv, "y").has_value());
  bool named = false;
  for (const auto& w : mv.warnings()) named = named || w.find("ReduceMax") != std::string::npos;
  EXPECT_TRUE(named);
}

TEST(Lowering, MicrosoftFusedOps) {
  const ModelView mv = fromText(R"(
<ir_version: 8, opset_import: ["" : 17, "com.microsoft" : 1]>
g (float[1,3,8,8] x, float[2,16] m, float[4,3,3,3] w, float[16,5] f, float[16] sk) => (float[?] c, float[?] k, float[?] s) {
  c = com.microsoft.FusedConv <activation = "Relu", strides = [2, 2]>(x, w)
  k = com.microsoft.FusedMatMul(m, f)
  s = com.microsoft.SkipLayerNormalization(m, m, sk)
}
)");
  EXPECT_EQ(shapeOf(mv, "c"), (std::vector<int64_t>{1, 4, 3, 3}));
  EXPECT_EQ(shapeOf(mv, "k"), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(shapeOf(mv, "s"), (std::vector<int64_t>{2, 16}));
}

TEST(Lowering, ModelLocalFunctionsAreLoweredToo) {
  const ModelView mv = fromText(R"(
<ir_version: 9, opset_import: ["" : 18, "local" : 1]>
g (float[1,4,6] x) => (float[?] y) {
  a = Relu(x)
  y = local.MyMean(a)
}
<domain: "local", opset_import: ["" : 18]>
MyMean (t) => (u) {
  ax = Constant <value = int64[1] {2}>()
  s = Split <axis = 2, num_outputs = 2>(t)
  u = ReduceMean <keepdims = 1>(t, ax)
}
)");
  EXPECT_EQ(shapeOf(mv, "y"), (std::vector<int64_t>{1, 4, 1}));
}

TEST(Lowering, TheModelItselfKeepsItsOwnForms) {
  const ModelView mv = fromText(R"(
<ir_version: 10, opset_import: ["" : 21]>
g (float[1,4] x) => (float[?] y) <int64[1] ax = {1}> {
  y = ReduceMean <keepdims = 1>(x, ax)
}
)");
  const auto& node = mv.model().graph().node(0);
  EXPECT_EQ(node.op_type(), "ReduceMean");
  EXPECT_EQ(node.input_size(), 2);  // axes still an input
  EXPECT_EQ(mv.model().ir_version(), 10);
  EXPECT_EQ(mv.model().opset_import(0).version(), 21);
  EXPECT_EQ(shapeOf(keep(mv), "y"), (std::vector<int64_t>{1, 1}));
}

TEST(NewerTypes, Float8TensorsHaveOneByteElements) {
  // The text parser of ONNX 1.12 has no float8 names: the zero point is
  // retyped to FLOAT8E4M3FN (17, IR 9) after parsing.
  onnx::ModelProto m;
  ASSERT_TRUE(onnx::OnnxParser::Parse(m, R"(
<ir_version: 9, opset_import: ["" : 19]>
g (float[1,8] x) => (float[1,8] y) <float s = {0.5}, uint8 zp = {0}> {
  q = QuantizeLinear(x, s, zp)
  y = DequantizeLinear(q, s, zp)
}
)").IsOK());
  for (auto& t : *m.mutable_graph()->mutable_initializer())
    if (t.name() == "zp") {
      t.set_data_type(kFloat8E4M3FN);
      t.clear_int32_data();
      t.set_raw_data(std::string(1, '\0'));
    }
  const ModelView mv = ModelView::fromProto(m, "<test>");
  const auto q = mv.findTensor("q");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(dtypeName(mv.tensors()[*q].elem_type), "float8e4m3fn");
  EXPECT_EQ(mv.tensors()[*q].bytes, 8);
}

// ---- Dynamic dims ----

TEST(DynamicDims, BatchIsProbedAndSpatialDimsAreRefusedForPlanning) {
  const char* text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N,3,H,W] x) => (float[?] y) <float[2,3,1,1] w = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}> {
  c = Conv(x, w)
  y = GlobalAveragePool(c)
}
)";
  const ModelView mv = fromText(text);
  ASSERT_EQ(mv.dynamicDims().size(), 3u);
  EXPECT_TRUE(mv.dynamicDims()[0].batch);
  EXPECT_EQ(mv.dynamicDims()[0].param, "N");
  EXPECT_FALSE(mv.dynamicDims()[1].batch);
  EXPECT_EQ(mv.dimParams("y"), (std::vector<std::string>{"N", "", "", ""}));
  LoadOptions strict;
  strict.require_sizes = true;
  try {
    fromText(text, strict);
    FAIL() << "unknown spatial dims were planned";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("x=1x3xHxW"), std::string::npos) << e.what();
  }
  strict.input_shapes = {{"x", {1, 3, 16, 16}}};
  const ModelView given = fromText(text, strict);
  // The batch the user sized stays symbolic; H and W are now real.
  ASSERT_EQ(given.dynamicDims().size(), 1u);
  EXPECT_TRUE(given.dynamicDims()[0].given);
  EXPECT_EQ(given.dimParams("y"), (std::vector<std::string>{"N", "", "", ""}));
  EXPECT_EQ(given.tensors()[*given.findTensor("c")].shape, (std::vector<int64_t>{1, 2, 16, 16}));
}

TEST(DynamicDims, BatchThatTheModelFixesIsNotKeptSymbolic) {
  // The Reshape hard-codes batch 1: at batch 2 the element counts disagree.
  const ModelView mv = fromText(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[N,8] x) => (float[?] y) <int64[2] s = {1, 8}> {
  r = Relu(x)
  y = Reshape(r, s)
}
)");
  EXPECT_TRUE(mv.dimParams("r").empty());
  bool warned = false;
  for (const auto& w : mv.warnings()) warned = warned || w.find("does not run at another batch") != std::string::npos;
  EXPECT_TRUE(warned);
}

}  // namespace
}  // namespace onnxcut
