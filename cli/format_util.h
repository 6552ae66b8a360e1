// Small text helpers for the CLI: aligned tables and human-readable sizes.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace onnxcut::cli {

// Progress lines for long steps go to stderr when it is a terminal, or
// when ONNXCUT_PROGRESS=1 (CI logs); never to stdout.
bool progressWanted();
void progressLine(const std::string& what);

std::string bytesText(std::optional<int64_t> bytes);
std::string bytesText(double bytes);

// Columns sized to their widest cell; first column left-aligned, the rest
// left-aligned when text, right-aligned when they look numeric.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  void print(std::FILE* out = stdout) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace onnxcut::cli
