// `onnxcut graph MODEL TABLE (--plan ID | --mbps X) -o graph.dot [--svg graph.svg]`:
// the model's planning graph with device nodes blue and cloud nodes orange,
// and the cut edges in red, labelled with the tensor and its size.
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "commands.h"
#include "artifact_writer.h"
#include "errors.h"
#include "format_util.h"
#include "model_view.h"
#include "process.h"
#include "onnxcut_runtime.h"

namespace onnxcut::cli {
namespace {

struct GraphArgs {
  std::string model, table, out, svg, precision = "fp32";
  std::vector<std::string> input_shapes;
  int plan = -1;
  double mbps = 0, load = 1;
};

std::string q(const std::string& s) {  // a DOT string literal
  std::string o = "\"";
  for (char c : s) o += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  return o + "\"";
}

std::string dotOf(const ModelView& mv, const std::set<std::string>& device_keys, const std::string& title) {
  std::string s = "digraph onnxcut {\n  rankdir=TB;\n  labelloc=t;\n  label=" + q(title) + ";\n"
                  "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n"
                  "  edge [fontname=\"Helvetica\", fontsize=9, color=\"#888888\"];\n";
  auto onDevice = [&](int producer) { return producer < 0 || device_keys.count(mv.nodes()[producer].key) > 0; };
  for (int t : mv.graphInputs())
    s += "  " + q("in:" + mv.tensors()[t].name) + " [shape=ellipse, fillcolor=\"#dddddd\", label=" +
         q(mv.tensors()[t].name + "\n" + bytesText(mv.tensors()[t].bytes)) + "];\n";
  for (const auto& n : mv.nodes())
    s += "  " + q("n:" + n.key) + " [fillcolor=" + (device_keys.count(n.key) ? "\"#9ecae1\"" : "\"#fdae6b\"") +
         ", label=" + q(n.key + "\n" + n.op_type) + "];\n";
  for (int t = 0; t < static_cast<int>(mv.tensors().size()); ++t) {
    const auto& ti = mv.tensors()[t];
    const std::string from = ti.producer < 0 ? "in:" + ti.name : "n:" + mv.nodes()[ti.producer].key;
    for (int c : ti.consumers) {
      const bool cut = onDevice(ti.producer) && !device_keys.count(mv.nodes()[c].key);
      s += "  " + q(from) + " -> " + q("n:" + mv.nodes()[c].key);
      if (cut) s += " [color=\"#d62728\", penwidth=2.5, fontcolor=\"#d62728\", label=" + q(ti.name + "\n" + bytesText(ti.bytes)) + "]";
      s += ";\n";
    }
    if (ti.is_graph_output) {
      s += "  " + q("out:" + ti.name) + " [shape=ellipse, fillcolor=\"#dddddd\", label=" + q(ti.name + "\n" + bytesText(ti.bytes)) + "];\n";
      s += "  " + q(from) + " -> " + q("out:" + ti.name) + ";\n";
    }
  }
  s += "  subgraph cluster_legend { label=\"legend\"; fontsize=10; style=dashed;\n"
       "    \"legend:dev\" [label=\"device\", fillcolor=\"#9ecae1\"]; \"legend:cloud\" [label=\"cloud\", fillcolor=\"#fdae6b\"];\n"
       "    \"legend:dev\" -> \"legend:cloud\" [color=\"#d62728\", penwidth=2.5, label=\"sent up\", fontcolor=\"#d62728\"]; }\n";
  return s + "}\n";
}

int runGraph(const GraphArgs& a, bool by_plan, bool by_mbps) {
  if (by_plan == by_mbps) throw InputError("give exactly one of --plan ID or --mbps X");
  const auto table = runtime::loadPlanTable(a.table);
  if (!table.ok()) throw InputError(table.error);
  int plan = a.plan;
  if (by_mbps) {
    runtime::Query qy;
    qy.mbps = a.mbps;
    qy.load = a.load;
    qy.precision = a.precision;
    const auto sel = runtime::select(*table.value, qy);
    if (!sel.ok()) throw InputError(a.table + ": " + sel.error);
    plan = sel.value->plan;
  } else if (plan < 0 || plan >= static_cast<int>(table.value->plans.size())) {
    throw InputError(a.table + ": no plan " + std::to_string(plan) + " (plans 0.." + std::to_string(table.value->plans.size() - 1) + ")");
  }
  LoadOptions lo;
  for (const auto& s : a.input_shapes) lo.input_shapes.push_back(parseInputShape(s));
  const ModelView mv = ModelView::load(a.model, lo);
  const auto& p = table.value->plan(plan);
  std::set<std::string> keys(p.device_nodes.begin(), p.device_nodes.end());
  for (const auto& k : p.device_nodes)  // graph order: the first unknown node is named
    if (!mv.findNode(k)) throw InputError(a.table + ": plan " + std::to_string(plan) + " names node '" + k + "', which " + a.model + " does not have (another model's table?)");
  const std::string title = fmt::format("{} · plan {} ({}): {} nodes on the device, {} on the cloud{}",
                                        std::filesystem::path(a.model).filename().string(), plan, p.precision, keys.size(),
                                        mv.nodes().size() - keys.size(), by_mbps ? fmt::format(" · chosen at {} Mbit/s", a.mbps) : "");
  writeFileAtomically(a.out, dotOf(mv, keys, title));
  fmt::print("wrote {}\n", a.out);
  if (!a.svg.empty()) {
    if (!programExists("dot"))
      throw InputError("--svg needs Graphviz's 'dot' (apt-get install graphviz); the DOT file was written");
    // An argument vector, no shell; the SVG comes back on dot's stdout and
    // is published like every other output.
    const ProcessResult dot = runProcess({"dot", "-Tsvg", std::filesystem::absolute(a.out).string()}, /*capture_stdout=*/true);
    if (!dot.started || dot.exit_code != 0 || dot.out.empty()) throw InputError("dot failed to render " + a.out);
    writeFileAtomically(a.svg, dot.out);
    fmt::print("wrote {}\n", a.svg);
  }
  return kExitOk;
}

}  // namespace

void registerGraph(CLI::App& app, Action& run) {
  auto a = std::make_shared<GraphArgs>();
  auto* cmd = app.add_subcommand("graph", "Graphviz rendering of a plan: device and cloud nodes, cut edges with sizes");
  cmd->add_option("model", a->model, "ONNX model file")->required();
  cmd->add_option("table", a->table, "plan-table.json of that model")->required();
  auto* plan = cmd->add_option("--plan", a->plan, "Plan id");
  auto* mbps = cmd->add_option("--mbps", a->mbps, "Or: the plan a runtime picks at this bandwidth");
  cmd->add_option("--load", a->load, "Server load (with --mbps)")->capture_default_str();
  cmd->add_option("--precision", a->precision, "Precision (with --mbps)")->capture_default_str();
  cmd->add_option("--input-shape", a->input_shapes, "As when planning");
  cmd->add_option("-o,--output", a->out, "DOT file to write")->required();
  cmd->add_option("--svg", a->svg, "Also render an SVG with Graphviz");
  cmd->callback([a, plan, mbps, &run] { run = [a, plan, mbps] { return runGraph(*a, plan->count() > 0, mbps->count() > 0); }; });
}

}  // namespace onnxcut::cli
