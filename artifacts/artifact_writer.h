// Publishing outputs safely (docs/reliability.md, threat model): a reader
// always sees a complete old or a complete new version, a planted link or a
// folder of someone else's is never written through or deleted, and what a
// killed run leaves behind is cleaned by the next run.
//
// Single files: a temporary created exclusively beside the destination
// (mkstemp: a random name, O_EXCL, so a planted link is never followed),
// written through its descriptor, then renamed over the destination.
//
// Directories: files go into a private temporary sibling (mkdtemp) as they
// are produced, so large models are never all held in memory. commit()
// publishes it with one atomic step: rename() when DIR does not exist, else
// renameat2(RENAME_EXCHANGE) swaps the new folder and the old one, and the
// old one is deleted. DIR is replaced only when every file in it is one an
// earlier onnxcut run wrote (plan-table.json and the split files it names);
// anything else is refused, naming the files. A DIR that is a link to a
// folder stays a link: the folder it points to is the one published.
// Temporaries are named .<DIR>.onnxcut-<pid>-XXXXXX; those of processes that
// no longer run are removed when the next writer starts.
#pragma once
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace onnxcut {

// What was written: SHA-256 (hex) and size of the bytes, as they went out.
struct FileDigest {
  std::string sha256;
  uint64_t bytes = 0;
};

// Writes one file atomically. Throws InputError naming the problem.
void writeFileAtomically(const std::string& path, const std::string& contents);
void writeFileAtomically(const std::string& path, const std::function<void(std::ostream&)>& fill);

// Checks up front (before any planning work) that DIR could be published;
// throws InputError naming the problem (and any file onnxcut did not write).
void checkArtifactDirWritable(const std::string& dir);

// Entries (relative paths) in DIR that no onnxcut run wrote: everything
// but plan-table.json and the head/tail files it names (and their folders).
std::vector<std::string> foreignEntries(const std::string& dir);

class ArtifactWriter {
 public:
  explicit ArtifactWriter(std::string dir);  // checks, cleans stale temporaries
  ~ArtifactWriter();                         // uncommitted: removes the temporary
  ArtifactWriter(const ArtifactWriter&) = delete;
  ArtifactWriter& operator=(const ArtifactWriter&) = delete;

  // Writes DIR/rel (a relative path inside DIR; parent folders created).
  FileDigest write(const std::string& rel, const std::string& contents);
  // Streams DIR/rel from `fill` (no in-memory copy of large files).
  FileDigest write(const std::string& rel, const std::function<void(std::ostream&)>& fill);
  // Makes DIR/to the same file as DIR/from (written before): a hard link,
  // or a copy where the file system has none. Returns whether it linked.
  bool link(const std::string& from, const std::string& to);
  void commit();

 private:
  std::string dir_;     // as given (messages)
  std::string target_;  // the folder published (through a link)
  std::string tmp_;
  bool committed_ = false;
};

}  // namespace onnxcut
