// Writes the canonical models: build_models OUT_DIR [light|random] [NAME...]
// Deterministic (seeded): the same arguments give byte-identical files.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <onnx/shape_inference/implementation.h>

#include "architectures.h"

int main(int argc, char** argv) {
  using namespace onnxcut::models;
  if (argc < 3) { std::fprintf(stderr, "usage: build_models OUT_DIR light|random [NAME...]\n"); return 2; }
  const std::string dir = argv[1], mode = argv[2];
  if (mode != "light" && mode != "random") { std::fprintf(stderr, "mode must be light or random\n"); return 2; }
  std::filesystem::create_directories(dir);
  int built = 0;
  for (const auto& a : architectures()) {
    bool wanted = argc == 3;
    for (int i = 3; i < argc; ++i) wanted |= a.name == argv[i];
    if (!wanted) continue;
    GraphBuilder b(a.description, mode == "light" ? Weights::light : Weights::random, 20261123);
    a.build(b);
    // Output types with their shapes (the checker requires them).
    onnx::shape_inference::InferShapes(b.model());
    b.model().mutable_graph()->clear_value_info();
    const std::string file = dir + "/" + a.name + (mode == "light" ? "_light" : "") + ".onnx";
    std::ofstream f(file, std::ios::binary);
    if (!b.model().SerializeToOstream(&f)) { std::fprintf(stderr, "cannot write %s\n", file.c_str()); return 1; }
    std::printf("%s: %lld parameters\n", file.c_str(), static_cast<long long>(b.parameters()));
    ++built;
  }
  if (built == 0) { std::fprintf(stderr, "no such model\n"); return 2; }
  return 0;
}
