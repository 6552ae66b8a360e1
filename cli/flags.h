// How the CLI spells the library's request options in messages: the library
// names options by field (optionRef("min_mbps")), the CLI by flag.
#pragma once
#include <string>

namespace onnxcut::cli {

// "min_mbps" -> "--min-mbps", "device.profile" -> "--device", ...
std::string flagName(const std::string& option);

// A library message (error or warning) with its options spelled as flags.
std::string forUser(const std::string& raw);

}  // namespace onnxcut::cli
