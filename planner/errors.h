// Two kinds of failure (STYLE.md): bad input the user can fix, and internal
// bugs. InputError carries every problem found, joined, so users see them all
// at once; the CLI maps it to exit code 2.
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

namespace onnxcut {

// The whole file; throws InputError "<path>: cannot open <what>".
std::string readWholeFile(const std::string& path, const std::string& what);

// Strips spaces and tabs at both ends.
std::string trim(const std::string& s);

class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& what) : std::runtime_error(what) {}
};

// Collects problems during a validation pass and throws them together.
class ErrorList {
 public:
  void add(std::string message) { messages_.push_back(std::move(message)); }
  bool empty() const { return messages_.empty(); }
  // Throws InputError("<context>:\n  - a\n  - b") when anything was added.
  void throwIfAny(const std::string& context) const;

 private:
  std::vector<std::string> messages_;
};

}  // namespace onnxcut
