// planner_example MODEL COSTS.csv OUT_DIR: plans MODEL at loads 1 and 2 and
// precisions fp32 and int8 with the onnxcut library (as `onnxcut plan MODEL
// --costs COSTS.csv -o OUT_DIR --load 1,2 --precision fp32,int8` does), then
// prints each table's bands.
#include <cstdio>
#include <exception>

#include "errors.h"
#include "plan_request.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: planner_example MODEL COSTS.csv OUT_DIR\n");
    return 2;
  }
  onnxcut::PlanRequest req;
  req.model = argv[1];
  req.costs_csv = argv[2];
  req.output_dir = argv[3];
  req.options.loads = {1, 2};
  req.options.precisions = {onnxcut::Precision::fp32, onnxcut::Precision::int8};
  try {
    const onnxcut::PlanResult r = onnxcut::planModel(req);
    for (const auto& t : r.plans.tables) {
      std::printf("%s load %g %s:", onnxcut::toString(t.objective), t.load, onnxcut::toString(t.precision));
      for (const auto& b : t.bands) std::printf(" [%g, %g) plan %d;", b.min_mbps, b.max_mbps, b.plan);
      std::printf("\n");
    }
    return 0;
  } catch (const onnxcut::InputError& e) {
    std::fprintf(stderr, "planner_example: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "planner_example: internal error: %s\n", e.what());
    return 1;
  }
}
