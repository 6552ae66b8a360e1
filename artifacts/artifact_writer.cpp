#include "artifact_writer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "errors.h"
#include "sha256.h"

namespace onnxcut {
namespace fs = std::filesystem;
namespace {

std::string errnoText(int e) { return std::strerror(e); }

// A streambuf over a descriptor we own: large writes go straight through,
// and the first error (ENOSPC, EFBIG, EIO) is kept for the caller.
class FdBuf : public std::streambuf {
 public:
  explicit FdBuf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
  int error() const { return err_; }
  FileDigest digest() { return {sha_.hex(), bytes_}; }

 protected:
  int_type overflow(int_type c) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n < epptr() - pptr()) {
      std::memcpy(pptr(), s, static_cast<size_t>(n));
      pbump(static_cast<int>(n));
      return n;
    }
    if (sync() != 0 || !writeAll(s, static_cast<size_t>(n))) return 0;
    return n;
  }
  int sync() override {
    const bool ok = writeAll(pbase(), static_cast<size_t>(pptr() - pbase()));
    setp(buf_, buf_ + sizeof buf_);
    return ok ? 0 : -1;
  }

 private:
  bool writeAll(const char* p, size_t n) {
    sha_.update(p, n);
    bytes_ += n;
    while (n > 0 && err_ == 0) {
      const ssize_t w = ::write(fd_, p, n);
      if (w < 0) {
        if (errno != EINTR) err_ = errno;
        continue;
      }
      p += w;
      n -= static_cast<size_t>(w);
    }
    return err_ == 0;
  }
  int fd_;
  int err_ = 0;
  Sha256 sha_;
  uint64_t bytes_ = 0;
  char buf_[1 << 16];
};

// Fills the file behind `fd` and closes it; throws InputError on any error.
FileDigest fillAndClose(int fd, const std::function<void(std::ostream&)>& fill, const std::string& what) {
  int err = 0;
  FileDigest digest;
  {
    FdBuf buf(fd);
    std::ostream out(&buf);
    try {
      fill(out);
    } catch (...) {
      close(fd);
      throw;
    }
    out.flush();
    err = buf.error() ? buf.error() : (out ? 0 : EIO);
    digest = buf.digest();
  }
  if (close(fd) != 0 && err == 0) err = errno;
  if (err != 0)
    throw InputError(what + ": cannot write: " + errnoText(err) +
                     (err == ENOSPC || err == EFBIG ? " (disk full or file size limit)" : ""));
  return digest;
}

mode_t defaultFileMode() {
  const mode_t mask = umask(0);
  umask(mask);
  return 0666 & ~mask;
}

bool processAlive(long pid) { return pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH); }

// ".<name>.onnxcut-<pid>-XXXXXX": the temporaries of one destination.
std::string tempPrefix(const std::string& name) { return "." + name + ".onnxcut-"; }

// Removes the temporaries of `name` in `parent` whose process has ended
// (owned by us, real files or folders, never through a link).
void cleanStale(const fs::path& parent, const std::string& name) {
  const std::string prefix = tempPrefix(name);
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    if (entry.rfind(prefix, 0) != 0) continue;
    const std::string rest = entry.substr(prefix.size());  // <pid>-XXXXXX
    const size_t dash = rest.find('-');
    if (dash == std::string::npos || dash == 0 || rest.find_first_not_of("0123456789") != dash) continue;
    const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
    struct stat st {};
    if (lstat(it->path().c_str(), &st) != 0 || st.st_uid != geteuid() || S_ISLNK(st.st_mode)) continue;
    if (processAlive(pid)) continue;
    std::error_code rm;
    fs::remove_all(it->path(), rm);
  }
}

// The folder a DIR argument publishes: absolute, through a link.
fs::path resolveTarget(const std::string& dir) {
  if (dir.empty()) throw InputError("the output directory is empty");
  fs::path p = fs::absolute(dir).lexically_normal();
  if (p.has_filename() == false) p = p.parent_path();
  std::error_code ec;
  if (fs::is_symlink(p, ec)) {
    const fs::path to = fs::weakly_canonical(p, ec);
    if (ec || !fs::is_directory(to, ec))
      throw InputError(dir + ": is a link to " + (ec ? std::string("nothing readable") : to.string()) +
                       ", not to a folder; refusing to replace it");
    return to;
  }
  return p;
}

// A relative path that stays inside its folder.
bool isContainedRelative(const std::string& rel) {
  const fs::path p(rel);
  if (rel.empty() || p.is_absolute()) return false;
  for (const auto& part : p)
    if (part == ".." || part == ".") return false;
  return true;
}

