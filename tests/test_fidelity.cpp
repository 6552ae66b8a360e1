// Per-tensor widths (docs/precision.md): packing and unpacking run in ONNX
// Runtime bit-exactly as the C++ reference does, for every width, opset
// spelling and padding; calibration inputs are read or refused with a
// message; the lab's measurements match the metric's definition.
#include <gtest/gtest.h>
#include <onnx/defs/parser.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include <png.h>
#include <turbojpeg.h>

#include "calibration_inputs.h"
#include "errors.h"
#include "fidelity.h"
#include "files.h"
#include "onnxcut_runtime.h"
#include "plan_request.h"
#include "planning.h"
#include "precision_ops.h"
#include "process.h"
#include "split.h"
#include "test_util.h"

namespace onnxcut {
namespace {

namespace fs = std::filesystem;
using testing::fromText;

std::string script() { return std::string(ONNXCUT_SOURCE_DIR) + "/scripts/fidelity.js"; }

bool ortAvailable() {
  return fs::exists(std::string(ONNXCUT_SOURCE_DIR) + "/node_modules/onnxruntime-node") && programExists("node");
}

void writeBytes(const fs::path& p, const void* data, size_t n) {
  std::ofstream f(p, std::ios::binary);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
}

std::string readBytes(const fs::path& p) { return readWholeFile(p.string(), "test output"); }

// Runs `model` on feeds {name: (file, dtype, dims)} and returns its outputs' raw bytes by name.
std::map<std::string, std::string> runOrt(const fs::path& dir, const std::string& model, const nlohmann::json& feeds,
                                          const std::vector<std::string>& outputs) {
  const std::string dump = "dump_" + model;
  fs::create_directories(dir / dump);
  nlohmann::json job = {{"reference", model}, {"metric", "rel_l2"},
                        {"samples", {{{"name", "s"}, {"feeds", feeds}}}}, {"evaluations", nlohmann::json::array()},
                        {"dump", dump}};
  std::ofstream(dir / "job.json") << job.dump();
  const ProcessResult r = runProcess({"node", script(), (dir / "job.json").string()}, true, true);
  EXPECT_EQ(r.exit_code, 0);
  std::map<std::string, std::string> out;
  for (const auto& o : outputs) out[o] = readBytes(dir / dump / ("reference.0." + o + ".bin"));
  return out;
}

std::string modelText(int opset, const std::string& dims) {
  return "<ir_version: " + std::string(opset >= 13 ? "8" : "4") + ", opset_import: [\"\" : " + std::to_string(opset) +
         "]>\ng (float[" + dims + "] x) => (float[" + dims + "] y) {\n  t = Neg (x)\n  y = Neg (t)\n}\n";
}

struct PackCase {
  int opset;
  std::string dims;
  std::vector<int64_t> shape;
};

TEST(Packing, EveryWidthRoundTripsInOrtBitExactly) {
  if (!ortAvailable()) GTEST_SKIP() << "ONNX Runtime (npm) or node missing: run make";
  ScratchDir scratch("onnxcut-test-pack");
  const fs::path dir = scratch.path();
  const std::vector<PackCase> cases = {{13, "2, 3, 7", {2, 3, 7}}, {9, "5", {5}}, {13, "64", {64}}, {18, "3, 5", {3, 5}}};
  std::mt19937 rng(7);
  int checked = 0;
  for (const auto& c : cases) {
    const std::string text = modelText(c.opset, c.dims);
    onnx::ModelProto proto;
    ASSERT_TRUE(onnx::OnnxParser::Parse(proto, text.c_str()).IsOK());
    const ModelView mv = ModelView::fromProto(proto, "<test>", {});
    const int t = *mv.findTensor("t");
    int64_t n = 1;
    for (auto d : c.shape) n *= d;
    for (int bits : {6, 4, 2}) {  // (8 travels as int8 plans do: tests/split)
      for (int variant = 0; variant < 3; ++variant) {
        // x: random with repeats and extremes; all equal (scale -> 1e-30); two values.
        std::vector<float> x(static_cast<size_t>(n));
        std::normal_distribution<float> nd(0.0f, 3.0f);
        for (auto& v : x) v = variant == 1 ? 2.5f : variant == 2 ? (rng() % 2 ? -1.0f : 4.0f) : nd(rng);
        if (variant == 0) x[0] = 1e4f, x[static_cast<size_t>(n - 1)] = -7.25f;
        DeviceSet dev = {1, 0};
        SplitRequest req{1, dev, Precision::mixed, {t}, "abc", {bits}};
        const SplitResult s = splitModel(mv, req);
        ASSERT_TRUE(s.head && s.tail);
        writeBytes(dir / "head.onnx", serializeModel(*s.head).data(), serializeModel(*s.head).size());
        writeBytes(dir / "tail.onnx", serializeModel(*s.tail).data(), serializeModel(*s.tail).size());
        writeBytes(dir / "x.bin", x.data(), x.size() * 4);
        const std::string p = "t__p" + std::to_string(bits);
        auto head = runOrt(dir, "head.onnx", {{"x", {{"file", "x.bin"}, {"dtype", "float32"}, {"dims", c.shape}}}},
                           {p, "t__lo", "t__scale"});
        std::vector<float> t_ref(x.size());
        for (size_t i = 0; i < x.size(); ++i) t_ref[i] = -x[i];
        const PackedTensor ref = packReference(t_ref, bits);
        ASSERT_EQ(head[p].size(), ref.bytes.size()) << bits << " bits, " << c.dims;
        EXPECT_EQ(static_cast<int64_t>(ref.bytes.size()), packedBytes(n, bits));
        EXPECT_EQ(0, std::memcmp(head[p].data(), ref.bytes.data(), ref.bytes.size()))
            << bits << " bits, opset " << c.opset << ", dims " << c.dims << ", variant " << variant;
        float lo = 0, scale = 0;
        std::memcpy(&lo, head["t__lo"].data(), 4);
        std::memcpy(&scale, head["t__scale"].data(), 4);
        EXPECT_EQ(lo, ref.lo);
        EXPECT_EQ(scale, ref.scale);
        const nlohmann::json tail_feeds = {
            {p, {{"file", "dump_head.onnx/reference.0." + p + ".bin"}, {"dtype", "uint8"}, {"dims", {ref.bytes.size()}}}},
            {"t__lo", {{"file", "dump_head.onnx/reference.0.t__lo.bin"}, {"dtype", "float32"}, {"dims", nlohmann::json::array()}}},
            {"t__scale", {{"file", "dump_head.onnx/reference.0.t__scale.bin"}, {"dtype", "float32"}, {"dims", nlohmann::json::array()}}}};
        auto tail = runOrt(dir, "tail.onnx", tail_feeds, {"y"});
        const std::vector<float> back = unpackReference(ref, bits, n);
        ASSERT_EQ(tail["y"].size(), back.size() * 4);
        for (size_t i = 0; i < back.size(); ++i) {
          float got = 0;
          std::memcpy(&got, tail["y"].data() + 4 * i, 4);
          ASSERT_EQ(got, -back[i]) << "element " << i << ", " << bits << " bits, opset " << c.opset;
          // Within half a step of the original value (the quantiser's promise).
          EXPECT_LE(std::fabs(back[i] - t_ref[i]), 0.5f * ref.scale * 1.0001f + 1e-6f * std::fabs(t_ref[i]));
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 4 * 3 * 3);
}

// float -> IEEE half, round to nearest even (normals, subnormals, overflow to inf).
uint16_t toHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  const int32_t exp = static_cast<int32_t>((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffff;
  if (((x >> 23) & 0xff) == 0xff) return static_cast<uint16_t>(sign | 0x7c00 | (mant ? 0x200 : 0));
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7c00);
  if (exp <= 0) {
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000;
    const int shift = 14 - exp;
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;
  return static_cast<uint16_t>(sign | h);
}
float fromHalf(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float v;
  if (exp == 0) v = std::ldexp(static_cast<float>(mant), -24);
  else if (exp == 31) v = mant ? NAN : INFINITY;
  else v = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  bits |= sign;
  std::memcpy(&v, &bits, 4);
  return v;
}

// ONNX DynamicQuantizeLinear and DequantizeLinear, as the operator spec
// defines them (round half to even, saturate to [0, 255]).
struct Dql {
  std::vector<uint8_t> q;
  float scale;
  uint8_t zp;
};
Dql dqlReference(const std::vector<float>& x) {
  float lo = 0, hi = 0;
  for (float v : x) lo = std::min(lo, v), hi = std::max(hi, v);
  Dql d;
  d.scale = (hi - lo) / 255.0f;
  const float izp = 0.0f - lo / d.scale;
  d.zp = static_cast<uint8_t>(std::nearbyint(std::clamp(izp, 0.0f, 255.0f)));
  for (float v : x) d.q.push_back(static_cast<uint8_t>(std::clamp(std::nearbyint(v / d.scale) + d.zp, 0.0f, 255.0f)));
  return d;
}

TEST(Packing, SixteenAndEightBitsMatchTheirOperatorDefinitions) {
  if (!ortAvailable()) GTEST_SKIP() << "ONNX Runtime (npm) or node missing: run make";
  ScratchDir scratch("onnxcut-test-pack816");
  const fs::path dir = scratch.path();
  const ModelView mv = fromText(modelText(13, "3, 7").c_str());
  const int t = *mv.findTensor("t");
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 5.0f);
  for (int variant = 0; variant < 3; ++variant) {
    std::vector<float> x(21);
    for (auto& v : x) v = variant == 2 ? 1.5f : nd(rng);
    if (variant == 1) x[0] = 70000.0f, x[1] = 1e-6f, x[2] = -3e-5f;  // fp16 overflow and subnormals
    std::vector<float> tv(x.size());
    for (size_t i = 0; i < x.size(); ++i) tv[i] = -x[i];
    writeBytes(dir / "x.bin", x.data(), x.size() * 4);
    const nlohmann::json xfeed = {{"x", {{"file", "x.bin"}, {"dtype", "float32"}, {"dims", {3, 7}}}}};
    for (int bits : {16, 8}) {
      const SplitResult sr = splitModel(mv, {1, {1, 0}, Precision::mixed, {t}, "abc", {bits}});
      writeBytes(dir / "head.onnx", serializeModel(*sr.head).data(), serializeModel(*sr.head).size());
      writeBytes(dir / "tail.onnx", serializeModel(*sr.tail).data(), serializeModel(*sr.tail).size());
      std::vector<float> want(x.size());
      nlohmann::json tfeed;
      if (bits == 16) {
        auto head = runOrt(dir, "head.onnx", xfeed, {"t__fp16"});
        ASSERT_EQ(head["t__fp16"].size(), x.size() * 2);
        for (size_t i = 0; i < x.size(); ++i) {
          uint16_t h;
          std::memcpy(&h, head["t__fp16"].data() + 2 * i, 2);
          EXPECT_EQ(h, toHalf(tv[i])) << "element " << i << " = " << tv[i];
          want[i] = -fromHalf(toHalf(tv[i]));
        }
        tfeed = {{"t__fp16", {{"file", "dump_head.onnx/reference.0.t__fp16.bin"}, {"dtype", "float16"}, {"dims", {3, 7}}}}};
      } else {
        auto head = runOrt(dir, "head.onnx", xfeed, {"t__q", "t__scale", "t__zp"});
        const Dql ref = dqlReference(tv);
        float scale;
        std::memcpy(&scale, head["t__scale"].data(), 4);
        EXPECT_EQ(scale, ref.scale);
        EXPECT_EQ(static_cast<uint8_t>(head["t__zp"][0]), ref.zp);
        for (size_t i = 0; i < x.size(); ++i) {
          EXPECT_EQ(static_cast<uint8_t>(head["t__q"][i]), ref.q[i]) << "element " << i << " = " << tv[i];
          want[i] = -((static_cast<float>(ref.q[i]) - static_cast<float>(ref.zp)) * ref.scale);
        }
        tfeed = {{"t__q", {{"file", "dump_head.onnx/reference.0.t__q.bin"}, {"dtype", "uint8"}, {"dims", {3, 7}}}},
                 {"t__scale", {{"file", "dump_head.onnx/reference.0.t__scale.bin"}, {"dtype", "float32"}, {"dims", nlohmann::json::array()}}},
                 {"t__zp", {{"file", "dump_head.onnx/reference.0.t__zp.bin"}, {"dtype", "uint8"}, {"dims", nlohmann::json::array()}}}};
      }
      auto tail = runOrt(dir, "tail.onnx", tfeed, {"y"});
      ASSERT_EQ(tail["y"].size(), x.size() * 4);
      for (size_t i = 0; i < x.size(); ++i) {
        float got;
        std::memcpy(&got, tail["y"].data() + 4 * i, 4);
        EXPECT_EQ(got, want[i]) << bits << " bits, element " << i;
      }
    }
  }
}

TEST(Packing, ReferencePacksDenselyAndRoundTrips) {
  // Known bytes: values 0..3 at 2 bits -> 0b00011011; at 6 bits 4 values -> 3 bytes.
  const std::vector<float> x = {0, 1, 2, 3};
  const PackedTensor p2 = packReference(x, 2);
  ASSERT_EQ(p2.bytes.size(), 1u);
  EXPECT_EQ(p2.bytes[0], 0b00011011);
  const std::vector<float> y = {0, 63, 0, 63};  // lo 0, scale 1 at 6 bits
  const PackedTensor p6 = packReference(y, 6);
  ASSERT_EQ(p6.bytes.size(), 3u);
  EXPECT_EQ(p6.bytes[0], 0x03);  // 000000 111111 000000 111111
  EXPECT_EQ(p6.bytes[1], 0xF0);
  EXPECT_EQ(p6.bytes[2], 0x3F);
  EXPECT_EQ(unpackReference(p6, 6, 4), y);
  EXPECT_EQ(packedBytes(1000, 6), 750);
  EXPECT_EQ(packedBytes(1001, 6), 753);
  EXPECT_EQ(packedBytes(1001, 4), 501);
  EXPECT_EQ(packedBytes(1001, 2), 251);
  EXPECT_EQ(packedBytes(1001, 16), 2002);
}

TEST(Packing, PackedWidthsFixTheBatchAndRefuseUnknownWidths) {
  const ModelView mv = fromText(modelText(13, "N, 4").c_str());
  const int t = *mv.findTensor("t");
  SplitRequest req{1, {1, 0}, Precision::mixed, {t}, "abc", {4}};
  EXPECT_TRUE(splitModel(mv, req).batch_fixed);  // packed at the planned batch (1)
  req.bits = {16};
  EXPECT_FALSE(splitModel(mv, req).batch_fixed);
  req.bits = {5};
  EXPECT_THROW(splitModel(mv, req), InputError);
  req.bits = {};
  EXPECT_THROW(splitModel(mv, req), InputError);
}

// ---- calibration inputs ----

std::string npy(const std::string& descr, const std::vector<int64_t>& shape, const std::string& data) {
  std::string sh = "(";
  for (auto d : shape) sh += std::to_string(d) + ", ";
  sh += ")";
  std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + sh + ", }";
  while ((10 + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h + data;
}

constexpr const char* kImageModel = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 3, 4, 6] x) => (float[1, 2] y) {
  m = ReduceMean <axes = [2, 3], keepdims = 0> (x)
  y = Slice (m, s, e, a)
}
)";

TEST(CalibrationInputs, ReadsNpyPbAndImagesAndRefusesBadOnes) {
  ScratchDir scratch("onnxcut-test-calib");
  const fs::path dir = scratch.path();
  onnx::ModelProto proto;
  const std::string text = std::string(kImageModel).insert(std::string(kImageModel).find("m = "),
      "  s = Constant <value = int64[1] {0}> ()\n  e = Constant <value = int64[1] {2}> ()\n  a = Constant <value = int64[1] {1}> ()\n");
  ASSERT_TRUE(onnx::OnnxParser::Parse(proto, text.c_str()).IsOK());
  const ModelView mv = ModelView::fromProto(proto, "<test>", {});
  const ImagePreprocess pre;
  std::vector<float> v(72, 0.5f);
  const std::string data(reinterpret_cast<const char*>(v.data()), v.size() * 4);
  fs::create_directories(dir / "ok");
  std::ofstream(dir / "ok" / "a.npy", std::ios::binary) << npy("<f4", {1, 3, 4, 6}, data);
  onnx::TensorProto tp;
  tp.set_data_type(onnx::TensorProto::FLOAT);
  for (auto d : {1, 3, 4, 6}) tp.add_dims(d);
  tp.set_raw_data(data);
  std::ofstream(dir / "ok" / "b.pb", std::ios::binary) << tp.SerializeAsString();
  // A 12 x 8 RGB image: red left half, blue right half.
  std::vector<unsigned char> px(12 * 8 * 3, 0);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 12; ++x) px[(y * 12 + x) * 3 + (x < 6 ? 0 : 2)] = 255;
  png_image pimg;
  std::memset(&pimg, 0, sizeof pimg);
  pimg.version = PNG_IMAGE_VERSION;
  pimg.width = 12;
  pimg.height = 8;
  pimg.format = PNG_FORMAT_RGB;
  ASSERT_TRUE(png_image_write_to_file(&pimg, (dir / "ok" / "c.png").c_str(), 0, px.data(), 12 * 3, nullptr));
  tjhandle tj = tjInitCompress();
  unsigned char* jpg = nullptr;
  unsigned long jpg_size = 0;
  ASSERT_EQ(tjCompress2(tj, px.data(), 12, 0, 8, TJPF_RGB, &jpg, &jpg_size, TJSAMP_444, 95, 0), 0);
  writeBytes(dir / "ok" / "d.jpg", jpg, jpg_size);
  // The same JPEG cut short: refused (a decoder warning is an error here).
  writeBytes(dir / "truncated.jpg", jpg, jpg_size / 2);
  tjFree(jpg);
  tjDestroy(tj);
  const auto s = readCalibrationInputs(mv, (dir / "ok").string(), pre);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].name, "a");
  EXPECT_EQ(s[0].feeds.at("x").bytes, data);
  EXPECT_EQ(s[1].feeds.at("x").bytes, data);
  // The PNG resized to 6 x 4: channel 0 (red) is 1 on the left, 0 on the right.
  const auto& img = s[2].feeds.at("x");
  ASSERT_EQ(img.dims, (std::vector<int64_t>{1, 3, 4, 6}));
  const float* f = reinterpret_cast<const float*>(img.bytes.data());
  EXPECT_FLOAT_EQ(f[0], 1.0f);         // red, (0, 0)
  EXPECT_FLOAT_EQ(f[5], 0.0f);         // red, (0, 5)
  EXPECT_FLOAT_EQ(f[2 * 24 + 5], 1.0f);  // blue, (0, 5)
  EXPECT_EQ(readCalibrationInputs(mv, (dir / "ok").string(), pre, 2).size(), 2u);

