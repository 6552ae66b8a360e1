#include "version.h"

#ifndef ONNXCUT_VERSION
#error "ONNXCUT_VERSION is set by CMake (project version)"
#endif

namespace onnxcut {

const char* toolVersion() { return ONNXCUT_VERSION; }

}  // namespace onnxcut
