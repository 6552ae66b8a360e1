// FLOP and byte counts against hand-computed values for each modelled op;
// the roofline estimate; hardware profile parsing, bad files included.
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include "analytic.h"
#include "errors.h"
#include "hw_profile.h"
#include "test_util.h"

namespace onnxcut {
namespace {

std::vector<NodeWork> work(const char* text) { return analyzeNodes(testing::fromText(text)); }

// The work of the one node of a graph whose body computes y from
// x = float[1, 4, 8, 8] (opset 17).
NodeWork workOfBody(const std::string& body) {
  const std::string text = "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[1, 4, 8, 8] x) => (float y) {\n  " + body + "\n}\n";
  const auto w = work(text.c_str());
  EXPECT_EQ(w.size(), 1u);
  return w.empty() ? NodeWork{} : w[0];
}

TEST(Analytic, ConvolutionsHandComputed) {
  const auto w = work(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 16, 32, 32] x) => (float[1, 16, 16, 16] d) {
  s1 = Constant <value = int64[4] {32, 16, 3, 3}> ()
  w1 = ConstantOfShape <value = float[1] {0.1}> (s1)
  s32 = Constant <value = int64[1] {32}> ()
  b1 = ConstantOfShape <value = float[1] {0.0}> (s32)
  a = Conv <pads = [1, 1, 1, 1], strides = [2, 2]> (x, w1, b1)
  s2 = Constant <value = int64[4] {32, 1, 3, 3}> ()
  w2 = ConstantOfShape <value = float[1] {0.1}> (s2)
  b = Conv <group = 32, pads = [1, 1, 1, 1]> (a, w2)
  s3 = Constant <value = int64[4] {32, 16, 2, 2}> ()
  w3 = ConstantOfShape <value = float[1] {0.1}> (s3)
  c = ConvTranspose <strides = [2, 2]> (b, w3)
  s4 = Constant <value = int64[4] {16, 16, 3, 3}> ()
  w4 = ConstantOfShape <value = float[1] {0.1}> (s4)
  d = Conv <pads = [2, 2, 2, 2], dilations = [2, 2], strides = [2, 2]> (c, w4)
}
)");
  ASSERT_EQ(w.size(), 4u);
  // a: out 1x32x16x16, 2 * 8192 * (16*3*3) + bias 8192
  EXPECT_DOUBLE_EQ(w[0].flops, 2.0 * 8192 * 144 + 8192);
  EXPECT_EQ(w[0].cls, OpClass::conv);
  EXPECT_DOUBLE_EQ(w[0].bytes, (16 * 32 * 32 + 32 * 16 * 9 + 32 + 8192) * 4.0);
  // b: depthwise, 2 * 8192 * 9
  EXPECT_DOUBLE_EQ(w[1].flops, 2.0 * 8192 * 9);
  EXPECT_EQ(w[1].cls, OpClass::depthwise_conv);
  // c: transpose, input 1x32x16x16 -> each input element feeds 16*2*2 MACs
  EXPECT_DOUBLE_EQ(w[2].flops, 2.0 * 8192 * 16 * 4);
  // d: dilated strided conv, out 1x16x16x16 = 4096, 2 * 4096 * 16*9
  EXPECT_DOUBLE_EQ(w[3].flops, 2.0 * 4096 * 144);
}