  auto refused = [&](const std::string& name, const std::string& file, const std::string& bytes, const std::string& says) {
    fs::create_directories(dir / name);
    if (!file.empty()) std::ofstream(dir / name / file, std::ios::binary) << bytes;
    try {
      readCalibrationInputs(mv, (dir / name).string(), pre);
      ADD_FAILURE() << name << ": accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << name << ": " << e.what();
    }
  };
  refused("empty", "", "", "empty");
  refused("shape", "a.npy", npy("<f4", {1, 3, 6, 4}, data), "shape [1, 3, 6, 4], but input 'x' is [1, 3, 4, 6]");
  refused("dtype", "a.npy", npy("<i4", {1, 3, 4, 6}, data), "dtype int32, but input 'x' is float32");
  refused("short", "a.npy", npy("<f4", {1, 3, 4, 6}, data.substr(8)), "data bytes");
  refused("junk", "a.npy", "hello", "not a .npy file");
  refused("badpb", "a.pb", "\xff\xff\xff", "not an ONNX TensorProto");
  refused("badimg", "a.png", "\x89PNG\r\n\x1a\n broken", "cannot decode the image");
  refused("truncjpg", "a.jpg", readBytes(dir / "truncated.jpg"), "cannot decode the image");
  refused("notimg", "a.jpg", "GIF89a...", "neither a PNG nor a JPEG");
  refused("other", "notes.txt", "x", "not a calibration file");
  refused("fortran", "a.npy", [&] {
    std::string b = npy("<f4", {1, 3, 4, 6}, data);
    b.replace(b.find("False"), 5, "True ");
    return b;
  }(), "Fortran");
  EXPECT_THROW(readCalibrationInputs(mv, (dir / "missing").string(), pre), InputError);
}

TEST(CalibrationInputs, SeveralInputsTakeAFolderPerSample) {
  ScratchDir scratch("onnxcut-test-calib2");
  const fs::path dir = scratch.path();
  const ModelView mv = fromText(R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 4] a, int64[2] b) => (float[1, 4] y) {
  y = Relu (a)
}
)");
  std::vector<float> av(4, 1.0f);
  std::vector<int64_t> bv = {3, 4};
  const std::string adata(reinterpret_cast<char*>(av.data()), 16), bdata(reinterpret_cast<char*>(bv.data()), 16);
  for (const char* sample : {"s0", "s1"}) {
    fs::create_directories(dir / "ok" / sample);
    std::ofstream(dir / "ok" / sample / "a.npy", std::ios::binary) << npy("<f4", {1, 4}, adata);
    std::ofstream(dir / "ok" / sample / "b.npy", std::ios::binary) << npy("<i8", {2}, bdata);
  }
  const auto got = readCalibrationInputs(mv, (dir / "ok").string(), {});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].name, "s1");
  EXPECT_EQ(got[1].feeds.at("b").bytes, bdata);
  EXPECT_EQ(got[1].feeds.at("b").elem_type, onnx::TensorProto::INT64);
  auto refusedWith = [&](const std::string& says) {
    try {
      readCalibrationInputs(mv, (dir / "ok").string(), {});
      ADD_FAILURE() << "accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  std::ofstream(dir / "ok" / "s1" / "c.npy", std::ios::binary) << npy("<f4", {1, 4}, adata);
  refusedWith("the model has no input 'c'");
  fs::remove(dir / "ok" / "s1" / "c.npy");
  fs::remove(dir / "ok" / "s1" / "b.npy");
  refusedWith("no file for input 'b'");
  std::ofstream(dir / "ok" / "loose.npy", std::ios::binary) << npy("<f4", {1, 4}, adata);
  refusedWith("give one folder per sample");
}

// ---- the lab ----

TEST(FidelityLab, MeasuresTheMetricAsDefined) {
  if (!ortAvailable()) GTEST_SKIP() << "ONNX Runtime (npm) or node missing: run make";
  // y = x * 1 through a cut tensor: at 32 and 16 bits (exact for these
  // values) the loss is 0; at 2 bits the error is known in closed form.
  const ModelView mv = fromText(modelText(13, "1, 4").c_str());
  std::vector<CalibrationSample> samples;
  for (int s = 0; s < 3; ++s) {
    std::vector<float> x = {0.0f, 1.0f, 2.0f, 3.0f + s};
    samples.push_back({"s" + std::to_string(s), {{"x", {onnx::TensorProto::FLOAT, {1, 4},
                                                        std::string(reinterpret_cast<char*>(x.data()), 16)}}}});
  }
  FidelityLab lab(mv, samples, LossMetric::rel_l2);
  const int t = *mv.findTensor("t");
  auto eval = [&](int bits) { return FidelityLab::Eval{{{1, 0}, {t}, {bits}}, {0, 1, 2}, "", -1}; };
  const auto raw = lab.measure({eval(32), eval(16), eval(2)});
  std::vector<std::optional<double>> r;
  for (const auto& x : raw) {
    ASSERT_TRUE(x && x->size() == 3u);
    r.push_back(((*x)[0] + (*x)[1] + (*x)[2]) / 3);
  }
  EXPECT_EQ(*r[0], 0.0);
  EXPECT_EQ(*r[1], 0.0);
  double expect = 0;
  for (int s = 0; s < 3; ++s) {
    std::vector<float> tv = {-0.0f, -1.0f, -2.0f, -(3.0f + s)};
    const auto back = unpackReference(packReference(tv, 2), 2, 4);
    double num = 0, den = 0;
    for (int i = 0; i < 4; ++i) num += std::pow(back[i] - tv[i], 2), den += tv[i] * tv[i];
    expect += std::sqrt(num / den) / 3;
  }
  EXPECT_NEAR(*r[2], expect, 1e-6);
  EXPECT_GT(*r[2], 0.0);
  // A group stops once over its threshold: 2 bits is over 0, so 4 is skipped.
  auto g2 = eval(2), g4 = eval(4);
  g2.group = g4.group = "g";
  g2.stop_above = g4.stop_above = 0.0;
  const auto g = lab.measure({g2, g4});
  EXPECT_TRUE(g[0].has_value());
  EXPECT_FALSE(g[1].has_value());
}

TEST(FidelityLab, DefaultMetricByOutputShape) {
  EXPECT_EQ(defaultLossMetric(fromText(modelText(13, "1, 10").c_str())), LossMetric::top1);
  EXPECT_EQ(defaultLossMetric(fromText(modelText(13, "1, 3, 4").c_str())), LossMetric::rel_l2);
  EXPECT_EQ(parseLossMetric("rel-l2"), LossMetric::rel_l2);
  EXPECT_THROW(parseLossMetric("psnr"), InputError);
}


// ---- planning under a budget, on seeded fixtures ----

namespace budget_fixture {

void addInit(onnx::GraphProto& g, const std::string& name, const std::vector<int64_t>& dims, std::mt19937& rng) {
  auto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (auto d : dims) t->add_dims(d), n *= d;
  const int64_t fan_in = n / dims[0];
  std::normal_distribution<float> nd(0.0f, 1.0f / std::sqrt(static_cast<float>(fan_in)));
  std::string raw(static_cast<size_t>(n) * 4, '\0');
  for (int64_t i = 0; i < n; ++i) {
    const float v = nd(rng);
    std::memcpy(raw.data() + 4 * i, &v, 4);
  }
  t->set_raw_data(raw);
}

// A small conv net with a fan-out and a merge, seeded weights.
onnx::ModelProto model(uint32_t seed) {
  const std::string text = R"(
<ir_version: 8, opset_import: ["" : 13]>
g (float[1, 4, 8, 8] x) => (float[1, 10] y) {
  c1 = Conv <pads = [1, 1, 1, 1]> (x, w1)
  r1 = Relu (c1)
  c2 = Conv <pads = [1, 1, 1, 1], strides = [2, 2]> (r1, w2)
  r2 = Relu (c2)
  a = Conv (r2, w3)
  b = Conv <pads = [1, 1, 1, 1]> (r2, w4)
  s = Add (a, b)
  r3 = Relu (s)
  p = GlobalAveragePool (r3)
  f = Flatten (p)
  y = Gemm (f, w5)
}
)";
  onnx::ModelProto m;
  EXPECT_TRUE(onnx::OnnxParser::Parse(m, text.c_str()).IsOK());
  std::mt19937 rng(seed);
  auto& g = *m.mutable_graph();
  addInit(g, "w1", {8, 4, 3, 3}, rng);
  addInit(g, "w2", {16, 8, 3, 3}, rng);
  addInit(g, "w3", {16, 16, 1, 1}, rng);
  addInit(g, "w4", {16, 16, 3, 3}, rng);
  addInit(g, "w5", {16, 10}, rng);
  for (auto& n : *g.mutable_node()) n.set_name(n.output(0));
  return m;
}

}  // namespace budget_fixture

