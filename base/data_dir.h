// Where onnxcut's own files are (bundled hardware profiles, the ONNX Runtime
// helper scripts and the npm packages they use), for a tool that runs from
// its build tree or installed anywhere (docs/install.md):
//   1. $ONNXCUT_DATA_DIR, when set;
//   2. <the running executable's folder>/../share/onnxcut, when it exists
//      (an installed tool; the prefix may have been moved);
//   3. the installation prefix compiled in (<prefix>/share/onnxcut), when
//      it exists (a library user's own program);
//   4. the source tree the build came from (a build tree).
#pragma once
#include <string>

namespace onnxcut {

// The folder holding profiles/, scripts/ and node_modules/ (empty when none
// of the places above exists).
std::string dataDir();
// Where dataDir() came from: "ONNXCUT_DATA_DIR", "installed", "prefix",
// "source tree" or "" (none).
std::string dataDirOrigin();

}  // namespace onnxcut
