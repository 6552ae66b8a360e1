// Test helper: moves a model's float initializers to external data files,
// as onnx.save_model(..., save_as_external_data=True) writes them ("one":
// OUT.onnx.data; "many": weights/<k>.bin). Like onnx's default
// size_threshold, tensors under 1024 bytes stay inline (ONNX Runtime itself
// needs constants such as Resize scales inline), and so do integer tensors.
#pragma once
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace onnxcut::testtools {

inline std::string rawBytes(const onnx::TensorProto& t) {
  using TP = onnx::TensorProto;
  if (t.has_raw_data()) return t.raw_data();
  std::string out;
  auto put = [&out](const void* p, size_t n) { out.append(static_cast<const char*>(p), n); };
  switch (t.data_type()) {
    case TP::FLOAT: for (float v : t.float_data()) put(&v, 4); break;
    case TP::DOUBLE: for (double v : t.double_data()) put(&v, 8); break;
    case TP::INT64: for (int64_t v : t.int64_data()) put(&v, 8); break;
    case TP::INT32: for (int32_t v : t.int32_data()) put(&v, 4); break;
    default: throw std::runtime_error("tensor '" + t.name() + "': type not supported for external data");
  }
  return out;
}

// mode: "one" or "many"; `out` is the .onnx path the model will be saved to.
inline void externalizeWeights(onnx::ModelProto& m, const std::filesystem::path& out, const std::string& mode) {
  namespace fs = std::filesystem;
  if (mode != "one" && mode != "many") throw std::runtime_error("external data mode: one or many");
  const fs::path dir = out.parent_path().empty() ? fs::path(".") : out.parent_path();
  std::ofstream one;
  int64_t at = 0;
  if (mode == "one") one.open(dir / (out.filename().string() + ".data"), std::ios::binary);
  int k = 0;
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    if (t.data_type() != onnx::TensorProto::FLOAT || t.data_location() == onnx::TensorProto::EXTERNAL) continue;
    const std::string bytes = rawBytes(t);
    if (bytes.size() < 1024) continue;
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

}  // namespace onnxcut::testtools
