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
    if (!fs::is_empty(p, ec) && !fs::exists(p / "plan-table.json", ec))
      throw InputError(dir + ": exists and is not an onnxcut artifact directory (no plan-table.json); refusing to replace it");
  }
}

void writeFileAtomically(const std::string& path, const std::string& contents) {
  const std::string tmp = path + ".onnxcut-tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << contents;
    f.close();
    if (!f) { std::error_code ec; fs::remove(tmp, ec); throw InputError(path + ": cannot write the file"); }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) { fs::remove(tmp, ec); throw InputError(path + ": cannot write the file: " + ec.message()); }
}

ArtifactWriter::ArtifactWriter(std::string dir) : dir_(std::move(dir)) {
  checkArtifactDirWritable(dir_);
  const std::string base = fs::absolute(dir_).lexically_normal().string();
  const std::string suffix = ".onnxcut-" + std::to_string(getpid());
  tmp_ = base + suffix + ".tmp";
  old_ = base + suffix + ".old";
  std::error_code ec;
  fs::remove_all(tmp_, ec);
  if (!fs::create_directories(tmp_, ec) || ec)
    throw InputError(dir_ + ": cannot create a temporary folder beside it: " + ec.message());
}

ArtifactWriter::~ArtifactWriter() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(tmp_, ec);
}

void ArtifactWriter::write(const std::string& rel, const std::string& contents) {
  write(rel, [&](std::ostream& out) { out.write(contents.data(), static_cast<std::streamsize>(contents.size())); });
}

void ArtifactWriter::write(const std::string& rel, const std::function<void(std::ostream&)>& fill) {
  const fs::path file = fs::path(tmp_) / rel;
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  std::ofstream out(file, std::ios::binary);
  fill(out);
  out.close();
  if (ec || !out) throw InputError(dir_ + ": failed writing " + rel + " (disk full or no permission?)");
}

void ArtifactWriter::commit() {
  const fs::path target = fs::absolute(dir_).lexically_normal();
  std::error_code ec;
  try {
    if (fs::exists(target)) fs::rename(target, old_);
    fs::rename(tmp_, target);
  } catch (const fs::filesystem_error& e) {
    if (fs::exists(old_, ec) && !fs::exists(target, ec)) fs::rename(old_, target, ec);
    throw InputError(dir_ + ": cannot write the output: " + e.what());
  }
  committed_ = true;
  fs::remove_all(old_, ec);
}

}  // namespace onnxcut
