// `import onnxcut`: the planner and the runtime library for Python users.
//
//   r = onnxcut.plan("m.onnx", device="raspberry-pi-4", cloud="nvidia-t4",
//                    output_dir="out", precisions=["fp32", "int8"])
//   r.table["tables"][0]["bands"]        # plan-table.json as a dict
//   t = onnxcut.PlanTable.load("out/plan-table.json")
//   t.select(mbps=20, load=1.5)["plan"]
//
// Bad input raises onnxcut.InputError (a ValueError) whose message names
// options by these keyword names. Nothing here plans or selects by itself:
// plan() is planModel() (planner/plan_request.h), select() is the runtime
// library's select().
#include <pybind11/pybind11.h>

#include <array>
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include "errors.h"
#include "onnxcut_runtime.h"
#include "plan_request.h"

namespace py = pybind11;
using namespace onnxcut;

namespace {

py::object fromJson(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

struct PyPlanResult {
  py::object table;  // plan-table.json as Python objects
  std::vector<std::string> warnings;
  std::vector<std::string> nodes;  // planning node keys, in graph order
};

PyPlanResult plan(const std::string& model, const std::string& output_dir, const std::string& costs,
                  const std::string& device, const std::string& cloud, const std::string& device_ort_profile,
                  const std::string& cloud_ort_profile,
                  const std::map<std::string, std::vector<int64_t>>& input_shapes, const std::vector<double>& loads,
                  const std::vector<std::string>& precisions, const std::vector<std::string>& objectives,
                  double min_mbps, double max_mbps, double rtt_ms, std::optional<double> down_mbps,
                  const std::vector<std::string>& pin_device, const std::vector<std::string>& pin_cloud,
                  bool emit_onnx, bool self_contained, const std::string& calibration,
                  const std::vector<double>& max_loss, const std::string& loss_metric, int calibration_samples,
                  float image_scale, const std::vector<float>& image_mean, const std::vector<float>& image_std,
                  bool image_bgr, double proof_effort) {
  PlanRequest req;
  req.fidelity.calibration_dir = calibration;
  req.fidelity.max_loss = max_loss;
  if (!loss_metric.empty()) req.fidelity.metric = parseLossMetric(loss_metric);
  req.fidelity.max_samples = calibration_samples;
  req.fidelity.image.scale = image_scale;
  req.fidelity.image.bgr = image_bgr;
  auto three = [](const std::vector<float>& v, const char* name, std::array<float, 3>& out) {
    if (v.size() == 1) out = {v[0], v[0], v[0]};
    else if (v.size() == 3) out = {v[0], v[1], v[2]};
    else throw InputError(std::string(name) + " takes 1 or 3 numbers (R, G, B)");
  };
  three(image_mean, "image_mean", req.fidelity.image.mean);
  three(image_std, "image_std", req.fidelity.image.std);
  req.model = model;
  req.output_dir = output_dir;
  req.costs_csv = costs;
  req.device = {device, device_ort_profile};
  req.cloud = {cloud, cloud_ort_profile};
  for (const auto& [name, dims] : input_shapes) req.input_shapes.push_back({name, dims});
  PlanOptions& o = req.options;
  o.loads = loads;
  o.precisions.clear();
  for (const auto& p : precisions) o.precisions.push_back(parsePrecision(p));
  o.objectives.clear();
  for (const auto& x : objectives) o.objectives.push_back(parseObjective(x));
  o.min_mbps = min_mbps;
  o.max_mbps = max_mbps;
  o.rtt_ms = rtt_ms;
  o.down_mbps = down_mbps;
  o.pin_device = pin_device;
  o.pin_cloud = pin_cloud;
  o.proof_effort = proof_effort;
  req.emit_onnx = emit_onnx;
  req.self_contained = self_contained;
  PlanResult r = [&] {
    py::gil_scoped_release release;  // planning is pure C++
    return planModel(req);
  }();
  PyPlanResult out{fromJson(r.table), {}, r.model.nodeKeys().names()};
  for (const auto& w : r.warnings) out.warnings.push_back(renderMessage(w, [](const std::string& s) { return s; }));
  return out;
}

template <class T>
T valueOr(runtime::Result<T> r) {
  if (!r.ok()) throw InputError(r.error);
  return std::move(*r.value);
}

py::object tensorDict(const runtime::TensorDesc& t) {
  py::dict d;
  d["name"] = t.name;
  d["dtype"] = t.dtype;
  d["shape"] = t.shape ? py::object(py::cast(*t.shape)) : py::object(py::none());
  if (!t.tensor.empty()) d["tensor"] = t.tensor;
  if (!t.encoding.empty()) d["encoding"] = t.encoding;
  if (t.bytes) d["bytes"] = *t.bytes;
  if (t.bits) d["bits"] = *t.bits;
  return std::move(d);
}

py::list tensorList(const std::vector<runtime::TensorDesc>& list) {
  py::list l;
  for (const auto& t : list) l.append(tensorDict(t));
  return l;
}

py::object partDict(const std::optional<runtime::PartIO>& io) {
  if (!io) return py::none();
  py::dict d;
  d["inputs"] = tensorList(io->inputs);
  d["outputs"] = tensorList(io->outputs);
  return std::move(d);
}

py::dict planDict(const runtime::PlanInfo& p) {
  py::dict d;
  d["id"] = p.id;
  d["precision"] = p.precision;
  d["device_nodes"] = p.device_nodes;
  d["device_ms"] = p.device_ms;
  d["cloud_ms"] = p.cloud_ms;
  d["up_bytes"] = p.up_bytes;
  d["down_bytes"] = p.down_bytes;
  d["uses_cloud"] = p.uses_cloud;
  d["head"] = p.head.empty() ? py::object(py::none()) : py::object(py::str(p.head));
  d["tail"] = p.tail.empty() ? py::object(py::none()) : py::object(py::str(p.tail));
  // The deployment manifest (docs/plan-table.md).
  d["cut"] = tensorList(p.cut);
  d["head_io"] = partDict(p.head_io);
  d["tail_io"] = partDict(p.tail_io);
  d["wire"] = tensorList(p.wire);
  d["device_outputs"] = p.device_outputs;
  d["cloud_outputs"] = p.cloud_outputs;
  if (p.loss) {
    py::dict l;
    l["fit"] = p.loss->fit;
    l["held_out"] = p.loss->held_out;
    d["loss"] = l;
  } else {
    d["loss"] = py::none();
  }
  return d;
}

py::dict predictionDict(const runtime::Prediction& p) {
  py::dict d;
  d["latency_ms"] = p.latency_ms;
  d["throughput_fps"] = p.throughput_fps;
  d["upload_ms"] = p.upload_ms;
  return d;
}

py::dict selectPlan(const runtime::PlanTable& t, double mbps, double load, const std::string& precision,
                const std::string& objective, std::optional<double> fps, std::optional<double> max_loss) {
  runtime::Query q;
  q.max_loss = max_loss;
  q.mbps = mbps;
  q.load = load;
  q.precision = precision;
  q.objective = objective;
  q.fps = fps;
  const runtime::Selection s = valueOr(runtime::select(t, q));
  py::dict d;
  d["plan"] = s.plan;
  d["objective"] = s.objective;
  d["mode"] = s.mode;
  d["table_load"] = s.table_load;
  d["load_extrapolated"] = s.load_extrapolated;
  d["bandwidth_clamped"] = s.bandwidth_clamped;
  d["keeps_up"] = s.keeps_up;
  d["precision"] = s.precision;
  d["max_loss"] = s.max_loss ? py::object(py::float_(*s.max_loss)) : py::object(py::none());
  d["predicted"] = predictionDict(s.predicted);
  return d;
}

}  // namespace

PYBIND11_MODULE(onnxcut, m) {
  m.doc() = "onnxcut: plan split DNN inference between a device and a cloud";
  static py::exception<InputError> input_error(m, "InputError", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      input_error(e.what());
    }
  });

  py::class_<PyPlanResult>(m, "PlanResult", "What onnxcut.plan() returns")
      .def_readonly("table", &PyPlanResult::table, "plan-table.json as a dict")
      .def_readonly("warnings", &PyPlanResult::warnings)
      .def_readonly("nodes", &PyPlanResult::nodes, "planning node keys, in graph order");

  m.def("plan", &plan, py::arg("model"), py::kw_only(), py::arg("output_dir") = "", py::arg("costs") = "",
        py::arg("device") = "", py::arg("cloud") = "", py::arg("device_ort_profile") = "",
        py::arg("cloud_ort_profile") = "", py::arg("input_shapes") = std::map<std::string, std::vector<int64_t>>{},
        py::arg("loads") = std::vector<double>{1.0}, py::arg("precisions") = std::vector<std::string>{"fp32"},
        py::arg("objectives") = std::vector<std::string>{"latency"}, py::arg("min_mbps") = 0.1,
        py::arg("max_mbps") = 1000.0, py::arg("rtt_ms") = kDefaultRttMs, py::arg("down_mbps") = py::none(),
        py::arg("pin_device") = std::vector<std::string>{}, py::arg("pin_cloud") = std::vector<std::string>{},
        py::arg("emit_onnx") = false, py::arg("self_contained") = false, py::arg("calibration") = "",
        py::arg("max_loss") = std::vector<double>{}, py::arg("loss_metric") = "", py::arg("calibration_samples") = 32,
        py::arg("image_scale") = 1.0f / 255.0f, py::arg("image_mean") = std::vector<float>{0.0f},
        py::arg("image_std") = std::vector<float>{1.0f}, py::arg("image_bgr") = false, py::arg("proof_effort") = 1.0,
        "Plans a model for every bandwidth in [min_mbps, max_mbps]; writes output_dir when given.\n"
        "Costs: costs= a CSV, or device= and cloud= (hardware profile names or files), or the\n"
        "*_ort_profile= ONNX Runtime profiles. calibration= a folder of inputs measures every plan's\n"
        "loss; max_loss= budgets add mixed-width plans and tables (docs/precision.md).\n"
        "proof_effort= multiplies throughput tables' proof budget (0 to 1000; docs/throughput.md).");

  py::class_<runtime::PlanTable>(m, "PlanTable", "A loaded plan table (the runtime library)")
      .def_static("load", [](const std::string& path) { return valueOr(runtime::loadPlanTable(path)); })
      .def_static("parse", [](const std::string& text) { return valueOr(runtime::parsePlanTable(text)); })
      .def_property_readonly("plans", [](const runtime::PlanTable& t) {
        py::list l;
        for (const auto& p : t.plans) l.append(planDict(p));
        return l;
      })
      .def_readonly("rtt_ms", &runtime::PlanTable::rtt_ms)
      .def_readonly("version", &runtime::PlanTable::version)
      .def_readonly("tool_version", &runtime::PlanTable::tool_version)
      .def_property_readonly("files", [](const runtime::PlanTable& t) {
        py::list l;
        for (const auto& f : t.files) {
          py::dict d;
          d["path"] = f.path;
          d["sha256"] = f.sha256;
          d["bytes"] = f.bytes;
          l.append(d);
        }
        return l;
      })
      .def("select", &selectPlan, py::arg("mbps"), py::arg("load") = 1.0, py::arg("precision") = "fp32",
           py::arg("objective") = "latency", py::arg("fps") = py::none(), py::arg("max_loss") = py::none(),
           "The plan to use at this uplink bandwidth and server load (O(log bands)).")
      .def("predict", [](const runtime::PlanTable& t, int plan, double mbps, double load) {
        if (plan < 0 || plan >= static_cast<int>(t.plans.size())) throw InputError("no plan " + std::to_string(plan));
        return predictionDict(runtime::predict(t, t.plan(plan), mbps, load));
      }, py::arg("plan"), py::arg("mbps"), py::arg("load") = 1.0);
}
