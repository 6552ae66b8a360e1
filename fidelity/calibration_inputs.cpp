#include "calibration_inputs.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <set>

#include "errors.h"
#include "files.h"

#include "image_decode.h"

namespace onnxcut {
namespace {

namespace fs = std::filesystem;
using onnx::TensorProto;

std::string shapeText(const std::vector<int64_t>& d) {
  std::string s = "[";
  for (size_t i = 0; i < d.size(); ++i) s += (i ? ", " : "") + std::to_string(d[i]);
  return s + "]";
}

// numpy descr -> ONNX type (little-endian or byte-sized only).
int32_t npyType(const std::string& descr) {
  static const std::map<std::string, int32_t> k = {
      {"<f4", TensorProto::FLOAT},  {"<f8", TensorProto::DOUBLE}, {"<f2", TensorProto::FLOAT16},
      {"<i8", TensorProto::INT64},  {"<i4", TensorProto::INT32},  {"<i2", TensorProto::INT16},
      {"|i1", TensorProto::INT8},   {"|u1", TensorProto::UINT8},  {"<u2", TensorProto::UINT16},
      {"|b1", TensorProto::BOOL},   {"<u4", TensorProto::UINT32}, {"<u8", TensorProto::UINT64}};
  const auto it = k.find(descr);
  return it == k.end() ? 0 : it->second;
}

// The value of 'key' in a numpy header dict, as written by numpy.
std::string headerValue(const std::string& h, const std::string& key, const std::string& what) {
  const auto k = h.find("'" + key + "'");
  if (k == std::string::npos) throw InputError(what + ": .npy header has no '" + key + "'");
  auto v = h.find(':', k);
  if (v == std::string::npos) throw InputError(what + ": bad .npy header");
  ++v;
  while (v < h.size() && h[v] == ' ') ++v;
  if (v >= h.size()) throw InputError(what + ": bad .npy header");
  if (h[v] == '\'') {
    const auto e = h.find('\'', v + 1);
    if (e == std::string::npos) throw InputError(what + ": bad .npy header");
    return h.substr(v + 1, e - v - 1);
  }
  if (h[v] == '(') {
    const auto e = h.find(')', v);
    if (e == std::string::npos) throw InputError(what + ": bad .npy header");
    return h.substr(v + 1, e - v - 1);
  }
  const auto e = h.find_first_of(",}", v);
  return trim(h.substr(v, e - v));
}

// Elements of a shape read from a file: every dim in [0, 2^40] and the
// product at most 2^40 (a calibration tensor is far smaller), else an error.
int64_t numel(const std::vector<int64_t>& dims, const std::string& what) {
  constexpr int64_t kMax = int64_t{1} << 40;
  int64_t n = 1;
  for (auto d : dims) {
    if (d < 0 || d > kMax) throw InputError(what + ": dim " + std::to_string(d) + " is out of range");
    if (d != 0 && n > kMax / d) throw InputError(what + ": the shape " + shapeText(dims) + " is too large");
    n *= d;
  }
  return n;
}

bool isImage(const std::string& ext) { return ext == ".png" || ext == ".jpg" || ext == ".jpeg"; }
bool isTensor(const std::string& ext) { return ext == ".npy" || ext == ".pb"; }
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

CalibrationTensor readNpy(const std::string& b, const std::string& what) {
  if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0) throw InputError(what + ": not a .npy file (no NUMPY magic)");
  const int major = static_cast<unsigned char>(b[6]);
  size_t hlen = 0, start = 0;
  if (major == 1) {
    hlen = static_cast<unsigned char>(b[8]) | (static_cast<size_t>(static_cast<unsigned char>(b[9])) << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) throw InputError(what + ": truncated .npy header");
    for (int i = 0; i < 4; ++i) hlen |= static_cast<size_t>(static_cast<unsigned char>(b[8 + i])) << (8 * i);
    start = 12;
  } else {
    throw InputError(what + ": .npy version " + std::to_string(major) + " is not supported");
  }
  if (start + hlen > b.size()) throw InputError(what + ": truncated .npy header");
  const std::string h = b.substr(start, hlen);
  CalibrationTensor t;
  const std::string descr = headerValue(h, "descr", what);
  t.elem_type = npyType(descr);
  if (!t.elem_type) throw InputError(what + ": .npy dtype '" + descr + "' is not supported (little-endian numbers or bool)");
  if (headerValue(h, "fortran_order", what) != "False")
    throw InputError(what + ": .npy in Fortran order is not supported (save a C-ordered array)");
  const std::string shape = headerValue(h, "shape", what);
  size_t i = 0;
  while (i < shape.size()) {
    while (i < shape.size() && (shape[i] == ' ' || shape[i] == ',')) ++i;
    if (i >= shape.size()) break;
    size_t e = i;
    while (e < shape.size() && std::isdigit(static_cast<unsigned char>(shape[e]))) ++e;
    if (e == i || e - i > 13) throw InputError(what + ": bad .npy shape (" + shape + ")");
    t.dims.push_back(std::stoll(shape.substr(i, e - i)));
    i = e;
  }
  if (t.dims.size() > 64) throw InputError(what + ": .npy has more than 64 dims");
  const int64_t need = numel(t.dims, what) * elementSize(t.elem_type);
  const size_t data = start + hlen;
  if (static_cast<int64_t>(b.size() - data) != need)
    throw InputError(what + ": .npy holds " + std::to_string(b.size() - data) + " data bytes, its shape " +
                     shapeText(t.dims) + " needs " + std::to_string(need));
  t.bytes = b.substr(data);
  return t;
}

CalibrationTensor readTensorPb(const std::string& b, const std::string& what) {
  TensorProto p;
  if (!p.ParseFromString(b)) throw InputError(what + ": not an ONNX TensorProto (.pb)");
  CalibrationTensor t;
  t.elem_type = p.data_type();
  t.dims.assign(p.dims().begin(), p.dims().end());
  const int es = elementSize(t.elem_type);
  if (!es || t.elem_type == TensorProto::STRING) throw InputError(what + ": tensor type " + dtypeName(t.elem_type) + " is not supported");
  if (p.has_data_location() && p.data_location() == TensorProto::EXTERNAL)
    throw InputError(what + ": the tensor's data is external (save it inline)");
  if (t.dims.size() > 64) throw InputError(what + ": the tensor has more than 64 dims");
  const int64_t n = numel(t.dims, what);
  if (p.has_raw_data()) {
    t.bytes = p.raw_data();
  } else {
    auto put = [&](const void* src, size_t bytes) { t.bytes.append(static_cast<const char*>(src), bytes); };
    switch (t.elem_type) {
      case TensorProto::FLOAT:
        for (float v : p.float_data()) put(&v, 4);
        break;
      case TensorProto::DOUBLE:
        for (double v : p.double_data()) put(&v, 8);
        break;
      case TensorProto::INT64:
        for (int64_t v : p.int64_data()) put(&v, 8);
        break;
      case TensorProto::INT32:
      case TensorProto::INT16:
      case TensorProto::INT8:
      case TensorProto::UINT8:
      case TensorProto::UINT16:
      case TensorProto::BOOL:
      case TensorProto::FLOAT16:
        for (int32_t v : p.int32_data()) put(&v, static_cast<size_t>(es));  // low bytes (little-endian)
        break;
      default:
        throw InputError(what + ": tensor type " + dtypeName(t.elem_type) + " is not supported");
    }
  }
  if (static_cast<int64_t>(t.bytes.size()) != n * es)
    throw InputError(what + ": the tensor holds " + std::to_string(t.bytes.size()) + " bytes, its shape " +
                     shapeText(t.dims) + " needs " + std::to_string(n * es));
  return t;
}

CalibrationTensor readImage(const std::string& b, const std::string& what, int64_t h, int64_t w, bool nchw,
                            const ImagePreprocess& pre) {
  int iw = 0, ih = 0;
  std::string why;
  const std::vector<unsigned char> pixels = decodeRgb(b, iw, ih, why);
  if (pixels.empty()) throw InputError(what + ": cannot decode the image (" + why + ")");
  const unsigned char* px = pixels.data();
  CalibrationTensor t;
  t.elem_type = TensorProto::FLOAT;
  t.dims = nchw ? std::vector<int64_t>{1, 3, h, w} : std::vector<int64_t>{1, h, w, 3};
  std::vector<float> out(static_cast<size_t>(3 * h * w));
  // Bilinear, pixel centres aligned (half-pixel), edges clamped.
  for (int64_t y = 0; y < h; ++y) {
    const double sy = std::clamp((static_cast<double>(y) + 0.5) * ih / static_cast<double>(h) - 0.5, 0.0, ih - 1.0);
    const int y0 = static_cast<int>(sy), y1 = std::min(y0 + 1, ih - 1);
    const double fy = sy - y0;
    for (int64_t x = 0; x < w; ++x) {
      const double sx = std::clamp((static_cast<double>(x) + 0.5) * iw / static_cast<double>(w) - 0.5, 0.0, iw - 1.0);
      const int x0 = static_cast<int>(sx), x1 = std::min(x0 + 1, iw - 1);
      const double fx = sx - x0;
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int yy, int xx) { return static_cast<double>(px[(static_cast<size_t>(yy) * iw + xx) * 3 + c]); };
        const double v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
        const int oc = pre.bgr ? 2 - c : c;
        const float f = (static_cast<float>(v) * pre.scale - pre.mean[oc]) / pre.std[oc];
        const size_t idx = nchw ? static_cast<size_t>((oc * h + y) * w + x) : static_cast<size_t>((y * w + x) * 3 + oc);
        out[idx] = f;
      }
    }
  }
  t.bytes.assign(reinterpret_cast<const char*>(out.data()), out.size() * sizeof(float));
  return t;
}