std::string listSome(const std::vector<std::string>& items, size_t most = 5) {
  std::string s;
  for (size_t i = 0; i < items.size() && i < most; ++i) s += (i ? ", " : "") + items[i];
  if (items.size() > most) s += " (+" + std::to_string(items.size() - most) + " more)";
  return s;
}

}  // namespace

void writeFileAtomically(const std::string& path, const std::string& contents) {
  writeFileAtomically(path, [&](std::ostream& out) {
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  });
}

void writeFileAtomically(const std::string& path, const std::function<void(std::ostream&)>& fill) {
  const fs::path p = fs::absolute(path).lexically_normal();
  const std::string name = p.filename().string();
  std::error_code ec;
  if (name.empty() || fs::is_directory(p, ec)) throw InputError(path + ": is a folder, not a file name");
  const fs::path parent = p.parent_path();
  if (!fs::is_directory(parent, ec)) throw InputError(path + ": its folder " + parent.string() + " does not exist");
  cleanStale(parent, name);
  std::string tmp = (parent / (tempPrefix(name) + std::to_string(getpid()) + "-XXXXXX")).string();
  const int fd = mkstemp(tmp.data());
  if (fd < 0) throw InputError(path + ": cannot create a file in " + parent.string() + ": " + errnoText(errno));
  fchmod(fd, defaultFileMode());
  try {
    fillAndClose(fd, fill, path);
  } catch (...) {
    unlink(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), p.c_str()) != 0) {
    const int e = errno;
    unlink(tmp.c_str());
    throw InputError(path + ": cannot write the file: " + errnoText(e));
  }
}

std::vector<std::string> foreignEntries(const std::string& dir) {
  const fs::path root(dir);
  std::set<std::string> files = {"plan-table.json"}, folders;
  std::vector<std::string> foreign;
  std::error_code ec;
  const fs::path table = root / "plan-table.json";
  if (fs::is_regular_file(fs::symlink_status(table, ec))) {
    std::ifstream f(table);
    const nlohmann::json j = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
    const bool ours = j.is_object() && j.contains("format") && j["format"].is_string() &&
                      j["format"].get<std::string>() == "onnxcut.plan-table";
    if (!ours) {
      foreign.push_back("plan-table.json (not an onnxcut plan table)");
    } else {
      auto mine = [&](const nlohmann::json& v) {
        if (v.is_string() && isContainedRelative(v.get<std::string>()))
          files.insert(fs::path(v.get<std::string>()).lexically_normal().string());
      };
      if (j.contains("plans") && j["plans"].is_array())
        for (const auto& p : j["plans"]) {
          if (!p.is_object()) continue;
          for (const char* side : {"head", "tail", "head_data", "tail_data"})
            if (p.contains(side)) mine(p[side]);
        }
      if (j.contains("files") && j["files"].is_array())  // version 2: every file written
        for (const auto& f : j["files"])
          if (f.is_object() && f.contains("path")) mine(f["path"]);
    }
  } else {
    files.clear();  // without a table, nothing in DIR is known to be ours
  }
  for (const auto& f : files)
    for (fs::path d = fs::path(f).parent_path(); !d.empty(); d = d.parent_path()) folders.insert(d.string());
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string rel = it->path().lexically_relative(root).string();
    const auto st = it->symlink_status(ec);
    const bool ours = (fs::is_regular_file(st) && files.count(rel)) || (fs::is_directory(st) && folders.count(rel));
    if (!ours) {
      foreign.push_back(rel);
      if (fs::is_directory(st)) it.disable_recursion_pending();
    }
  }
  if (ec) foreign.push_back("(cannot read " + dir + ": " + ec.message() + ")");
  return foreign;
}

void checkArtifactDirWritable(const std::string& dir) {
  const fs::path p = resolveTarget(dir);
  const fs::path parent = p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    throw InputError(dir + ": cannot write the output: its parent folder " + parent.string() + " does not exist");
  if (access(parent.c_str(), W_OK) != 0)
    throw InputError(dir + ": cannot write the output: no permission to write in " + parent.string());
  const auto st = fs::symlink_status(p, ec);
  if (!fs::exists(st)) return;
  if (!fs::is_directory(st)) throw InputError(dir + ": exists and is not a directory");
  if (fs::is_empty(p, ec)) return;
  if (!fs::exists(p / "plan-table.json", ec))
    throw InputError(dir + ": exists and is not an onnxcut artifact directory (no plan-table.json); refusing to replace it");
  const auto foreign = foreignEntries(p.string());
  if (!foreign.empty())
    throw InputError(dir + ": holds " + std::to_string(foreign.size()) + " file(s) onnxcut did not write: " +
                     listSome(foreign) + "; refusing to replace it (move them, or choose another output folder)");
}

