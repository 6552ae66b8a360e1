// Writes an artifact directory atomically: files go into a temporary sibling
// as they are produced (so large models are never all held in memory), and
// commit() renames it over DIR only once everything is written. Destroying
// an uncommitted writer removes the temporary: a failed run leaves nothing.
// An existing DIR is replaced only when it looks like an earlier artifact
// directory (empty, or holding plan-table.json), never an unrelated folder.
#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace onnxcut {

// Writes one file atomically (a temporary beside it, then a rename), so a
// failed run never leaves a half-written file. Throws InputError.
void writeFileAtomically(const std::string& path, const std::string& contents);

// Checks up front (before any planning work) that DIR could be written;
// throws InputError naming the problem.
void checkArtifactDirWritable(const std::string& dir);

class ArtifactWriter {
 public:
  explicit ArtifactWriter(std::string dir);  // checks writability
  ~ArtifactWriter();
  ArtifactWriter(const ArtifactWriter&) = delete;
  ArtifactWriter& operator=(const ArtifactWriter&) = delete;

  // Writes DIR/rel (parent folders created). Throws InputError on failure.
  void write(const std::string& rel, const std::string& contents);
  // Streams DIR/rel from `fill` (no in-memory copy of large files).
  void write(const std::string& rel, const std::function<void(std::ostream&)>& fill);
  void commit();

 private:
  std::string dir_, tmp_, old_;
  bool committed_ = false;
};

}  // namespace onnxcut
