// Two kinds of failure (STYLE.md): bad input the user can fix, and internal
// bugs. InputError carries every problem found, joined, so users see them all
// at once; the CLI maps it to exit code 2.
//
// The library never names command-line flags: a message that refers to a
// request option writes optionRef("min_mbps"), and whoever shows the message
// decides how options are spelled (message(): the option's own name, as in
// PlanRequest and the Python module; the CLI: its flag, "--min-mbps").
#pragma once
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace onnxcut {

// A reference to a request option inside an error message.
std::string optionRef(const std::string& option);

// Spells an option (its field name) for the reader of a message.
using OptionNamer = std::function<std::string(const std::string& option)>;

// `raw` with every optionRef replaced by namer(option).
std::string renderMessage(const std::string& raw, const OptionNamer& namer);

class InputError : public std::runtime_error {
 public:
  // what() shows options by their field names.
  explicit InputError(const std::string& raw);
  // The message with options spelled by `namer`.
  std::string message(const OptionNamer& namer) const { return renderMessage(raw_, namer); }
  const std::string& raw() const { return raw_; }

 private:
  std::string raw_;
};

// Collects problems during a validation pass and throws them together.
class ErrorList {
 public:
  void add(std::string message) { messages_.push_back(std::move(message)); }
  bool empty() const { return messages_.empty(); }
  // Throws InputError("<context>: N problems:\n  - a\n  - b") when anything
  // was added; past kShownProblems the rest are counted, not listed (a costs
  // CSV for another model is one short message, not hundreds of lines).
  static constexpr size_t kShownProblems = 8;
  void throwIfAny(const std::string& context) const;

 private:
  std::vector<std::string> messages_;
};

}  // namespace onnxcut
