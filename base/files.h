// Small text and file helpers shared by every parser.
#pragma once
#include <string>

namespace onnxcut {

// The whole file; throws InputError "<path>: cannot open <what>".
std::string readWholeFile(const std::string& path, const std::string& what);

// Strips spaces and tabs at both ends.
std::string trim(const std::string& s);
// The whole of `s` (blanks around it trimmed) as a finite number.
bool parseFiniteNumber(const std::string& s, double& out);

}  // namespace onnxcut
