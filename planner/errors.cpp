#include "errors.h"

namespace onnxcut {

void ErrorList::throwIfAny(const std::string& context) const {
  if (messages_.empty()) return;
  if (messages_.size() == 1) throw InputError(context + ": " + messages_.front());
  std::string all = context + ": " + std::to_string(messages_.size()) + " problems:";
  for (const auto& m : messages_) all += "\n  - " + m;
  throw InputError(all);
}

}  // namespace onnxcut
