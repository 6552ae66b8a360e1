#include "external_data.h"

#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "errors.h"

namespace onnxcut {

ExternalRef externalRef(const onnx::TensorProto& t) {
  ExternalRef r;
  if (t.data_location() != onnx::TensorProto::EXTERNAL) return r;
  for (const auto& e : t.external_data()) {
    auto whole = [&](const std::string& v, int64_t& out) {
      if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 18) r.numbers_ok = false;
      else out = std::stoll(v);
    };
    if (e.key() == "location") r.location = e.value();
    else if (e.key() == "offset") whole(e.value(), r.offset);
    else if (e.key() == "length") whole(e.value(), r.length);
  }
  return r;
}

void forEachTensor(const onnx::GraphProto& g, const std::function<void(const onnx::TensorProto&)>& f) {
  for (const auto& t : g.initializer()) f(t);
  for (const auto& n : g.node())
    for (const auto& a : n.attribute()) {
      if (a.has_t()) f(a.t());
      for (const auto& t : a.tensors()) f(t);
      if (a.has_g()) forEachTensor(a.g(), f);
      for (const auto& sub : a.graphs()) forEachTensor(sub, f);
    }
}

void forEachTensor(onnx::GraphProto& g, const std::function<void(onnx::TensorProto&)>& f) {
  for (auto& t : *g.mutable_initializer()) f(t);
  for (auto& n : *g.mutable_node())
    for (auto& a : *n.mutable_attribute()) {
      if (a.has_t()) f(*a.mutable_t());
      for (auto& t : *a.mutable_tensors()) f(t);
      if (a.has_g()) forEachTensor(*a.mutable_g(), f);
      for (auto& sub : *a.mutable_graphs()) forEachTensor(sub, f);
    }
}

std::vector<std::string> externalFiles(const onnx::ModelProto& m) {
  std::set<std::string> files;
  forEachTensor(m.graph(), [&](const onnx::TensorProto& t) {
    const ExternalRef r = externalRef(t);
    if (!r.location.empty()) files.insert(std::filesystem::path(r.location).lexically_normal().string());
  });
  return {files.begin(), files.end()};
}

int64_t dataFileLength(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  if (ec) throw InputError(path + ": cannot read external data: " + ec.message());
  return static_cast<int64_t>(n);
}

void inlineSmallExternalData(onnx::ModelProto& m, const std::string& model_dir, int64_t max_elements) {
  namespace fs = std::filesystem;
  forEachTensor(*m.mutable_graph(), [&](onnx::TensorProto& t) {
    const ExternalRef r = externalRef(t);
    if (r.location.empty() || !r.numbers_ok) return;
    int64_t n = 1;
    for (auto d : t.dims())
      if (d < 0 || __builtin_mul_overflow(n, d, &n)) return;
    if (n > max_elements) return;
    const std::string file = (fs::path(model_dir) / r.location).string();
    const int64_t length = r.length >= 0 ? r.length : dataFileLength(file) - r.offset;
    std::ifstream in(file, std::ios::binary);
    std::string bytes(static_cast<size_t>(std::max<int64_t>(length, 0)), '\0');
    in.seekg(r.offset);
    if (!in || !in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
      throw InputError(file + ": cannot read the external data of tensor '" + t.name() + "'");
    t.clear_external_data();
    t.set_data_location(onnx::TensorProto::DEFAULT);
    t.set_raw_data(std::move(bytes));
  });
}

std::vector<DataRange> relocateExternalData(onnx::ModelProto& part, const std::string& model_dir,
                                            const std::string& data_name) {
  namespace fs = std::filesystem;
  constexpr int64_t kAlign = 64;
  std::vector<DataRange> ranges;
  int64_t at = 0;
  forEachTensor(*part.mutable_graph(), [&](onnx::TensorProto& t) {
    const ExternalRef r = externalRef(t);
    if (r.location.empty()) return;
    DataRange d;
    d.source = (fs::path(model_dir) / r.location).string();
    d.offset = r.offset;
    d.length = r.length >= 0 ? r.length : dataFileLength(d.source) - r.offset;
    at = (at + kAlign - 1) / kAlign * kAlign;
    d.dest_offset = at;
    at += d.length;
    t.clear_external_data();
    auto add = [&](const std::string& k, const std::string& v) {
      auto* e = t.add_external_data();
      e->set_key(k);
      e->set_value(v);
    };
    add("location", data_name);
    add("offset", std::to_string(d.dest_offset));
    add("length", std::to_string(d.length));
    ranges.push_back(std::move(d));
  });
  return ranges;
}

void copyDataRanges(const std::vector<DataRange>& ranges, std::ostream& out) {
  std::vector<char> buf(1 << 20);
  int64_t written = 0;
  for (const auto& r : ranges) {
    for (; written < r.dest_offset; ++written) out.put('\0');
    std::ifstream in(r.source, std::ios::binary);
    in.seekg(r.offset);
    if (!in) throw InputError(r.source + ": cannot read external data");
    for (int64_t left = r.length; left > 0;) {
      const auto chunk = static_cast<std::streamsize>(std::min<int64_t>(left, static_cast<int64_t>(buf.size())));
      if (!in.read(buf.data(), chunk)) throw InputError(r.source + ": external data ends early");
      out.write(buf.data(), chunk);
      left -= chunk;
    }
    written += r.length;
  }
}

}  // namespace onnxcut
