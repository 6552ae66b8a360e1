// SHA-256 (FIPS 180-4), hex encoded: plan tables identify models by it.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace onnxcut {

// Incremental: update() with the bytes in order, then hex() once.
class Sha256 {
 public:
  void update(const char* data, size_t n);
  std::string hex();  // finishes the hash

 private:
  std::array<uint32_t, 8> h_ = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  unsigned char block_[64] = {};
  size_t fill_ = 0;
  uint64_t total_ = 0;
};

std::string sha256Hex(const std::string& bytes);
// Throws InputError when the file cannot be read.
std::string sha256File(const std::string& path);

}  // namespace onnxcut
