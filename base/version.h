// The tool's version (CMake's project version): --version, and the "tool"
// entry of every plan table written.
#pragma once

namespace onnxcut {

const char* toolVersion();

}  // namespace onnxcut
