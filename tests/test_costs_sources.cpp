// Costs without a CSV: calibration recovers known parameters from synthetic
// measurements; ONNX Runtime profiles are parsed (and refused when bad).
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <cmath>

#include "calibrate.h"
#include "errors.h"
#include "ort_profile.h"
#include "test_util.h"

namespace onnxcut {
namespace {

using testing::fromText;
using testing::kDiamond;

// Big convolutions and a matmul (compute-bound), a few elementwise ops and a
// concat (memory-bound), a batch norm and an LRN (its pow calls), two
// max pools of different windows: every fitted parameter below is
// identifiable.
constexpr const char* kMixed = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 64, 56, 56] x) => (float[1, 128, 56, 56] y, float[1, 64, 256] z, float[1, 64, 56, 56] l,
                             float[1, 64, 56, 56] p3, float[1, 64, 56, 56] p7) {
  s1 = Constant <value = int64[4] {64, 64, 3, 3}> ()
  w1 = ConstantOfShape <value = float[1] {0.1}> (s1)
  a = Conv <pads = [1, 1, 1, 1]> (x, w1)
  r = Relu (a)
  b = Conv <pads = [1, 1, 1, 1]> (r, w1)
  s = Add (b, x)
  y = Concat <axis = 1> (s, r)
  ms = Constant <value = int64[3] {1, 3136, 256}> ()
  mw = ConstantOfShape <value = float[1] {0.1}> (ms)
  f = Reshape (s, fs)
  fs = Constant <value = int64[3] {1, 64, 3136}> ()
  z = MatMul (f, mw)
  cs = Constant <value = int64[1] {64}> ()
  c1 = ConstantOfShape <value = float[1] {1}> (cs)
  nb = BatchNormalization (r, c1, c1, c1, c1)
  l = LRN <size = 5> (nb)
  p3 = MaxPool <kernel_shape = [3, 3], pads = [1, 1, 1, 1]> (x)
  p7 = MaxPool <kernel_shape = [7, 7], pads = [3, 3, 3, 3]> (x)
}
)";

TEST(Calibrate, RecoversKnownParameters) {
  // fs is used before it is defined in the text above: reorder for the loader.
  std::string text = kMixed;
  const std::string fs_line = "  fs = Constant <value = int64[3] {1, 64, 3136}> ()\n";
  text.erase(text.find(fs_line), fs_line.size());
  text.insert(text.find("  f = Reshape"), fs_line);
  const ModelView mv = fromText(text.c_str());
  HwProfile truth;
  truth.name = "truth";
  truth.compute_precision = "fp32";
  truth.peak_gflops = 100;
  truth.memory_gbps = 20;
  truth.efficiency = {0.4, 0.1, 0.6, 0.1, 0.1, 0.1, 0.1, 0.1};
  truth.memory_efficiency = 0.5;
  truth.overhead_ms = 0.05;
  truth.efficiency[static_cast<int>(OpClass::norm)] = 0.02;  // compute-bound norms
  truth.transcendental_ns = 30;
  truth.window_flops = 40;
  const auto work = analyzeNodes(mv);
  const Measured m{work, estimateAll(truth, work)};
  HwProfile start = truth;
  start.efficiency.fill(0.02);
  start.memory_efficiency = 0.9;
  start.overhead_ms = 1.0;
  start.transcendental_ns = 5;
  start.window_flops = 4;
  const HwProfile fit = calibrate(start, {m});
  EXPECT_NEAR(fit.efficiency[static_cast<int>(OpClass::conv)], 0.4, 0.4 * 0.02);
  EXPECT_NEAR(fit.efficiency[static_cast<int>(OpClass::gemm)], 0.6, 0.6 * 0.02);
  EXPECT_NEAR(fit.memory_efficiency, 0.5, 0.5 * 0.02);
  EXPECT_NEAR(fit.overhead_ms, 0.05, 0.05 * 0.05);
  EXPECT_NEAR(fit.efficiency[static_cast<int>(OpClass::norm)], 0.02, 0.02 * 0.02);
  EXPECT_NEAR(fit.transcendental_ns, 30, 30 * 0.02);
  EXPECT_NEAR(fit.window_flops, 40, 40 * 0.02);
  EXPECT_NEAR(fit.efficiency[static_cast<int>(OpClass::pool)], 0.1, 0.1 * 0.02);
  const auto pred = estimateAll(fit, work);
  for (size_t v = 0; v < pred.size(); ++v) EXPECT_NEAR(pred[v], m.ms[v], 0.02 * m.ms[v]);
}

TEST(Calibrate, SpearmanRankCorrelation) {
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  EXPECT_NEAR(spearman({1, 2, 3}, {1, 1, 2}), 0.8660254, 1e-6);  // ties get average ranks
}


TEST(OrtProfile, KernelEventsByNameMedianWithoutWarmup) {
  const ModelView mv = fromText(kDiamond);
  // Unnamed nodes: ORT calls them <OpType>_<index>. Three runs each; the
  // first (warm-up) is dropped, the median of the rest kept.
  std::string events = "[";
  const char* names[] = {"Relu_0", "Sigmoid_1", "Tanh_2", "Add_3"};
  const double durs[4][3] = {{900, 10, 20}, {500, 30, 50}, {7, 8, 9}, {100, 4, 6}};
  for (int r = 0; r < 3; ++r)
    for (int n = 0; n < 4; ++n)
      events += std::string(r || n ? "," : "") + R"({"cat": "Node", "name": ")" + names[n] +
                R"(_kernel_time", "dur": )" + std::to_string(durs[n][r]) + "}";
  events += R"(, {"cat": "Session", "name": "model_run", "dur": 5000}])";
  const auto ms = parseOrtProfile(events, "p.json", mv);
  ASSERT_EQ(ms.size(), 4u);
  EXPECT_DOUBLE_EQ(ms[0], 0.015);  // median(10, 20) µs -> ms
  EXPECT_DOUBLE_EQ(ms[1], 0.040);
  EXPECT_DOUBLE_EQ(ms[2], 0.0085);
  EXPECT_DOUBLE_EQ(ms[3], 0.005);
}

void expectOrtError(const std::string& text, const std::string& needle) {
  const ModelView mv = fromText(kDiamond);
  try {
    parseOrtProfile(text, "p.json", mv);
    FAIL() << "accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(OrtProfile, BadFilesAreRefused) {
  expectOrtError("{\"not\": \"an array\"}", "not an ONNX Runtime profile");
  expectOrtError(R"([{"cat": "Node", "name": "Relu_0_kernel_time"}])", "'dur' missing");
  expectOrtError(R"([{"cat": "Node", "name": 5, "dur": 1}])", "'name' missing or not a string");
  expectOrtError(R"([{"cat": "Node", "name": "Relu_0_kernel_time", "dur": 1}])",
                 "3 of 4 planning nodes have no kernel event in the profile (b, c, y)");
  expectOrtError(R"([{"cat": "Node", "name": "other_model_kernel_time", "dur": 1}])", "4 of 4 planning nodes");
}

}  // namespace
}  // namespace onnxcut
