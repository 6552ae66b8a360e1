// Folding of shape arithmetic: once input dims are fixed, Shape/Size of a
// statically shaped tensor is a constant, and so is everything computed from
// constants alone (cost-model.md). ONNX 1.12's data propagation stops at ops
// such as Cast, which real exporters (Paddle, TF) put in these chains, so the
// model view evaluates the small integer computations itself.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
class TensorProto;
}

namespace onnxcut {

// Shape tensors are tiny; larger constants are never evaluated.
constexpr int64_t kMaxFoldElements = 4096;

// Evaluates the constant nodes of `m` that it can (small tensors, the ops of
// shape arithmetic), replaces them by initializers, and returns how many it
// folded. Shapes come from m's value_info, so call it after inference and
// repeat inference + folding until it returns 0.
int foldShapeArithmetic(onnx::ModelProto& m);

// The values of a small numeric tensor held inline (not external data), as
// doubles (exact for the integers of shape arithmetic); nullopt otherwise.
std::optional<std::vector<double>> smallTensorValues(const onnx::TensorProto& t);

}  // namespace onnxcut