TEST(BudgetedPlans, NeverOverBudgetAndShippedFilesMatchWhatWasMeasured) {
  if (!ortAvailable()) GTEST_SKIP() << "ONNX Runtime (npm) or node missing: run make";
  for (uint32_t seed : {1u, 2u}) {
    ScratchDir scratch("onnxcut-test-budget");
    const fs::path dir = scratch.path();
    const onnx::ModelProto proto = budget_fixture::model(seed);
    {
      std::ofstream f(dir / "m.onnx", std::ios::binary);
      proto.SerializeToOstream(&f);
    }
    std::string csv = "node,device_ms,cloud_ms\n";
    for (const auto& n : proto.graph().node()) csv += n.name() + ",2,0.05\n";
    std::ofstream(dir / "costs.csv") << csv;
    fs::create_directories(dir / "calib");
    std::mt19937 rng(seed + 100);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (int s = 0; s < 10; ++s) {
      std::vector<float> v(256);
      for (auto& x : v) x = nd(rng);
      std::ofstream(dir / "calib" / ("s" + std::to_string(s) + ".npy"), std::ios::binary)
          << npy("<f4", {1, 4, 8, 8}, std::string(reinterpret_cast<char*>(v.data()), v.size() * 4));
    }
    PlanRequest req;
    req.model = (dir / "m.onnx").string();
    req.costs_csv = (dir / "costs.csv").string();
    req.options.precisions = {Precision::fp32, Precision::fp16, Precision::int8};
    req.options.objectives = {Objective::latency, Objective::throughput};
    req.fidelity.calibration_dir = (dir / "calib").string();
    req.fidelity.metric = LossMetric::rel_l2;
    req.fidelity.max_loss = {0.002, 0.02, 0.1};
    req.output_dir = (dir / "out").string();
    req.emit_onnx = true;
    req.self_contained = true;  // each file stands alone (copied below)
    const PlanResult r = planModel(req);

    int mixed_tables = 0, packed_plans = 0;
    for (const auto& t : r.plans.tables) {
      for (const auto& b : t.bands) {
        const PlannedPlan& p = r.plans.plans[static_cast<size_t>(b.plan)];
        ASSERT_TRUE(p.loss.has_value()) << "plan " << p.id;
        if (t.precision != Precision::mixed) continue;
        EXPECT_LE(p.loss->fit, *t.max_loss) << "seed " << seed << ", plan " << p.id;
        EXPECT_LE(p.loss->held_out, *t.max_loss) << "seed " << seed << ", plan " << p.id;
      }
      if (t.precision == Precision::mixed) ++mixed_tables;
    }
    EXPECT_EQ(mixed_tables, 2 * 3);
    // Some plan packs below 8 bits at the loosest budget (else this fixture tests nothing).
    for (const auto& p : r.plans.plans)
      if (p.precision == Precision::mixed &&
          std::any_of(p.bits.begin(), p.bits.end(), [](int b) { return b < 8; }))
        ++packed_plans;
    EXPECT_GT(packed_plans, 0) << "seed " << seed;

    // A mixed table is never worse than a single-precision table whose plan
    // meets its budget (at every band's geometric middle).
    for (const auto& mt : r.plans.tables) {
      if (mt.precision != Precision::mixed) continue;
      for (const auto& st : r.plans.tables) {
        if (st.precision == Precision::mixed || st.objective != mt.objective || st.load != mt.load) continue;
        for (const auto& sb : st.bands) {
          const PlannedPlan& sp = r.plans.plans[static_cast<size_t>(sb.plan)];
          if (!(sp.loss->fit <= *mt.max_loss && sp.loss->held_out <= *mt.max_loss)) continue;
          const double mid = std::sqrt(sb.min_mbps * sb.max_mbps);
          const auto mb = std::find_if(mt.bands.begin(), mt.bands.end(), [&](const PlannedBand& b) {
            return b.min_mbps <= mid && mid <= b.max_mbps;
          });
          ASSERT_NE(mb, mt.bands.end());
          const Network net = tableNetwork(req.options, mt, mid);
          const StageTimes ms = stageTimes(r.plans.plans[static_cast<size_t>(mb->plan)].figures, net);
          const StageTimes ss = stageTimes(sp.figures, net);
          if (mt.objective == Objective::latency) EXPECT_LE(ms.latency(), ss.latency() * (1 + 1e-9));
          else EXPECT_LE(ms.bottleneck(), ss.bottleneck() * (1 + 1e-9));
        }
      }
    }

    // The files shipped compute what was measured: head -> tail equals the
    // measured model bit-exactly on a calibration sample.
    const ModelView mv = ModelView::load(req.model, {});
    const auto samples = readCalibrationInputs(mv, req.fidelity.calibration_dir, {});
    writeBytes(dir / "x.bin", samples[0].feeds.at("x").bytes.data(), samples[0].feeds.at("x").bytes.size());
    const nlohmann::json xfeed = {{"x", {{"file", "x.bin"}, {"dtype", "float32"}, {"dims", {1, 4, 8, 8}}}}};
    int compared = 0;
    for (const auto& p : r.plans.plans) {
      if (p.precision != Precision::mixed || compared >= 3 || !r.files.count(p.id)) continue;
      const PlanFiles& pf = r.files.at(p.id);
      if (pf.head.empty() || pf.tail.empty() || std::none_of(p.bits.begin(), p.bits.end(), [](int b) { return b < 32; }))
        continue;
      const onnx::ModelProto q = quantizedModel(mv, mv.model(), {p.device, p.cut, p.bits, Precision::mixed});
      writeBytes(dir / "q.onnx", serializeModel(q).data(), serializeModel(q).size());
      const auto want = runOrt(dir, "q.onnx", xfeed, {"y"});
      fs::copy_file(dir / "out" / pf.head, dir / "head.onnx", fs::copy_options::overwrite_existing);
      fs::copy_file(dir / "out" / pf.tail, dir / "tail.onnx", fs::copy_options::overwrite_existing);
      const auto split = SplitInterface(splitInterface(mv, {p.id, p.device, p.precision, p.cut, "", p.bits}));
      std::vector<std::string> wire;
      for (const auto& port : split.wire()) wire.push_back(port.name);
      const auto head = runOrt(dir, "head.onnx", xfeed, wire);
      nlohmann::json tfeed = nlohmann::json::object();
      for (const auto& port : split.wire()) {
        nlohmann::json dims = nlohmann::json::array();
        if (port.length >= 0) dims.push_back(port.length);
        else if (!port.scalar) dims = *mv.tensors()[port.tensor].shape;
        static const std::map<int32_t, std::string> kType = {{onnx::TensorProto::FLOAT, "float32"},
            {onnx::TensorProto::UINT8, "uint8"}, {onnx::TensorProto::FLOAT16, "float16"}};
        tfeed[port.name] = {{"file", "dump_head.onnx/reference.0." + port.name + ".bin"}, {"dtype", kType.at(port.elem_type)}, {"dims", dims}};
      }
      const auto got = runOrt(dir, "tail.onnx", tfeed, {"y"});
      EXPECT_EQ(got.at("y"), want.at("y")) << "plan " << p.id;
      ++compared;
    }
    EXPECT_GT(compared, 0);
    // The table loads in the runtime library, and select keeps to a budget.
    const auto table = runtime::loadPlanTable((dir / "out" / "plan-table.json").string());
    ASSERT_TRUE(table.ok()) << table.error;
    EXPECT_EQ(table.value->version, 3);
    for (double budget : {0.0, 0.002, 0.02, 0.1})
      for (double mbps : {0.2, 2.0, 20.0, 200.0}) {
        runtime::Query q;
        q.mbps = mbps;
        q.precision = "auto";
        q.max_loss = budget;
        const auto s = runtime::select(*table.value, q);
        ASSERT_TRUE(s.ok()) << s.error;
        const auto& p = table.value->plan(s.value->plan);
        if (p.loss) EXPECT_LE(p.loss->worst(), budget);
        else EXPECT_EQ(p.precision, "fp32");
      }
  }
}

}  // namespace
}  // namespace onnxcut
