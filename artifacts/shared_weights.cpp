#include "shared_weights.h"

#include <onnx/onnx_pb.h>

#include <filesystem>

#include "errors.h"
#include "sha256.h"

namespace onnxcut {
namespace {

constexpr int64_t kAlign = 64;

void pointAt(onnx::TensorProto& t, const std::string& file, int64_t offset, int64_t length) {
  t.clear_external_data();
  t.clear_raw_data();
  t.set_data_location(onnx::TensorProto::EXTERNAL);
  auto add = [&](const std::string& k, const std::string& v) {
    auto* e = t.add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  add("location", file);
  add("offset", std::to_string(offset));
  add("length", std::to_string(length));
}

}  // namespace

SharedWeights::SharedWeights(std::string model_dir, const onnx::ModelProto* source, int64_t min_bytes)
    : dir_(std::move(model_dir)), min_(min_bytes) {
  if (source)
    for (const auto& t : source->graph().initializer())
      if (t.has_raw_data()) source_raw_[t.name()] = &t.raw_data();
}

int64_t SharedWeights::place(int64_t length) {
  const int64_t at = (end_ + kAlign - 1) / kAlign * kAlign;
  end_ = at + length;
  return at;
}

bool SharedWeights::adopt(onnx::ModelProto& part, const std::string& file_name) {
  bool refers = false;
  // External tensors anywhere in the graph: keyed by the range they read.
  forEachTensor(*part.mutable_graph(), [&](onnx::TensorProto& t) {
    const ExternalRef r = externalRef(t);
    if (r.location.empty()) return;
    DataRange d;
    d.source = (std::filesystem::path(dir_) / r.location).string();
    d.offset = r.offset;
    d.length = r.length >= 0 ? r.length : dataFileLength(d.source) - r.offset;
    const std::string key = "file\n" + d.source + "\n" + std::to_string(d.offset) + "\n" + std::to_string(d.length);
    auto it = by_key_.find(key);
    if (it == by_key_.end()) {
      Entry e;
      e.length = d.length;
      e.offset = place(d.length);
      e.range = d;
      e.external = true;
      it = by_key_.emplace(key, entries_.size()).first;
      entries_.push_back(std::move(e));
    }
    pointAt(t, file_name, entries_[it->second].offset, entries_[it->second].length);
    refers = true;
  });
  // Large inline initializers: keyed by their bytes.
  for (auto& t : *part.mutable_graph()->mutable_initializer()) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL || !t.has_raw_data()) continue;
    const int64_t length = static_cast<int64_t>(t.raw_data().size());
    if (length < min_) continue;
    // A copy of one of the source model's initializers (the usual case) is
    // known by name once its bytes compare equal; anything else by a hash.
    const auto src = source_raw_.find(t.name());
    const bool from_source = src != source_raw_.end() && *src->second == t.raw_data();
    const std::string key = from_source ? "source\n" + t.name() : "raw\n" + sha256Hex(t.raw_data());
    auto it = by_key_.find(key);
    if (it == by_key_.end()) {
      Entry e;
      e.length = length;
      e.offset = place(length);
      if (from_source) e.source_bytes = src->second;
      else e.bytes = std::move(*t.mutable_raw_data());
      it = by_key_.emplace(key, entries_.size()).first;
      entries_.push_back(std::move(e));
    }
    pointAt(t, file_name, entries_[it->second].offset, length);
    refers = true;
  }
  return refers;
}

void SharedWeights::write(std::ostream& out) const {
  int64_t at = 0;
  static const char zeros[kAlign] = {};
  for (const auto& e : entries_) {  // in offset order: placed as added
    out.write(zeros, static_cast<std::streamsize>(e.offset - at));
    if (e.external) {
      DataRange r = e.range;
      r.dest_offset = 0;
      copyDataRanges({r}, out);
    } else {
      const std::string& b = e.source_bytes ? *e.source_bytes : e.bytes;
      out.write(b.data(), static_cast<std::streamsize>(b.size()));
    }
    at = e.offset + e.length;
  }
}

}  // namespace onnxcut
