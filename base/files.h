// Small text and file helpers shared by every parser.
#pragma once
#include <string>

namespace onnxcut {

// The whole file; throws InputError "<path>: cannot open <what>".
std::string readWholeFile(const std::string& path, const std::string& what);

// Strips spaces and tabs at both ends.
std::string trim(const std::string& s);
// The whole of `s` (blanks around it trimmed) as a finite number.
bool parseFiniteNumber(const std::string& s, double& out);

// A private temporary folder (mkdtemp in $TMPDIR or /tmp), removed with
// everything in it when the object goes, whatever happened.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);  // throws InputError
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace onnxcut
