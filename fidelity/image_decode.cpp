#include "image_decode.h"

#include <png.h>
#include <turbojpeg.h>

#include <climits>
#include <cstring>

namespace onnxcut {
namespace {

std::vector<unsigned char> decodePng(const std::string& b, int& width, int& height, std::string& why) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, b.data(), b.size())) {
    why = img.message;
    return {};
  }
  if (static_cast<long long>(img.width) * img.height > kMaxImagePixels) {
    why = std::to_string(img.width) + " x " + std::to_string(img.height) + " pixels, more than 2^26";
    png_image_free(&img);
    return {};
  }
  img.format = PNG_FORMAT_RGB;
  std::vector<unsigned char> out(PNG_IMAGE_SIZE(img));
  const png_color black{0, 0, 0};
  if (!png_image_finish_read(&img, &black, out.data(), 0, nullptr)) {
    why = img.message;
    png_image_free(&img);
    return {};
  }
  width = static_cast<int>(img.width);
  height = static_cast<int>(img.height);
  return out;
}

std::vector<unsigned char> decodeJpeg(const std::string& b, int& width, int& height, std::string& why) {
  tjhandle h = tjInitDecompress();
  if (!h) {
    why = "cannot start the JPEG decoder";
    return {};
  }
  auto* src = reinterpret_cast<const unsigned char*>(b.data());
  const auto size = static_cast<unsigned long>(b.size());
  int w = 0, ht = 0, sub = 0, cs = 0;
  std::vector<unsigned char> out;
  if (tjDecompressHeader3(h, src, size, &w, &ht, &sub, &cs) != 0) {
    why = tjGetErrorStr2(h);
  } else if (w <= 0 || ht <= 0 || static_cast<long long>(w) * ht > kMaxImagePixels) {
    why = std::to_string(w) + " x " + std::to_string(ht) + " pixels (at most 2^26)";
  } else {
    out.resize(static_cast<size_t>(w) * static_cast<size_t>(ht) * 3);
    if (tjDecompress2(h, src, size, out.data(), w, 0, ht, TJPF_RGB, TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING) != 0) {
      why = tjGetErrorStr2(h);
      out.clear();
    } else {
      width = w;
      height = ht;
    }
  }
  tjDestroy(h);
  return out;
}

}  // namespace

std::vector<unsigned char> decodeRgb(const std::string& bytes, int& width, int& height, std::string& why) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    why = "larger than 2 GiB";
    return {};
  }
  if (bytes.size() >= 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n", 8) == 0) return decodePng(bytes, width, height, why);
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xFF && static_cast<unsigned char>(bytes[1]) == 0xD8 &&
      static_cast<unsigned char>(bytes[2]) == 0xFF)
    return decodeJpeg(bytes, width, height, why);
  why = "neither a PNG nor a JPEG";
  return {};
}

}  // namespace onnxcut
