// PNG and JPEG decoding for calibration images: libpng's simplified API and
// libjpeg-turbo's TurboJPEG API (Debian's libpng-dev, libturbojpeg0-dev),
// both maintained for hostile input. Errors are values, never exceptions
// or aborts; a JPEG with any decoder warning (a truncated file) is refused.
#pragma once
#include <string>
#include <vector>

namespace onnxcut {

// Images above this many pixels are refused before decoding.
constexpr long long kMaxImagePixels = 1LL << 26;

// RGB, 8 bits per channel, row-major (grey images repeated over 3 channels,
// alpha composited on black); empty with `why` set when the bytes are not
// a decodable PNG or JPEG.
std::vector<unsigned char> decodeRgb(const std::string& bytes, int& width, int& height, std::string& why);

}  // namespace onnxcut