ArtifactWriter::ArtifactWriter(std::string dir) : dir_(std::move(dir)) {
  checkArtifactDirWritable(dir_);
  const fs::path target = resolveTarget(dir_);
  target_ = target.string();
  cleanStale(target.parent_path(), target.filename().string());
  std::string tmpl =
      (target.parent_path() / (tempPrefix(target.filename().string()) + std::to_string(getpid()) + "-XXXXXX")).string();
  if (!mkdtemp(tmpl.data()))
    throw InputError(dir_ + ": cannot create a temporary folder beside it: " + errnoText(errno));
  tmp_ = tmpl;
}

ArtifactWriter::~ArtifactWriter() {
  if (committed_) return;
  std::error_code ec;
  fs::remove_all(tmp_, ec);
}

FileDigest ArtifactWriter::write(const std::string& rel, const std::string& contents) {
  return write(rel, [&](std::ostream& out) { out.write(contents.data(), static_cast<std::streamsize>(contents.size())); });
}

FileDigest ArtifactWriter::write(const std::string& rel, const std::function<void(std::ostream&)>& fill) {
  if (!isContainedRelative(rel)) throw std::logic_error("artifact path leaves its folder: " + rel);
  const fs::path file = fs::path(tmp_) / rel;
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  if (ec) throw InputError(dir_ + ": cannot create the folder for " + rel + ": " + ec.message());
  const int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
  if (fd < 0) throw InputError(dir_ + ": cannot create " + rel + ": " + errnoText(errno));
  return fillAndClose(fd, fill, dir_ + "/" + rel);
}

bool ArtifactWriter::link(const std::string& from, const std::string& to) {
  if (!isContainedRelative(from) || !isContainedRelative(to)) throw std::logic_error("artifact path leaves its folder");
  const fs::path src = fs::path(tmp_) / from, dst = fs::path(tmp_) / to;
  std::error_code ec;
  fs::create_directories(dst.parent_path(), ec);
  if (ec) throw InputError(dir_ + ": cannot create the folder for " + to + ": " + ec.message());
  if (::link(src.c_str(), dst.c_str()) == 0) return true;
  if (errno == EEXIST) throw InputError(dir_ + ": " + to + " exists already");
  // No hard links here (FAT, some network file systems): a copy.
  std::ifstream in(src, std::ios::binary);
  if (!in) throw InputError(dir_ + ": cannot read " + from + " back");
  write(to, [&in](std::ostream& out) { out << in.rdbuf(); });
  return false;
}

void ArtifactWriter::commit() {
  if (std::rename(tmp_.c_str(), target_.c_str()) == 0) {  // DIR did not exist, or was empty
    committed_ = true;
    return;
  }
  if (errno != EEXIST && errno != ENOTEMPTY)
    throw InputError(dir_ + ": cannot publish the output: " + errnoText(errno));
  // DIR holds an earlier result: swap the two folders in one step, then
  // delete the old one (now at tmp_), unless files appeared in it meanwhile.
  checkArtifactDirWritable(target_);
  if (renameat2(AT_FDCWD, tmp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno != EINVAL && errno != ENOSYS)
      throw InputError(dir_ + ": cannot publish the output: " + errnoText(errno));
    // No exchange on this file system: move the old folder aside first (a
    // reader may see no folder for an instant; documented).
    std::string aside = tmp_ + "-old";
    if (std::rename(target_.c_str(), aside.c_str()) != 0 || std::rename(tmp_.c_str(), target_.c_str()) != 0) {
      const int e = errno;
      std::rename(aside.c_str(), target_.c_str());
      throw InputError(dir_ + ": cannot publish the output: " + errnoText(e));
    }
    committed_ = true;
    std::error_code ec;
    fs::remove_all(aside, ec);
    return;
  }
  committed_ = true;
  const auto foreign = foreignEntries(tmp_);
  std::error_code ec;
  if (!foreign.empty()) {  // someone wrote into DIR while we planned: give it back
    renameat2(AT_FDCWD, tmp_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE);
    committed_ = false;
    throw InputError(dir_ + ": files appeared in it while planning (" + listSome(foreign) + "); left as it was");
  }
  fs::remove_all(tmp_, ec);
}

}  // namespace onnxcut
