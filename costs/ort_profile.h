// Per-node times from an ONNX Runtime profile (the Chrome-trace JSON that
// `enableProfiling` writes): "<node name>_kernel_time" events with their
// duration in microseconds. ORT names an unnamed node "<OpType>_<index>".
// Each planning node's time is the median over its runs, the first dropped
// as warm-up when there are several.
#pragma once
#include <string>
#include <vector>

#include "model_view.h"

namespace onnxcut {

// ms per planning node. Throws InputError for a file that is not an ORT
// profile, events with missing or mistyped fields, or planning nodes with no
// event (naming them; profile with graph optimizations disabled so that no
// node is fused away).
std::vector<double> readOrtProfile(const std::string& path, const ModelView& mv);
std::vector<double> parseOrtProfile(const std::string& json_text, const std::string& label, const ModelView& mv);

}  // namespace onnxcut