TEST(Analytic, GemmMatMulPoolNormActivations) {
  const auto w = work(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[2, 8, 6, 6] x, float[3, 5, 7] p, float[3, 7, 4] q) => (float[2, 10] y, float[3, 5, 4] mm, float[2, 8, 3, 3] mp) {
  bn_s = Constant <value = float[8] {1, 1, 1, 1, 1, 1, 1, 1}> ()
  bn = BatchNormalization (x, bn_s, bn_s, bn_s, bn_s)
  sg = Sigmoid (bn)
  mp = MaxPool <kernel_shape = [2, 2], strides = [2, 2]> (sg)
  gap = GlobalAveragePool (sg)
  fl = Flatten (gap)
  ws = Constant <value = int64[2] {10, 8}> ()
  wfc = ConstantOfShape <value = float[1] {0.1}> (ws)
  y = Gemm <transB = 1> (fl, wfc)
  mm = MatMul (p, q)
}
)");
  ASSERT_EQ(w.size(), 7u);
  EXPECT_DOUBLE_EQ(w[0].flops, 2.0 * 576);       // BatchNorm: scale and shift
  EXPECT_DOUBLE_EQ(w[1].flops, 4.0 * 576);       // Sigmoid: 4 per element
  EXPECT_DOUBLE_EQ(w[2].flops, 144.0 * 4);       // MaxPool: out 2x8x3x3 x kernel 4
  EXPECT_DOUBLE_EQ(w[3].flops, 576.0);           // GlobalAveragePool: every input once
  EXPECT_DOUBLE_EQ(w[4].flops, 0.0);             // Flatten moves data only
  EXPECT_EQ(w[4].cls, OpClass::data_movement);
  EXPECT_DOUBLE_EQ(w[5].flops, 2.0 * 20 * 8);    // Gemm M=2 N=10 K=8
  EXPECT_DOUBLE_EQ(w[6].flops, 2.0 * 60 * 7);    // MatMul batch 3, 5x7 @ 7x4
  EXPECT_EQ(w[6].cls, OpClass::gemm);
}

TEST(Analytic, ElementwiseResizeSoftmaxAndUnknownOps) {
  const auto w = work(R"(
<ir_version: 8, opset_import: ["" : 13, "custom.domain" : 1]>
g (float[1, 4, 8, 8] x) => (float[1, 4, 16, 16] r, float[1, 4, 8, 8] sm, float[1, 4, 8, 8] u) {
  a = Add (x, x)
  sc = Constant <value = float[4] {1, 1, 2, 2}> ()
  r = Resize <mode = "linear"> (a, , sc)
  sm = Softmax <axis = 1> (a)
  u = custom.domain.MyOp (a)
}
)");
  ASSERT_EQ(w.size(), 4u);
  EXPECT_DOUBLE_EQ(w[0].flops, 256.0);
  EXPECT_DOUBLE_EQ(w[1].flops, 4.0 * 1024);
  EXPECT_DOUBLE_EQ(w[2].flops, 5.0 * 256);
  EXPECT_FALSE(w[3].modelled);
  EXPECT_EQ(w[3].cls, OpClass::other);
}

constexpr const char* kProfile = R"({
  "name": "test-dev", "sources": ["made up for the test"], "compute_precision": "fp32",
  "peak_gflops": {"fp32": 100}, "memory_gbps": 10, "memory_efficiency": 0.5, "overhead_ms": 0.01,
  "efficiency": {"conv": 0.5, "depthwise_conv": 0.1, "gemm": 0.5, "pool": 0.1, "norm": 0.1,
                 "elementwise": 0.1, "data_movement": 0.1, "other": 0.1}})";

TEST(Analytic, FusedOpsOfOnnxRuntimeCostTheOpTheyExtend) {
  const auto w = work(R"(
<ir_version: 8, opset_import: ["" : 17, "com.microsoft" : 1]>
g (float[1,3,8,8] x, float[4,3,3,3] k, float[2,16] m, float[16,5] f) => (float[?] a, float[?] b, float[?] c, float[?] d) {
  a = Conv <pads = [1, 1, 1, 1]>(x, k)
  b = com.microsoft.FusedConv <activation = "Relu", pads = [1, 1, 1, 1]>(x, k)
  c = MatMul(m, f)
  d = com.microsoft.FusedMatMul(m, f)
}
)");
  ASSERT_EQ(w.size(), 4u);
  EXPECT_GT(w[0].flops, 0);
  EXPECT_DOUBLE_EQ(w[1].flops, w[0].flops);
  EXPECT_TRUE(w[1].modelled);
  EXPECT_DOUBLE_EQ(w[3].flops, w[2].flops);
  EXPECT_DOUBLE_EQ(w[2].flops, 2.0 * 2 * 16 * 5);
}

