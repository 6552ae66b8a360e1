#include "format_util.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdlib>

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

namespace onnxcut::cli {

bool progressWanted() {
  const char* env = std::getenv("ONNXCUT_PROGRESS");
  if (env && *env) return std::string(env) == "1";
  return isatty(STDERR_FILENO) != 0;
}

void progressLine(const std::string& what) { fmt::print(stderr, "onnxcut: {}...\n", what); }


std::string bytesText(double b) {
  if (b < 1024) return fmt::format("{:.0f} B", b);
  if (b < 1024 * 1024) return fmt::format("{:.1f} KiB", b / 1024);
  if (b < 1024.0 * 1024 * 1024) return fmt::format("{:.2f} MiB", b / (1024 * 1024));
  return fmt::format("{:.2f} GiB", b / (1024.0 * 1024 * 1024));
}

std::string bytesText(std::optional<int64_t> bytes) {
  return bytes ? bytesText(static_cast<double>(*bytes)) : "?";
}

namespace {
bool numeric(const std::string& s) {
  return !s.empty() && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+');
}
}  // namespace

void Table::print(std::FILE* out) const {
  std::vector<size_t> width(header_.size(), 0);
  for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
  for (const auto& r : rows_)
    for (size_t c = 0; c < r.size() && c < width.size(); ++c) width[c] = std::max(width[c], r[c].size());
  auto line = [&](const std::vector<std::string>& cells, bool head) {
    std::string s;
    for (size_t c = 0; c < width.size(); ++c) {
      const std::string cell = c < cells.size() ? cells[c] : "";
      const bool right = !head && c > 0 && numeric(cell);
      s += right ? fmt::format("{:>{}}", cell, width[c]) : fmt::format("{:<{}}", cell, width[c]);
      if (c + 1 < width.size()) s += "  ";
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    fmt::print(out, "{}\n", s);
  };
  line(header_, true);
  size_t total = 0;
  for (size_t w : width) total += w + 2;
  fmt::print(out, "{}\n", std::string(total > 2 ? total - 2 : 0, '-'));
  for (const auto& r : rows_) line(r, false);
}

}  // namespace onnxcut::cli
