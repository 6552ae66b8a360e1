// The wire protocol (docs/wire.md, runtime/onnxcut_wire.h): every frame type
// round-trips; corrupt, short, oversized and inconsistent frames are refused
// with a message naming the problem, never a crash or an allocation beyond
// the input; an infer frame's tensors are checked against a plan's wire.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "onnxcut_wire.h"

namespace onnxcut::runtime::wire {
namespace {

Tensor tensor(const std::string& name, int32_t dtype, std::vector<int64_t> dims) {
  Tensor t{name, dtype, std::move(dims), ""};
  size_t n = elementBytes(dtype);
  for (int64_t d : t.dims) n *= static_cast<size_t>(d);
  for (size_t i = 0; i < n; ++i) t.data += static_cast<char>((i * 37 + 11) & 0xff);
  return t;
}

// An int8 boundary exactly as the head emits it: c__q (uint8), c__scale
// (float scalar), c__zp (uint8 scalar).
Frame inferFrame() {
  Frame f;
  f.type = FrameType::infer;
  f.id = 0x0102030405060708ULL;
  f.plan = 7;
  f.tensors = {tensor("c__q", 2, {1, 8, 4, 4}), tensor("c__scale", 1, {}), tensor("c__zp", 2, {}),
               tensor("x", 7, {1, 3})};
  return f;
}

void expectSame(const Frame& a, const Frame& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.table_sha256, b.table_sha256);
  EXPECT_EQ(a.plan, b.plan);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(a.tensors[i].name, b.tensors[i].name);
    EXPECT_EQ(a.tensors[i].dtype, b.tensors[i].dtype);
    EXPECT_EQ(a.tensors[i].dims, b.tensors[i].dims);
    EXPECT_EQ(a.tensors[i].data, b.tensors[i].data);
  }
  EXPECT_EQ(a.queue_ms, b.queue_ms);
  EXPECT_EQ(a.compute_ms, b.compute_ms);
  EXPECT_EQ(a.queue_length, b.queue_length);
  EXPECT_EQ(a.recent_compute_ms, b.recent_compute_ms);
  EXPECT_EQ(a.load, b.load);
  EXPECT_EQ(a.error_code, b.error_code);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.padding, b.padding);
}

std::vector<Frame> everyType() {
  std::vector<Frame> frames;
  Frame hello;
  hello.type = FrameType::hello;
  hello.id = 1;
  hello.table_sha256 = std::string(64, 'a');
  frames.push_back(hello);
  hello.type = FrameType::hello_ack;
  frames.push_back(hello);
  frames.push_back(inferFrame());
  Frame result;
  result.type = FrameType::result;
  result.id = 9;
  result.queue_ms = 1.25;
  result.compute_ms = 3.5;
  result.queue_length = 4;
  result.recent_compute_ms = 3.25;
  result.load = 2.5;
  result.tensors = {tensor("logits", 1, {1, 10}), tensor("boxes", 10, {2, 4})};
  frames.push_back(result);
  Frame err;
  err.type = FrameType::error;
  err.id = 9;
  err.error_code = ErrorCode::no_such_plan;
  err.message = "plan 12: no such plan";
  frames.push_back(err);
  Frame q;
  q.type = FrameType::load_query;
  q.id = 3;
  frames.push_back(q);
  Frame rep;
  rep.type = FrameType::load_report;
  rep.queue_length = 2;
  rep.recent_compute_ms = 8;
  rep.load = 1.5;
  frames.push_back(rep);
  Frame probe;
  probe.type = FrameType::probe;
  probe.id = 11;
  probe.padding = std::string(1000, '\0');
  frames.push_back(probe);
  Frame ack;
  ack.type = FrameType::probe_ack;
  ack.id = 11;
  frames.push_back(ack);
  return frames;
}

TEST(Wire, EveryFrameTypeRoundTrips) {
  for (const Frame& f : everyType()) {
    const std::string bytes = encode(f);
    ASSERT_GE(bytes.size(), kHeaderBytes);
    EXPECT_EQ(std::memcmp(bytes.data(), "OCUT", 4), 0);
    const auto back = decode(bytes);
    ASSERT_TRUE(back.ok()) << back.error;
    expectSame(f, *back.value);
    EXPECT_EQ(encode(*back.value), bytes);  // one encoding per frame
  }
}

