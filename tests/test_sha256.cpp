#include <gtest/gtest.h>

#include <filesystem>

#include "sha256.h"

namespace onnxcut {
namespace {

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 56 bytes: padding spills into a second block.
  EXPECT_EQ(sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, SharedModelsMatchSourcesMd) {
  const auto path = std::filesystem::path(ONNXCUT_SHARED_DIR) / "data/models/resnet50_light.onnx";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "shared data absent: " << path;
  EXPECT_EQ(sha256File(path.string()), "05e77a5c9c9ce0913f549a50d6ebaced5e0ff6817b61e09bae26e4c5bd9055e4");
}

}  // namespace
}  // namespace onnxcut
