// Canonical architectures with their published layer shapes (ImageNet-1k
// classifiers at 224x224; tiny YOLOv2 for VOC at 416x416).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "graph_builder.h"

namespace onnxcut::models {

struct Architecture {
  std::string name;         // file stem
  std::string description;  // with the paper it follows
  std::function<void(GraphBuilder&)> build;
};

const std::vector<Architecture>& architectures();

}  // namespace onnxcut::models