TEST(Profiles, RooflineArithmetic) {
  const HwProfile p = parseProfile(kProfile, "t");
  NodeWork compute{1e9, 1e3, OpClass::conv, true};  // 1 GFLOP at 50 GFLOP/s = 20 ms
  EXPECT_NEAR(estimateMs(p, compute), 20.0 + 0.01, 1e-9);
  NodeWork memory{1e3, 50e6, OpClass::elementwise, true};  // 50 MB at 5 GB/s = 10 ms
  EXPECT_NEAR(estimateMs(p, memory), 10.0 + 0.01, 1e-9);
  // Scalar pow calls add to the roofline: 1e6 calls at the default 20 ns
  // = 20 ms, on top of 1 kB at 5 GB/s = 2e-4 ms.
  NodeWork lrn{1e3, 1e3, OpClass::norm, true, 1e6};
  EXPECT_NEAR(estimateMs(p, lrn), 20.0 + 0.01 + 2e-4, 1e-9);
  const HwProfile q = parseProfile(std::string(kProfile).replace(1, 0, "\"transcendental_ns\": 50, "), "t");
  EXPECT_NEAR(estimateMs(q, lrn), 50.0 + 0.01 + 2e-4, 1e-9);
  // Output windows: 1e5 windows at the default 16 FLOPs on top of 1 MFLOP,
  // at 10 GFLOP/s (pool efficiency 0.1) = 0.26 ms.
  NodeWork pool{1e6, 1e3, OpClass::pool, true, 0, 1e5};
  EXPECT_NEAR(estimateMs(p, pool), 0.26 + 0.01, 1e-9);
}

TEST(Analytic, OutputWindowsOfDepthwiseAndPooling) {
  // x = float[1, 4, 8, 8]; every op below writes 256 outputs except the
  // global pool (4) and the strided pool (64).
  const std::vector<std::pair<const char*, double>> cases = {
      {"w = Constant <value = float[4, 1, 3, 3] {1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1}> ()\n"
       "  y = Conv <group = 4, pads = [1, 1, 1, 1]> (x, w)", 256},
      {"w = Constant <value = float[4, 4, 1, 1] {1,1,1,1, 1,1,1,1, 1,1,1,1, 1,1,1,1}> ()\n  y = Conv (x, w)", 0},
      {"y = MaxPool <kernel_shape = [3, 3], pads = [1, 1, 1, 1]> (x)", 256},
      {"y = AveragePool <kernel_shape = [2, 2], strides = [2, 2]> (x)", 64},
      {"y = GlobalAveragePool (x)", 4},
      {"y = Relu (x)", 0}};
  for (const auto& [body, windows] : cases) {
    SCOPED_TRACE(body);
    const NodeWork w0 = workOfBody(body);
    EXPECT_DOUBLE_EQ(w0.windows, windows);
  }
}

TEST(Analytic, ScalarPowCallsCounted) {
  const double n = 256;
  const std::vector<std::pair<const char*, double>> cases = {
      {"y = LRN <size = 3> (x)", n},
      {"y = Pow (x, x)", n},
      {"e = Constant <value = float {1.7}> ()\n  y = Pow (x, e)", n},
      {"e = Constant <value = float {2}> ()\n  y = Pow (x, e)", 0},
      {"e = Constant <value = float {0.5}> ()\n  y = Pow (x, e)", 0},
      {"e = Constant <value = double {3}> ()\n  y = Pow (x, e)", 0},
      {"e = Constant <value = float[8] {2, 2, 2, 2, 2, 2, 2, 2}> ()\n  y = Pow (x, e)", n},  // not a scalar: not inspected
      {"y = Exp (x)", 0}, {"y = Sigmoid (x)", 0}, {"y = Relu (x)", 0}};
  for (const auto& [body, calls] : cases) {
    SCOPED_TRACE(body);
    const NodeWork w0 = workOfBody(body);
    EXPECT_DOUBLE_EQ(w0.transcendentals, calls);
  }
  // An exponent held in an initializer counts the same way.
  const auto w = work("<ir_version: 8, opset_import: [\"\" : 17]>\n"
                      "g (float[1, 4, 8, 8] x) => (float y) <float e = {2.0}> {\n  y = Pow (x, e)\n}\n");
  ASSERT_EQ(w.size(), 1u);
  EXPECT_DOUBLE_EQ(w[0].transcendentals, 0);
}

