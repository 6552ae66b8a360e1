#include "artifact_writer.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "errors.h"

namespace onnxcut {
namespace fs = std::filesystem;

void checkArtifactDirWritable(const std::string& dir) {
  if (dir.empty()) throw InputError("the output directory (-o) is empty");
  const fs::path p = fs::absolute(dir);
  const fs::path parent = p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    throw InputError(dir + ": cannot write the output: its parent folder " + parent.string() + " does not exist");
  if (access(parent.c_str(), W_OK) != 0)
    throw InputError(dir + ": cannot write the output: no permission to write in " + parent.string());
  if (fs::exists(p, ec)) {
    if (!fs::is_directory(p, ec)) throw InputError(dir + ": exists and is not a directory");
    const bool empty = fs::is_empty(p, ec);
    if (!empty && !fs::exists(p / "plan-table.json", ec))
      throw InputError(dir + ": exists and is not an onnxcut artifact directory (no plan-table.json); refusing to replace it");
  }
}

void writeArtifactDir(const std::string& dir, const std::map<std::string, std::string>& files) {
  checkArtifactDirWritable(dir);
  const fs::path target = fs::absolute(dir);
  const std::string suffix = ".onnxcut-" + std::to_string(getpid());
  const fs::path tmp = target.string() + suffix + ".tmp", old = target.string() + suffix + ".old";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  try {
    fs::create_directories(tmp);
    for (const auto& [rel, contents] : files) {
      const fs::path file = tmp / rel;
      fs::create_directories(file.parent_path());
      std::ofstream out(file, std::ios::binary);
      out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
      out.close();
      if (!out) throw InputError(dir + ": failed writing " + rel + " (disk full?)");
    }
    if (fs::exists(target)) fs::rename(target, old);
    fs::rename(tmp, target);
    fs::remove_all(old, ec);
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(tmp, ec);
    if (fs::exists(old, ec) && !fs::exists(target, ec)) fs::rename(old, target, ec);
    throw InputError(dir + ": cannot write the output: " + e.what());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace onnxcut
