// Test helper: re-saves a real model as today's exporters write it, so that
// the newer-export paths are tested on real graphs (docs/model-view.md):
//
//   resave IN.onnx OUT.onnx --opset N --ir V [--input-shape NAME=AxBx..]
//          [--external one|many]
//
// The default-domain opset is raised with ONNX's version converter up to 17
// (the newest it knows), then to N by rewriting what changed after 17 (the
// Reduce* ops' axes became an input in 18; every other opset-17 form stays
// valid through 22). --input-shape fixes an input's dims first (the
// converter's Softmax adapter needs shapes, found with onnxcut's model view).
// IR version V is written as is.
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <onnx/version_converter/convert.h>

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

#include "external_writer.h"
#include "model_view.h"

namespace {

int64_t defaultOpset(const onnx::ModelProto& m) {
  for (const auto& o : m.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  return 0;
}

void setDefaultOpset(onnx::ModelProto& m, int64_t v) {
  for (auto& o : *m.mutable_opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") o.set_version(v);
}

// Opset 18: ReduceMax/Min/Mean/Prod/L1/L2/LogSum/LogSumExp/SumSquare take
// their axes as a second input instead of an attribute.
void reduceAxesToInputs(onnx::GraphProto& g) {
  static const std::set<std::string> kReduce = {"ReduceMax", "ReduceMin", "ReduceMean", "ReduceProd", "ReduceL1",
                                                "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
  int k = 0;
  for (auto& n : *g.mutable_node()) {
    if (!kReduce.count(n.op_type()) || !(n.domain().empty() || n.domain() == "ai.onnx")) continue;
    auto* attrs = n.mutable_attribute();
    for (int i = 0; i < attrs->size(); ++i) {
      if (attrs->Get(i).name() != "axes") continue;
      auto* t = g.add_initializer();
      t->set_name("resave_axes_" + std::to_string(k++));
      t->set_data_type(onnx::TensorProto::INT64);
      t->add_dims(attrs->Get(i).ints_size());
      for (auto a : attrs->Get(i).ints()) t->add_int64_data(a);
      n.add_input(t->name());
      attrs->DeleteSubrange(i, 1);
      break;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string in_path, out_path, external, shape;
  int64_t opset = 0, ir = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { if (i + 1 >= argc) throw std::runtime_error(a + " needs a value"); return argv[++i]; };
    try {
      if (a == "--opset") opset = std::stoll(next());
      else if (a == "--ir") ir = std::stoll(next());
      else if (a == "--external") external = next();
      else if (a == "--input-shape") shape = next();
      else if (in_path.empty()) in_path = a;
      else out_path = a;
    } catch (const std::exception& e) { std::cerr << "resave: " << e.what() << "\n"; return 2; }
  }
  if (in_path.empty() || out_path.empty() || opset < 18 || ir < 3) {
    std::cerr << "usage: resave IN.onnx OUT.onnx --opset N(>=18) --ir V [--input-shape NAME=AxB] [--external one|many]\n";
    return 2;
  }
  onnx::ModelProto m;
  {
    std::ifstream f(in_path, std::ios::binary);
    if (!m.ParseFromIstream(&f)) { std::cerr << "resave: cannot parse " << in_path << "\n"; return 2; }
  }
  if (!shape.empty()) {
    const auto eq = shape.rfind('=');
    std::vector<int64_t> dims;
    std::stringstream ds(shape.substr(eq + 1));
    for (std::string d; std::getline(ds, d, 'x');) dims.push_back(std::stoll(d));
    for (auto& in : *m.mutable_graph()->mutable_input()) {
      if (in.name() != shape.substr(0, eq)) continue;
      auto* s = in.mutable_type()->mutable_tensor_type()->mutable_shape();
      s->clear_dim();
      for (auto d : dims) s->add_dim()->set_dim_value(d);
    }
  }
  try {
    if (defaultOpset(m) < 17) {
      // Shapes as onnxcut finds them (its folding reaches past the Cast
      // chains where ONNX's inference stops), for the converter's adapters.
      const onnxcut::ModelView mv = onnxcut::ModelView::fromProto(m, in_path);
      *m.mutable_graph()->mutable_value_info() = mv.inferred().graph().value_info();
      onnx::shape_inference::InferShapes(m);
      m = onnx::version_conversion::ConvertVersion(m, 17);
    }
  } catch (const std::exception& e) {
    std::cerr << "resave: version conversion failed: " << e.what() << "\n";
    return 1;
  }
  m.mutable_graph()->clear_value_info();
  reduceAxesToInputs(*m.mutable_graph());
  setDefaultOpset(m, opset);
  m.set_ir_version(ir);
  // IR >= 4: initializers need not be graph inputs (as exporters write now).
  std::set<std::string> inits;
  for (const auto& t : m.graph().initializer()) inits.insert(t.name());
  auto* inputs = m.mutable_graph()->mutable_input();
  for (int i = inputs->size() - 1; i >= 0; --i)
    if (inits.count(inputs->Get(i).name())) inputs->DeleteSubrange(i, 1);
  if (!external.empty()) onnxcut::testtools::externalizeWeights(m, out_path, external);
  std::ofstream f(out_path, std::ios::binary);
  return m.SerializeToOstream(&f) ? 0 : 1;
}
