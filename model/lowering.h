// Analysis-only lowering of newer ONNX models (docs/model-view.md, "Newer
// exports"). ONNX 1.12, which onnxcut links, knows IR <= 8 and default-domain
// opset <= 17; ONNX Runtime runs IR <= 10 and opset <= 22. The model itself is
// never changed: the copy that shape inference and checks work on is
// rewritten node by node (same output names) into the opset-17 forms whose
// shape rules ONNX 1.12 has, and the shapes found there are the model's.
//
//  - Ops whose signature changed after opset 17 (Reduce* axes as an input,
//    Split num_outputs, Pad axes, Resize axes / keep_aspect_ratio_policy,
//    AveragePool dilations, LpPool ceil_mode, DFT axis input, new attributes
//    that do not change shapes) become their opset-17 form, with constant
//    inputs turned into attributes or full-rank constants.
//  - New ops with a shape-preserving rule (Gelu, Mish, GroupNormalization,
//    BitwiseNot, ...) become Identity; BitwiseAnd/Or/Xor become Add (same
//    broadcasting); DeformConv becomes Conv.
//  - Common fused ops of ONNX Runtime's com.microsoft domain (FusedConv,
//    FusedGemm, FusedMatMul, Gelu variants, BiasAdd, QLinear elementwise ops,
//    ...) become the default-domain op with the same shape rule.
//  - Model-local functions (PyTorch's dynamo exporter writes them) are
//    lowered the same way, with the constants of their own Constant nodes.
//  - A form that needs a value or shape not known yet (axes from a computed
//    constant, an uneven Split of a dim not yet inferred) waits as an opaque
//    node (outputs unknown) and is retried after each round of inference and
//    constant folding. What never resolves stays opaque: its outputs have no
//    size, so no plan cuts them, and a warning names the node.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace onnx {
class ModelProto;
}

namespace onnxcut {

// What ONNX 1.12's shape inference and checker accept.
constexpr int64_t kAnalysisIrVersion = 8;
constexpr int64_t kAnalysisOpset = 17;
// Domain of nodes whose form waits for a value (see above).
inline constexpr const char* kPendingDomain = "onnxcut.pending";

// The model's default-domain opset (1 when none is imported).
int64_t defaultDomainOpset(const onnx::ModelProto& m);

// Prepares `work` (a copy) for ONNX 1.12: IR version and opset imports
// clamped, the pending domain imported. `opset` is the model's own
// default-domain opset, which decides what needs lowering.
void prepareForAnalysis(onnx::ModelProto& work);

// Rewrites every node of `work` that can be lowered now (constants from its
// initializers, shapes from its value_info); parks the others in the pending
// domain. Returns how many nodes it rewrote (0: nothing new). A node that is
// malformed in its own opset (too many inputs, axes out of range) is an
// InputError naming it, under `label`.
int lowerForAnalysis(onnx::ModelProto& work, int64_t opset, const std::string& label);

// Nodes still pending after the last round, described for a warning.
std::vector<std::string> pendingNodes(const onnx::ModelProto& work);

}  // namespace onnxcut
