// SHA-256 of a file, hex encoded (plan tables identify models by it).
#pragma once
#include <string>

namespace onnxcut {

std::string sha256Hex(const std::string& bytes);
// Throws InputError when the file cannot be read.
std::string sha256File(const std::string& path);

}  // namespace onnxcut
