// Test helper: ONNX text -> binary ONNX (ONNX Runtime reads only binary).
//
//   onnxtxt2onnx IN.onnxtxt OUT.onnx [--external one|many]
//
// --external one:  float initializers of 1 KiB or more go to OUT.onnx.data;
// --external many: each to its own file weights/<k>.bin beside OUT.onnx
// (as onnx.save_model(..., save_as_external_data=True) with
// all_tensors_to_one_file=True/False writes them; external_writer.h).
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "external_writer.h"

int main(int argc, char** argv) {
  if (argc != 3 && !(argc == 5 && std::string(argv[3]) == "--external")) {
    std::cerr << "usage: onnxtxt2onnx IN.onnxtxt OUT.onnx [--external one|many]\n";
    return 2;
  }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  onnx::ModelProto m;
  const auto st = onnx::OnnxParser::Parse(m, text.str().c_str());
  if (!st.IsOK()) { std::cerr << argv[1] << ": " << st.ErrorMessage() << "\n"; return 2; }
  if (argc == 5) {
    try {
      onnxcut::testtools::externalizeWeights(m, argv[2], argv[4]);
    } catch (const std::exception& e) {
      std::cerr << e.what() << "\n";
      return 2;
    }
  }
  std::ofstream out(argv[2], std::ios::binary);
  return m.SerializeToOstream(&out) ? 0 : 1;
}