void expectProfileError(const std::string& text, const std::string& needle) {
  try {
    parseProfile(text, "p.json");
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Profiles, BadFilesNameTheField) {
  std::string s = kProfile;
  expectProfileError("[1, 2]", "not a JSON object");
  expectProfileError(std::string(kProfile).replace(s.find("\"memory_gbps\": 10"), 17, "\"memory_gbps\": \"x\""), "'memory_gbps' must be a number");
  expectProfileError(std::string(kProfile).replace(s.find("\"conv\": 0.5"), 11, "\"conv\": 1.5"), "'conv' must be a positive number <= 1");
  expectProfileError(std::string(kProfile).replace(s.find("\"fp32\": 100"), 11, "\"fp16\": 100"), "no entry for compute_precision 'fp32'");
  expectProfileError(std::string(kProfile).replace(s.find("\"sources\": [\"made up for the test\"],"), 36, ""), "'sources' must list");
  expectProfileError(std::string(kProfile).replace(1, 0, "\"transcendental_ns\": -1, "), "'transcendental_ns' must be a positive number");
  expectProfileError(std::string(kProfile).replace(1, 0, "\"window_flops\": \"many\", "), "'window_flops' must be a number");
  expectProfileError(std::string(kProfile).replace(s.find("\"pool\": 0.1"), 11, "\"poool\": 0.1"), "unknown op class 'poool'");
  EXPECT_THROW(resolveProfilePath("no-such-device"), InputError);
}

TEST(Profiles, BundledProfilesAllParse) {
  for (const char* name : {"raspberry-pi-4", "jetson-nano", "snapdragon-865-cpu", "x86-edge-i5", "nvidia-t4",
                           "nvidia-a100", "cloud-cpu-c6i-8x"}) {
    SCOPED_TRACE(name);
    const HwProfile p = readProfile(resolveProfilePath(name));
    EXPECT_EQ(p.name, name);
    EXPECT_GT(p.peak_gflops, 0);
    EXPECT_FALSE(p.sources.empty());
  }
}

}  // namespace
}  // namespace onnxcut

