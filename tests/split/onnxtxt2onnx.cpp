// Test helper: ONNX text -> binary ONNX (ONNX Runtime reads only binary).
//
//   onnxtxt2onnx IN.onnxtxt OUT.onnx [--external one|many]
//
// --external one:  every float initializer's data goes to OUT.onnx.data;
// --external many: each to its own file weights/<k>.bin beside OUT.onnx
// (as onnx.save_model(..., save_as_external_data=True) with
// all_tensors_to_one_file=True/False writes weights; integer shape constants
// stay inline, as exporters' size threshold keeps them).
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

std::string rawBytes(const onnx::TensorProto& t) {
  using TP = onnx::TensorProto;
  if (t.has_raw_data()) return t.raw_data();
  std::string out;
  auto put = [&out](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
  switch (t.data_type()) {
    case TP::FLOAT: for (float v : t.float_data()) put(&v, 4); break;
    case TP::DOUBLE: for (double v : t.double_data()) put(&v, 8); break;
    case TP::INT64: for (int64_t v : t.int64_data()) put(&v, 8); break;
    case TP::INT32: for (int32_t v : t.int32_data()) put(&v, 4); break;
    case TP::INT8: case TP::UINT8: case TP::BOOL:
      for (int32_t v : t.int32_data()) { const char c = static_cast<char>(v); put(&c, 1); }
      break;
    default: throw std::runtime_error("tensor '" + t.name() + "': type not supported by --external");
  }
  return out;
}

}  // namespace

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
    namespace fs = std::filesystem;
    const std::string mode = argv[4];
    if (mode != "one" && mode != "many") { std::cerr << "--external: one or many\n"; return 2; }
    const fs::path out(argv[2]);
    const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
    std::ofstream one;
    int64_t at = 0;
    if (mode == "one") one.open(dir / (out.filename().string() + ".data"), std::ios::binary);
    int k = 0;
    for (auto& t : *m.mutable_graph()->mutable_initializer()) {
      if (t.data_type() != onnx::TensorProto::FLOAT) continue;
      const std::string bytes = rawBytes(t);
      std::string location;
      int64_t offset = 0;
      if (mode == "one") {
        location = out.filename().string() + ".data";
        offset = at;
        one.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        at += static_cast<int64_t>(bytes.size());
      } else {
        fs::create_directories(dir / "weights");
        location = "weights/" + std::to_string(k++) + ".bin";
        std::ofstream f(dir / location, std::ios::binary);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      }
      t.clear_float_data(); t.clear_double_data(); t.clear_int64_data(); t.clear_int32_data(); t.clear_raw_data();
      t.set_data_location(onnx::TensorProto::EXTERNAL);
      auto add = [&t](const std::string& key, const std::string& v) {
        auto* e = t.add_external_data();
        e->set_key(key);
        e->set_value(v);
      };
      add("location", location);
      add("offset", std::to_string(offset));
      add("length", std::to_string(bytes.size()));
    }
  }
  std::ofstream out(argv[2], std::ios::binary);
  return m.SerializeToOstream(&out) ? 0 : 1;
}
