#include "errors.h"

#include <algorithm>

namespace onnxcut {
namespace {

// Control characters frame an option reference: they never appear in a
// message otherwise, and an unmatched one is shown as it is.
constexpr char kRefOpen = '\x01', kRefClose = '\x02';

}  // namespace

std::string optionRef(const std::string& option) { return kRefOpen + option + kRefClose; }

std::string renderMessage(const std::string& raw, const OptionNamer& namer) {
  std::string out;
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t open = raw.find(kRefOpen, pos);
    const size_t close = open == std::string::npos ? open : raw.find(kRefClose, open);
    if (close == std::string::npos) { out += raw.substr(pos); break; }
    out += raw.substr(pos, open - pos);
    out += namer(raw.substr(open + 1, close - open - 1));
    pos = close + 1;
  }
  return out;
}

InputError::InputError(const std::string& raw)
    : std::runtime_error(renderMessage(raw, [](const std::string& o) { return o; })), raw_(raw) {}

void ErrorList::throwIfAny(const std::string& context) const {
  if (messages_.empty()) return;
  if (messages_.size() == 1) throw InputError(context + ": " + messages_.front());
  std::string all = context + ": " + std::to_string(messages_.size()) + " problems:";
  const size_t shown = std::min(messages_.size(), kShownProblems);
  for (size_t i = 0; i < shown; ++i) all += "\n  - " + messages_[i];
  if (shown < messages_.size())
    all += "\n  ... and " + std::to_string(messages_.size() - shown) + " more (the first " + std::to_string(shown) + " are shown)";
  throw InputError(all);
}

}  // namespace onnxcut
