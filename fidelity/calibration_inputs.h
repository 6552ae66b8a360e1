// Calibration inputs for measuring fidelity (docs/precision.md): a folder of
// tensors (.npy, ONNX TensorProto .pb) or images (PNG, JPEG) turned into the
// model's input tensors, checked against the model's inputs.
//
// Folder layout:
//   one-input model:    DIR/<sample>.{npy,pb,png,jpg,jpeg}      one file per sample
//   several inputs:     DIR/<sample>/<input name>.{npy,pb,png,jpg,jpeg}
// Samples are taken in name order. Images go through one documented step:
// decoded to RGB (grey images repeated over 3 channels), resized to the
// input's H x W (bilinear, aspect not kept), then per channel
//   x = (pixel * scale - mean[c]) / std[c]
// laid out NCHW or NHWC as the input's shape says (the axis of size 3).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model_view.h"

namespace onnxcut {

struct ImagePreprocess {
  float scale = 1.0f / 255.0f;
  std::array<float, 3> mean{0, 0, 0};
  std::array<float, 3> std{1, 1, 1};
  bool bgr = false;  // channel order BGR instead of RGB
};

struct CalibrationTensor {
  int32_t elem_type = 0;  // onnx::TensorProto data type
  std::vector<int64_t> dims;
  std::string bytes;      // little-endian, row-major
};

struct CalibrationSample {
  std::string name;
  std::map<std::string, CalibrationTensor> feeds;  // by input name
};

// Every sample in `dir` (at most max_samples, 0: all), checked against the
// model's inputs (dtype and static shape). Throws InputError naming the
// file and what is wrong: an empty or missing folder, an unreadable or
// corrupt file, a wrong dtype or shape, a missing or unknown input.
std::vector<CalibrationSample> readCalibrationInputs(const ModelView& mv, const std::string& dir,
                                                     const ImagePreprocess& pre, int max_samples = 0);

// Parsers, exposed for tests. `what` names the file in messages.
CalibrationTensor readNpy(const std::string& bytes, const std::string& what);
CalibrationTensor readTensorPb(const std::string& bytes, const std::string& what);
// An image as float32 [1, 3, h, w] (nchw) or [1, h, w, 3].
CalibrationTensor readImage(const std::string& bytes, const std::string& what, int64_t h, int64_t w, bool nchw,
                            const ImagePreprocess& pre);

}  // namespace onnxcut
