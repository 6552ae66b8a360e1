// Test helper: ONNX text -> binary ONNX (ONNX Runtime reads only binary).
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <iostream>
#include <sstream>

int main(int argc, char** argv) {
  if (argc != 3) { std::cerr << "usage: onnxtxt2onnx IN.onnxtxt OUT.onnx\n"; return 2; }
  std::ifstream in(argv[1]);
  std::stringstream text;
  text << in.rdbuf();
  onnx::ModelProto m;
  const auto st = onnx::OnnxParser::Parse(m, text.str().c_str());
  if (!st.IsOK()) { std::cerr << argv[1] << ": " << st.ErrorMessage() << "\n"; return 2; }
  std::ofstream out(argv[2], std::ios::binary);
  return m.SerializeToOstream(&out) ? 0 : 1;
}
