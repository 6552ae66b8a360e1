#include "flags.h"

#include <algorithm>
#include <map>

#include "errors.h"

namespace onnxcut::cli {

std::string flagName(const std::string& option) {
  static const std::map<std::string, std::string> kFlags = {
      {"loads", "--load"},
      {"precisions", "--precision"},
      {"objectives", "--objective"},
      {"input_shapes", "--input-shape"},
      {"costs_csv", "--costs"},
      {"device.profile", "--device"},
      {"cloud.profile", "--cloud"},
      {"device.ort_profile", "--device-ort-profile"},
      {"cloud.ort_profile", "--cloud-ort-profile"},
      {"output_dir", "--output"},
      {"calibration_dir", "--calibration"},
      {"trace_columns", "--time-col/--rate-col/--time-unit/--rate-unit"},
  };
  if (auto it = kFlags.find(option); it != kFlags.end()) return it->second;
  std::string flag = "--" + option;  // min_mbps -> --min-mbps
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string forUser(const std::string& raw) { return renderMessage(raw, flagName); }

}  // namespace onnxcut::cli