namespace onnxcut {
namespace {

// Every elementwise, reduction, normalisation and data-movement op the model
// knows, on x = float[1, 4, 8, 8] (256 elements): FLOPs per the table in
// analytic.cpp, computed by hand here.
struct OpCase {
  const char* body;  // ONNX text producing y from x (opset 17)
  double flops;
  OpClass cls;
};

TEST(Analytic, EveryModelledOpHandComputed) {
  const double n = 256;
  const std::vector<OpCase> cases = {
      {"y = Relu (x)", n, OpClass::elementwise}, {"y = LeakyRelu (x)", 2 * n, OpClass::elementwise},
      {"y = Abs (x)", n, OpClass::elementwise}, {"y = Neg (x)", n, OpClass::elementwise},
      {"y = Floor (x)", n, OpClass::elementwise}, {"y = Ceil (x)", n, OpClass::elementwise},
      {"y = Round (x)", n, OpClass::elementwise}, {"y = Sign (x)", n, OpClass::elementwise},
      {"y = Reciprocal (x)", n, OpClass::elementwise}, {"y = Sqrt (x)", n, OpClass::elementwise},
      {"y = Exp (x)", n, OpClass::elementwise}, {"y = Log (x)", n, OpClass::elementwise},
      {"y = Sigmoid (x)", 4 * n, OpClass::elementwise}, {"y = Tanh (x)", 4 * n, OpClass::elementwise},
      {"y = HardSigmoid (x)", 3 * n, OpClass::elementwise}, {"y = HardSwish (x)", 4 * n, OpClass::elementwise},
      {"y = Elu (x)", 4 * n, OpClass::elementwise}, {"y = Selu (x)", 5 * n, OpClass::elementwise},
      {"y = Softplus (x)", 3 * n, OpClass::elementwise}, {"y = Softsign (x)", 3 * n, OpClass::elementwise},
      {"y = Erf (x)", 4 * n, OpClass::elementwise}, {"y = ThresholdedRelu (x)", n, OpClass::elementwise},
      {"y = Celu (x)", 4 * n, OpClass::elementwise}, {"y = Clip (x)", 2 * n, OpClass::elementwise},
      {"y = Cast <to = 1> (x)", n, OpClass::elementwise}, {"y = PRelu (x, x)", 2 * n, OpClass::elementwise},
      {"y = Add (x, x)", n, OpClass::elementwise}, {"y = Sub (x, x)", n, OpClass::elementwise},
      {"y = Mul (x, x)", n, OpClass::elementwise}, {"y = Div (x, x)", n, OpClass::elementwise},
      {"y = Pow (x, x)", n, OpClass::elementwise}, {"y = Max (x, x, x)", 2 * n, OpClass::elementwise},
      {"y = Min (x, x)", n, OpClass::elementwise}, {"y = Sum (x, x, x)", 2 * n, OpClass::elementwise},
      {"y = Mean (x, x)", n, OpClass::elementwise},
      {"y = Softmax <axis = 1> (x)", 5 * n, OpClass::elementwise},
      {"y = LogSoftmax <axis = 1> (x)", 5 * n, OpClass::elementwise},
      {"y = ReduceMean <axes = [1]> (x)", n, OpClass::elementwise},
      {"y = ReduceSum (x)", n, OpClass::elementwise}, {"y = ReduceMax <axes = [2, 3]> (x)", n, OpClass::elementwise},
      {"y = LRN <size = 3> (x)", n * 6, OpClass::norm},
      {"s = Constant <value = float[4] {1, 1, 1, 1}> ()\n  y = InstanceNormalization (x, s, s)", 5 * n, OpClass::norm},
      {"s = Constant <value = float[8] {1, 1, 1, 1, 1, 1, 1, 1}> ()\n  y = LayerNormalization (x, s)", 5 * n, OpClass::norm},
      {"y = GlobalMaxPool (x)", n, OpClass::pool},
      {"y = AveragePool <kernel_shape = [3, 3], pads = [1, 1, 1, 1]> (x)", n * 9, OpClass::pool},
      {"y = LpPool <kernel_shape = [2, 2], strides = [2, 2]> (x)", 64 * 4, OpClass::pool},
      {"y = Transpose <perm = [0, 2, 3, 1]> (x)", 0, OpClass::data_movement},
      {"y = Identity (x)", 0, OpClass::data_movement}, {"y = Flatten (x)", 0, OpClass::data_movement},
      {"s = Constant <value = int64[2] {1, 256}> ()\n  y = Reshape (x, s)", 0, OpClass::data_movement},
      {"a = Constant <value = int64[1] {0}> ()\n  y = Unsqueeze (x, a)", 0, OpClass::data_movement},
      {"y = Concat <axis = 1> (x, x)", 0, OpClass::data_movement},
      {"p = Constant <value = int64[8] {0, 0, 1, 1, 0, 0, 1, 1}> ()\n  y = Pad (x, p)", 0, OpClass::data_movement},
      {"i = Constant <value = int64[1] {1}> ()\n  y = Gather <axis = 1> (x, i)", 0, OpClass::data_movement},
      {"r = Constant <value = int64[4] {1, 2, 1, 1}> ()\n  y = Tile (x, r)", 0, OpClass::data_movement},
      {"y = DepthToSpace <blocksize = 2> (x)", 0, OpClass::data_movement},
      {"sc = Constant <value = float[4] {1, 1, 2, 2}> ()\n  y = Resize <mode = \"nearest\"> (x, , sc)", 1024, OpClass::data_movement},
      {"sc = Constant <value = float[4] {1, 1, 2, 2}> ()\n  y = Resize <mode = \"cubic\"> (x, , sc)", 1024 * 16, OpClass::data_movement},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    const NodeWork w0 = workOfBody(c.body);
    EXPECT_DOUBLE_EQ(w0.flops, c.flops);
    EXPECT_EQ(w0.cls, c.cls);
    EXPECT_TRUE(w0.modelled);
  }
}

}  // namespace
}  // namespace onnxcut
