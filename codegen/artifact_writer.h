// Writes an artifact directory atomically: everything goes into a temporary
// sibling first, which replaces DIR by rename only once complete, so a failed
// run leaves no partial directory. An existing DIR is replaced only when it
// looks like an earlier artifact directory (empty, or holding
// plan-table.json), never an unrelated folder.
#pragma once
#include <map>
#include <string>

namespace onnxcut {

// files: relative path -> contents. Throws InputError when DIR can't be
// written (missing parent, no permission, DIR is a file or a foreign folder).
void writeArtifactDir(const std::string& dir, const std::map<std::string, std::string>& files);

// Checks up front (before any planning work) that DIR could be written.
void checkArtifactDirWritable(const std::string& dir);

}  // namespace onnxcut
