// A small helper for writing CNNs as ONNX graphs in code (opset 13). Weights
// are either generated at run time (light: ConstantOfShape, a few bytes per
// tensor, so the file can be committed) or real seeded initializers (random:
// LeCun-scaled normal values, so ONNX Runtime computes meaningful outputs).
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace onnxcut::models {

enum class Weights { light, random };

class GraphBuilder {
 public:
  GraphBuilder(const std::string& name, Weights mode, uint64_t seed);

  // A float32 NCHW input; returns its name.
  std::string input(const std::string& name, std::vector<int64_t> shape);
  void output(const std::string& tensor);

  // Conv (+ BatchNorm) (+ activation): act is "", "relu", "relu6", "leaky".
  std::string conv(const std::string& x, int64_t cin, int64_t cout, int64_t k, int64_t stride = 1, int64_t pad = -1,
                   int64_t groups = 1, bool bn = true, const std::string& act = "relu", bool bias = false);
  std::string bn(const std::string& x, int64_t c);
  std::string act(const std::string& x, const std::string& kind);
  std::string maxpool(const std::string& x, int64_t k, int64_t stride, int64_t pad = 0);
  std::string avgpool(const std::string& x, int64_t k, int64_t stride, int64_t pad = 0);
  std::string gap(const std::string& x);
  std::string add(const std::string& a, const std::string& b);
  std::string concat(const std::vector<std::string>& xs);
  std::string flatten(const std::string& x);
  std::string fc(const std::string& x, int64_t in, int64_t out);
  std::string softmax(const std::string& x);

  onnx::ModelProto& model() { return model_; }
  int64_t parameters() const { return params_; }

 private:
  std::string fresh(const std::string& stem);
  std::string weight(const std::string& stem, std::vector<int64_t> dims, double fan_in, float constant);
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& in, const std::string& out,
                        const std::string& name);

  onnx::ModelProto model_;
  onnx::GraphProto* g_;
  Weights mode_;
  std::mt19937_64 rng_;
  int counter_ = 0;
  int64_t params_ = 0;
};

}  // namespace onnxcut::models
