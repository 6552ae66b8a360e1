// Writes a model with about 100 MB of real (seeded random) weights, for the
// codegen memory benchmark: a chain of 10 MatMul+Relu layers, 1600x1600.
#include <onnx/onnx_pb.h>

#include <fstream>
#include <random>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const int layers = 10, width = 1600;
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
    std::string raw(sizeof(float) * width * width, '\0');
    auto* f = reinterpret_cast<float*>(raw.data());
    for (int i = 0; i < width * width; ++i) f[i] = u(rng);
    w->set_raw_data(std::move(raw));
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
  std::ofstream f(argv[1], std::ios::binary);
  return m.SerializeToOstream(&f) ? 0 : 1;
}