std::vector<CalibrationSample> readCalibrationInputs(const ModelView& mv, const std::string& dir,
                                                     const ImagePreprocess& pre, int max_samples) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw InputError(dir + ": the calibration folder does not exist");
  for (int c = 0; c < 3; ++c)
    if (!(pre.std[c] != 0 && std::isfinite(pre.std[c]) && std::isfinite(pre.mean[c])))
      throw InputError("image std must be non-zero and mean finite (channel " + std::to_string(c) + ")");
  std::vector<int> inputs;
  for (int t : mv.graphInputs()) inputs.push_back(t);
  if (inputs.empty()) throw InputError(mv.label() + ": the model has no inputs to calibrate with");
  for (int t : inputs)
    if (!mv.tensors()[t].shape)
      throw InputError(mv.label() + ": input '" + mv.tensors()[t].name + "' has no static shape (fix its dims)");

  // One sample: (name, input -> file).
  std::vector<std::pair<std::string, std::map<std::string, fs::path>>> found;
  std::vector<fs::directory_entry> entries;
  for (const auto& e : fs::directory_iterator(dir, ec)) entries.push_back(e);
  if (ec) throw InputError(dir + ": cannot list the calibration folder (" + ec.message() + ")");
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.path() < b.path(); });
  const bool one = inputs.size() == 1;
  for (const auto& e : entries) {
    const std::string name = e.path().filename().string();
    if (name.starts_with(".")) continue;
    if (one) {
      if (e.is_directory()) throw InputError(e.path().string() + ": a folder; a one-input model takes one file per sample");
      const std::string ext = lower(e.path().extension().string());
      if (!isImage(ext) && !isTensor(ext))
        throw InputError(e.path().string() + ": not a calibration file (.npy, .pb, .png, .jpg, .jpeg)");
      found.push_back({e.path().stem().string(), {{mv.tensors()[inputs[0]].name, e.path()}}});
      continue;
    }
    if (!e.is_directory())
      throw InputError(e.path().string() + ": the model has " + std::to_string(inputs.size()) +
                       " inputs; give one folder per sample with a file per input");
    std::map<std::string, fs::path> files;
    for (const auto& f : fs::directory_iterator(e.path(), ec)) {
      const std::string ext = lower(f.path().extension().string());
      if (f.path().filename().string().starts_with(".")) continue;
      if (!isImage(ext) && !isTensor(ext))
        throw InputError(f.path().string() + ": not a calibration file (.npy, .pb, .png, .jpg, .jpeg)");
      files[f.path().stem().string()] = f.path();
    }
    found.push_back({name, files});
  }
  if (found.empty()) throw InputError(dir + ": the calibration folder is empty (no .npy, .pb, .png or .jpg files)");
  if (max_samples > 0 && static_cast<int>(found.size()) > max_samples) found.resize(static_cast<size_t>(max_samples));

  std::vector<CalibrationSample> out;
  for (const auto& [sample, files] : found) {
    CalibrationSample s{sample, {}};
    std::set<std::string> names;
    for (int t : inputs) {
      const TensorInfo& ti = mv.tensors()[t];
      names.insert(ti.name);
      const auto it = files.find(ti.name);
      if (it == files.end()) throw InputError(dir + "/" + sample + ": no file for input '" + ti.name + "'");
      const std::string path = it->second.string();
      const std::string ext = lower(it->second.extension().string());
      const std::string bytes = readWholeFile(path, "calibration input");
      CalibrationTensor ct;
      if (ext == ".npy") ct = readNpy(bytes, path);
      else if (ext == ".pb") ct = readTensorPb(bytes, path);
      else {
        const auto& d = *ti.shape;
        const bool nchw = d.size() == 4 && d[1] == 3, nhwc = d.size() == 4 && d[3] == 3;
        if (ti.elem_type != TensorProto::FLOAT || !(nchw || nhwc) || d[0] != 1)
          throw InputError(path + ": images feed float32 inputs of shape [1, 3, H, W] or [1, H, W, 3]; input '" +
                           ti.name + "' is " + dtypeName(ti.elem_type) + " " + shapeText(d));
        ct = readImage(bytes, path, nchw ? d[2] : d[1], nchw ? d[3] : d[2], nchw, pre);
      }
      if (ct.elem_type != ti.elem_type)
        throw InputError(path + ": dtype " + dtypeName(ct.elem_type) + ", but input '" + ti.name + "' is " +
                         dtypeName(ti.elem_type));
      if (ct.dims != *ti.shape)
        throw InputError(path + ": shape " + shapeText(ct.dims) + ", but input '" + ti.name + "' is " +
                         shapeText(*ti.shape));
      s.feeds[ti.name] = std::move(ct);
    }
    for (const auto& [name, f] : files)
      if (!names.count(name)) throw InputError(f.string() + ": the model has no input '" + name + "'");
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace onnxcut