TEST(Wire, LayoutIsLittleEndianAsDocumented) {
  const std::string b = encode(inferFrame());
  // header: magic, version 1 (u16), type 3 (u16), id (u64), payload length (u64)
  EXPECT_EQ(b.substr(0, 4), "OCUT");
  EXPECT_EQ(static_cast<unsigned char>(b[4]), 1);
  EXPECT_EQ(static_cast<unsigned char>(b[5]), 0);
  EXPECT_EQ(static_cast<unsigned char>(b[6]), 3);
  EXPECT_EQ(static_cast<unsigned char>(b[8]), 0x08);  // least significant byte of the id first
  EXPECT_EQ(static_cast<unsigned char>(b[15]), 0x01);
  uint64_t payload = 0;
  for (int i = 0; i < 8; ++i) payload |= static_cast<uint64_t>(static_cast<unsigned char>(b[16 + i])) << (8 * i);
  EXPECT_EQ(payload, b.size() - kHeaderBytes);
  // payload: plan id 7 (u32), 4 tensors (u32), then "c__q" (u32 length 4)
  EXPECT_EQ(static_cast<unsigned char>(b[24]), 7);
  EXPECT_EQ(static_cast<unsigned char>(b[28]), 4);
  EXPECT_EQ(static_cast<unsigned char>(b[32]), 4);
  EXPECT_EQ(b.substr(36, 4), "c__q");
}

TEST(Wire, EveryShortPrefixIsRefusedWithAMessage) {
  for (const Frame& f : everyType()) {
    const std::string bytes = encode(f);
    for (size_t n = 0; n < bytes.size(); ++n) {
      const auto r = decode(bytes.data(), n);
      ASSERT_FALSE(r.ok()) << "a prefix of " << n << " bytes decoded";
      EXPECT_FALSE(r.error.empty());
    }
    const auto longer = decode(bytes + "x");
    EXPECT_FALSE(longer.ok());
  }
}

void expectError(std::string bytes, const std::string& needle, const Limits& lim = {}) {
  const auto r = decode(bytes, lim);
  ASSERT_FALSE(r.ok()) << needle;
  EXPECT_NE(r.error.find(needle), std::string::npos) << r.error;
}

void putU64(std::string& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void putU32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}

TEST(Wire, CorruptFramesNameTheProblem) {
  const std::string good = encode(inferFrame());
  std::string b = good;
  b[0] = 'X';
  expectError(b, "no OCUT magic");
  b = good;
  b[4] = 2;
  expectError(b, "protocol version 2 (this library speaks 1)");
  b = good;
  b[6] = 99;
  expectError(b, "unknown frame type 99");
  b = good;
  b[6] = 10;
  expectError(b, "unknown frame type 10");
  b = good;
  putU64(b, 16, uint64_t{1} << 40);  // a payload of 1 TiB announced: refused before any allocation
  expectError(b, "over the limit");
  b = good;
  putU64(b, 16, good.size());  // more payload than the frame holds
  expectError(b, "the header announces");
  b = good;
  putU32(b, 28, 1000000);  // a million tensors
  expectError(b, "over the limit of 4096");
  b = good;
  putU32(b, 28, 4000);  // within the limit, but not in these bytes
  expectError(b, "tensors announced in");
  b = good;
  putU32(b, 32, 0xffffffffu);  // a 4 GiB name
  expectError(b, "a tensor name is 4294967295 bytes, over the limit");
  // the first tensor: name "c__q" at 36, dtype at 40, rank at 44, dims from 48
  b = good;
  putU32(b, 40, 8);  // strings are not sent
  expectError(b, "data type 8 is not sent");
  b = good;
  putU32(b, 44, 100);
  expectError(b, "rank 100 over the limit of 16");
  b = good;
  putU64(b, 48, static_cast<uint64_t>(-3));
  expectError(b, "negative dim -3");
  b = good;
  putU64(b, 56, uint64_t{1} << 62);  // dims whose element count overflows
  expectError(b, "too many elements");
  b = good;
  putU64(b, 48, 2);  // dims say 256 bytes, the byte count 128
  expectError(b, "128 data bytes for dims of 256 elements");
  Limits small;
  small.max_payload = 64;
  expectError(good, "over the limit of 64", small);
}

