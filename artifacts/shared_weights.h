// One weights file for a whole plan directory (docs/plan-table.md, "Files
// written once"): the large initializers of every split file, and every
// tensor a model keeps in external data, stored once each however many heads
// and tails use them. Each split file refers to `weights.data` in its own
// folder; the plan directory holds one such file per plan folder, all hard
// links to the same bytes (a copy where the file system has no hard links).
#pragma once
#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "external_data.h"

namespace onnx {
class ModelProto;
}

namespace onnxcut {

class SharedWeights {
 public:
  // `model_dir`: where the model's own external data files are. `source`:
  // the model the parts are cut from; a part's initializer equal to one of
  // its initializers is written from there, not held a second time. It must
  // outlive write().
  SharedWeights(std::string model_dir, const onnx::ModelProto* source = nullptr, int64_t min_bytes = 1024);
  // Moves the part's top-level initializers of at least min_bytes (raw
  // data), and every tensor it keeps in external data, into the store; the
  // part then refers to `file_name` in its own folder. Returns whether it
  // refers to it at all.
  bool adopt(onnx::ModelProto& part, const std::string& file_name);
  int64_t bytes() const { return end_; }
  size_t tensors() const { return entries_.size(); }
  // The weights file: every tensor at its offset (64-byte aligned), zeros between.
  void write(std::ostream& out) const;

 private:
  struct Entry {
    int64_t offset = 0, length = 0;
    std::string bytes;   // an inline initializer's data (held), or
    const std::string* source_bytes = nullptr;  // the source model's copy of it
    DataRange range;     // or a range of one of the model's files
    bool external = false;
  };
  int64_t place(int64_t length);
  std::string dir_;
  int64_t min_;
  std::map<std::string, size_t> by_key_;  // content key -> entry
  std::map<std::string, const std::string*> source_raw_;  // source initializer name -> raw data
  std::vector<Entry> entries_;
  int64_t end_ = 0;
};

}  // namespace onnxcut
