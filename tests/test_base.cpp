#include <gtest/gtest.h>

#include <algorithm>

#include <filesystem>

#include "errors.h"
#include "files.h"
#include "model_view.h"
#include "process.h"
#include "sha256.h"

#include <unistd.h>
#include <cstdio>

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

TEST(Sha256, IncrementalEqualsOneShot) {
  std::string bytes;
  for (int i = 0; i < 5000; ++i) bytes += static_cast<char>(i * 7919 % 251);
  for (size_t chunk : {1, 3, 63, 64, 65, 4096}) {
    Sha256 h;
    for (size_t i = 0; i < bytes.size(); i += chunk) h.update(bytes.data() + i, std::min(chunk, bytes.size() - i));
    EXPECT_EQ(h.hex(), sha256Hex(bytes)) << "chunk " << chunk;
  }
}

// The model's identity is hashed while the file is parsed (one read): it
// must equal the hash of the file's bytes, for binary and text models.
TEST(Sha256, ModelViewHashesTheFileItRead) {
  for (const char* rel : {"tests/data/diamond.onnx", "models/tinyresnet.onnxtxt", "models/resnet18_light.onnx"}) {
    const std::string path = std::string(ONNXCUT_SOURCE_DIR) + "/" + rel;
    EXPECT_EQ(ModelView::load(path).sha256(), sha256File(path)) << rel;
  }
}

TEST(Errors, OptionReferencesAreSpelledByTheReader) {
  const std::string raw = optionRef("min_mbps") + " (5) must be below " + optionRef("max_mbps") + " (1)";
  const InputError e(raw);
  EXPECT_STREQ(e.what(), "min_mbps (5) must be below max_mbps (1)");
  EXPECT_EQ(e.message([](const std::string& o) { return "<" + o + ">"; }), "<min_mbps> (5) must be below <max_mbps> (1)");
  EXPECT_EQ(e.raw(), raw);
}

TEST(Errors, UnmatchedMarkersAndPlainTextPassThrough) {
  auto upper = [](const std::string& o) { return "[" + o + "]"; };
  EXPECT_EQ(renderMessage("no options here", upper), "no options here");
  EXPECT_EQ(renderMessage("", upper), "");
  EXPECT_EQ(renderMessage(std::string("open \x01 never closed"), upper), "open \x01 never closed");
  EXPECT_EQ(renderMessage(std::string("a\x01" "x\x02" "b\x01" "y\x02"), upper), "a[x]b[y]");
}

TEST(Errors, ErrorListJoinsEveryProblem) {
  ErrorList e;
  EXPECT_NO_THROW(e.throwIfAny("ctx"));
  e.add("one");
  e.add("two");
  try {
    e.throwIfAny("ctx");
    FAIL() << "expected InputError";
  } catch (const InputError& x) {
    EXPECT_STREQ(x.what(), "ctx: 2 problems:\n  - one\n  - two");
  }
}

TEST(Errors, ErrorListShowsTheFirstFewAndCountsTheRest) {
  ErrorList e;
  for (int i = 0; i < 164; ++i) e.add("row " + std::to_string(i));
  try {
    e.throwIfAny("costs.csv");
    FAIL() << "expected InputError";
  } catch (const InputError& x) {
    const std::string m = x.what();
    EXPECT_EQ(m.rfind("costs.csv: 164 problems:", 0), 0u);
    EXPECT_NE(m.find("row 7\n"), std::string::npos);
    EXPECT_EQ(m.find("row 8"), std::string::npos);
    EXPECT_NE(m.find("... and 156 more (the first 8 are shown)"), std::string::npos);
    EXPECT_EQ(std::count(m.begin(), m.end(), '\n'), 9);
  }
}

TEST(Files, TrimAndReadWholeFile) {
  EXPECT_EQ(trim(" \t a b \t"), "a b");
  EXPECT_EQ(trim("   "), "");
  EXPECT_THROW(readWholeFile("/no/such/file", "the thing"), InputError);
}

}  // namespace
}  // namespace onnxcut

namespace onnxcut {
namespace {

TEST(Process, StripAnsiRemovesColourCodesOnly) {
  EXPECT_EQ(stripAnsi("\033[1;31m2026 [E:onnxruntime] bad\033[m\n"), "2026 [E:onnxruntime] bad\n");
  EXPECT_EQ(stripAnsi("\033[0;93mwarn\033[m and [brackets] stay"), "warn and [brackets] stay");
  EXPECT_EQ(stripAnsi("plain"), "plain");
  EXPECT_EQ(stripAnsi("cut \033["), "cut ");  // a sequence cut short is dropped, never read past
}

// A child that writes colour codes to stderr: with plain_stderr, our stderr
// (a file here, not a terminal) gets the text without them; stdout is still
// captured beside it.
TEST(Process, PlainStderrRelaysTheChildsStderrWithoutColour) {
  char path[] = "/tmp/onnxcut_stderr_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const int saved = dup(STDERR_FILENO);
  dup2(fd, STDERR_FILENO);
  const ProcessResult r = runProcess(
      {"sh", "-c", "printf 'out'; i=0; while [ $i -lt 3000 ]; do printf '\\033[1;31mline %s\\033[m\\n' $i >&2; i=$((i+1)); done"},
      /*capture_stdout=*/true, /*plain_stderr=*/true);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  const std::string err = readWholeFile(path, "stderr copy");
  std::remove(path);
  ASSERT_TRUE(r.started);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "out");
  EXPECT_EQ(err.find('\033'), std::string::npos);
  EXPECT_NE(err.find("line 0\nline 1\n"), std::string::npos);
  EXPECT_NE(err.find("line 2999\n"), std::string::npos);  // 3000 lines: more than a pipe holds
}

}  // namespace
}  // namespace onnxcut
