// Weights stored outside the .onnx file (ONNX "external data"): reading the
// small ones into the model (shape arithmetic needs their values), the list of
// files a model is made of, and moving the references of a split file to a
// data file of its own (docs/model-view.md, "External data").
#pragma once
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace onnx {
class GraphProto;
class ModelProto;
class TensorProto;
}  // namespace onnx

namespace onnxcut {

struct ExternalRef {
  std::string location;  // relative to the model's folder
  int64_t offset = 0;
  int64_t length = -1;   // -1: to the end of the file
  bool numbers_ok = true;
};
// The external_data entries of a tensor stored outside (location "" when
// the tensor is not external).
ExternalRef externalRef(const onnx::TensorProto& t);

// Every tensor of a graph holding data: initializers, tensor attributes, in
// sub-graphs too (mutable and const forms).
void forEachTensor(const onnx::GraphProto& g, const std::function<void(const onnx::TensorProto&)>& f);
void forEachTensor(onnx::GraphProto& g, const std::function<void(onnx::TensorProto&)>& f);

// The distinct external data files a model reads, sorted.
std::vector<std::string> externalFiles(const onnx::ModelProto& m);

// Reads every external tensor of at most `max_elements` elements into the
// model (raw_data), so that it no longer refers to a file. Call after
// checkExternalData. Large ones stay where they are: never all in memory.
void inlineSmallExternalData(onnx::ModelProto& m, const std::string& model_dir, int64_t max_elements);

// Bytes to copy from one of the model's files into a split file's own data
// file.
struct DataRange {
  std::string source;  // absolute or relative to the working directory
  int64_t offset = 0, length = 0;
  int64_t dest_offset = 0;
};
// Points every external tensor of `part` at `data_name` (a file in the
// part's own folder), laid out one after another (64-byte aligned), and
// returns what to copy there from the model's files (`model_dir`).
std::vector<DataRange> relocateExternalData(onnx::ModelProto& part, const std::string& model_dir,
                                            const std::string& data_name);
// Size of one of a model's data files; throws InputError naming it.
int64_t dataFileLength(const std::string& path);

// Writes the data file: the ranges in order, zero-filled between them,
// streamed through a small buffer.
void copyDataRanges(const std::vector<DataRange>& ranges, std::ostream& out);

}  // namespace onnxcut