TEST(Wire, ResultAndReportNumbersMustBeFinite) {
  Frame rep;
  rep.type = FrameType::load_report;
  rep.load = 1.5;
  std::string b = encode(rep);
  const double nan = std::nan("");
  uint64_t bits;
  std::memcpy(&bits, &nan, sizeof bits);
  putU64(b, kHeaderBytes + 4, bits);
  expectError(b, "recent_compute_ms is not a finite number");
  rep.load = 0.5;  // a load factor is >= 1
  expectError(encode(rep), "load is not a finite number >= 1");
  Frame err;
  err.type = FrameType::error;
  std::string e = encode(err);
  e[kHeaderBytes] = 42;
  expectError(e, "unknown error code 42");
}

// Random bytes and random mutations of good frames: decode never crashes
// (the fuzz target fuzz_wire runs this for longer), and whatever it accepts
// encodes back to the same bytes.
TEST(Wire, MutatedFramesNeverCrashAndAcceptedOnesRoundTrip) {
  std::mt19937_64 rng(20261203);
  const auto frames = everyType();
  int accepted = 0;
  for (int k = 0; k < 20000; ++k) {
    std::string b = encode(frames[rng() % frames.size()]);
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) b[rng() % b.size()] = static_cast<char>(rng());
    if (rng() % 4 == 0) b.resize(rng() % (b.size() + 1));
    const auto r = decode(b);
    if (!r.ok()) {
      EXPECT_FALSE(r.error.empty());
      continue;
    }
    ++accepted;
    EXPECT_EQ(encode(*r.value), b);
  }
  EXPECT_GT(accepted, 0);  // some mutations only change data bytes
}

TEST(Wire, DtypeNamesMatchThePlanTables) {
  for (const char* n : {"float32", "uint8", "int8", "float16", "int64", "int32", "bool", "float64"}) {
    EXPECT_GT(dtypeCode(n), 0) << n;
    EXPECT_EQ(dtypeName(dtypeCode(n)), n);
    EXPECT_GT(elementBytes(dtypeCode(n)), 0u) << n;
  }
  EXPECT_EQ(dtypeCode("string"), -1);
  EXPECT_EQ(elementBytes(8), 0u);  // strings
}

TEST(Wire, InferTensorsAreCheckedAgainstThePlansWire) {
  PlanInfo plan;
  plan.id = 7;
  auto desc = [](const std::string& name, const std::string& dtype, std::vector<int64_t> shape) {
    TensorDesc d;
    d.name = name;
    d.dtype = dtype;
    d.shape = std::move(shape);
    return d;
  };
  plan.wire = {desc("c__q", "uint8", {1, 8, 4, 4}), desc("c__scale", "float32", {}), desc("c__zp", "uint8", {}),
               desc("x", "int64", {1, 3})};
  const Frame f = inferFrame();
  EXPECT_EQ(checkWire(plan, f.tensors), "");
  auto t = f.tensors;
  t.pop_back();
  EXPECT_NE(checkWire(plan, t).find("sends 4 tensors; the frame has 3"), std::string::npos);
  t = f.tensors;
  std::swap(t[1], t[2]);
  EXPECT_NE(checkWire(plan, t).find("the frame names it 'c__zp'"), std::string::npos);
  t = f.tensors;
  t[0].dtype = 1;
  EXPECT_NE(checkWire(plan, t).find("is uint8, the frame's is float32"), std::string::npos);
  t = f.tensors;
  t[0].dims = {2, 8, 4, 4};
  EXPECT_NE(checkWire(plan, t).find("dim 0 is 1, the frame's is 2"), std::string::npos);
  plan.wire[0].dim_params = {"N", "", "", ""};  // a symbolic batch may differ
  EXPECT_EQ(checkWire(plan, t), "");
}

// The fuzz seeds were written by a separate Python encoder following
// docs/wire.md alone: the C++ decoder reads each, and encodes it back to the
// same bytes, so the document and the code agree.
TEST(Wire, FramesWrittenFromTheDocumentDecode) {
  const std::string dir = std::string(ONNXCUT_SOURCE_DIR) + "/fuzz/corpus/wire/";
  int n = 0;
  for (const char* name : {"hello", "hello_ack", "infer_int8", "infer_fp16", "result", "error", "load_query", "load_report", "probe", "probe_ack"}) {
    std::ifstream f(dir + name, std::ios::binary);
    ASSERT_TRUE(f) << dir + name;
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    const auto r = decode(bytes);
    ASSERT_TRUE(r.ok()) << name << ": " << r.error;
    EXPECT_EQ(encode(*r.value), bytes) << name;
    ++n;
  }
  EXPECT_EQ(n, 10);
}

}  // namespace
}  // namespace onnxcut::runtime::wire
