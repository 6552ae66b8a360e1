#include "data_dir.h"

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <utility>

#ifndef ONNXCUT_SOURCE_DIR
#define ONNXCUT_SOURCE_DIR ""
#endif
#ifndef ONNXCUT_INSTALL_DATADIR
#define ONNXCUT_INSTALL_DATADIR ""
#endif

namespace onnxcut {
namespace {

namespace fs = std::filesystem;

// A folder holding the bundled profiles is an onnxcut data folder.
bool isDataDir(const fs::path& p) {
  std::error_code ec;
  return !p.empty() && fs::is_directory(p / "profiles", ec);
}

std::pair<std::string, std::string> locate() {
  if (const char* env = std::getenv("ONNXCUT_DATA_DIR"); env && *env) return {env, "ONNXCUT_DATA_DIR"};
  char exe[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    const fs::path share = fs::path(exe).parent_path().parent_path() / "share" / "onnxcut";
    if (isDataDir(share)) return {share.string(), "installed"};
  }
  if (isDataDir(ONNXCUT_INSTALL_DATADIR)) return {ONNXCUT_INSTALL_DATADIR, "prefix"};
  if (isDataDir(ONNXCUT_SOURCE_DIR)) return {ONNXCUT_SOURCE_DIR, "source tree"};
  return {"", ""};
}

}  // namespace

std::string dataDir() { return locate().first; }
std::string dataDirOrigin() { return locate().second; }

}  // namespace onnxcut
