// Writes a model with about 100 MB of real (seeded random) weights, for the
// codegen memory benchmark: a chain of 10 MatMul+Relu layers, 1600x1600.
//
//   make_big_model OUT.onnx [--external LAYERS]
//
// --external LAYERS: instead, LAYERS layers of 16384x16384 (1 GiB each) whose
// weights are external data in OUT.onnx.data, a sparse file of zeros (the
// over-2-GiB case: a protobuf cannot hold it, so exporters write it so).
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

int main(int argc, char** argv) {
  const bool external = argc == 4 && std::string(argv[2]) == "--external";
  if (argc != 2 && !external) return 2;
  const int layers = external ? std::stoi(argv[3]) : 10, width = external ? 16384 : 1600;
  const std::string data_name = std::filesystem::path(argv[1]).filename().string() + ".data";
  const int64_t layer_bytes = int64_t{4} * width * width;
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("onnxcut bench/make_big_model");
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("big");
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  tt->mutable_shape()->add_dim()->set_dim_value(1);
  tt->mutable_shape()->add_dim()->set_dim_value(width);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-0.05f, 0.05f);
  std::string prev = "x";
  for (int l = 0; l < layers; ++l) {
    auto* w = g->add_initializer();
    w->set_name("w" + std::to_string(l));
    w->set_data_type(onnx::TensorProto::FLOAT);
    w->add_dims(width);
    w->add_dims(width);
    if (external) {
      w->set_data_location(onnx::TensorProto::EXTERNAL);
      auto add = [w](const char* k, const std::string& v) {
        auto* e = w->add_external_data();
        e->set_key(k);
        e->set_value(v);
      };
      add("location", data_name);
      add("offset", std::to_string(l * layer_bytes));
      add("length", std::to_string(layer_bytes));
    } else {
      std::string raw(sizeof(float) * width * width, '\0');
      auto* f = reinterpret_cast<float*>(raw.data());
      for (int i = 0; i < width * width; ++i) f[i] = u(rng);
      w->set_raw_data(std::move(raw));
    }
    auto* mm = g->add_node();
    mm->set_op_type("MatMul");
    mm->set_name("mm" + std::to_string(l));
    mm->add_input(prev);
    mm->add_input(w->name());
    mm->add_output("h" + std::to_string(l));
    auto* r = g->add_node();
    r->set_op_type("Relu");
    r->set_name("relu" + std::to_string(l));
    r->add_input(mm->output(0));
    r->add_output(prev = "a" + std::to_string(l));
  }
  auto* out = g->add_output();
  out->set_name(prev);
  out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  if (external) {
    const auto data = std::filesystem::path(argv[1]).parent_path() / data_name;
    std::ofstream(data, std::ios::binary).close();
    std::filesystem::resize_file(data, layers * layer_bytes);  // sparse: zeros, no disk blocks
  }
  std::ofstream f(argv[1], std::ios::binary);
  return m.SerializeToOstream(&f) ? 0 : 1;
}
