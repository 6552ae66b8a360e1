// The onnxcut wire protocol (docs/wire.md): the frames a device and a server
// exchange to run a split plan, encoded and decoded here so that every
// runtime speaks it the same way. C++17, no dependencies. Decoding never
// throws, never reads past its input, and never allocates more than the
// input holds: every length is checked against the bytes present (and the
// limits) before anything is reserved.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "onnxcut_runtime.h"

namespace onnxcut::runtime::wire {

constexpr char kMagic[4] = {'O', 'C', 'U', 'T'};
constexpr uint16_t kVersion = 1;
constexpr size_t kHeaderBytes = 24;  // magic, version, type, frame id, payload length

enum class FrameType : uint16_t {
  hello = 1,        // device -> server: protocol version, plan-table SHA-256
  hello_ack = 2,    // server -> device: accepted (or an error frame)
  infer = 3,        // device -> server: plan id, the wire tensors of one frame
  result = 4,       // server -> device: the tail's outputs, server times, load
  error = 5,        // either way: code and message; the frame id names the request
  load_query = 6,   // device -> server: how loaded are you?
  load_report = 7,  // server -> device: queue length, recent compute time
  probe = 8,        // device -> server: padding bytes, to time a transfer when a plan sends nothing
  probe_ack = 9,    // server -> device: at once, not queued
};

// A tensor as it travels: ONNX data type code (TensorProto enum: 1 float,
// 2 uint8, 10 float16, 7 int64, ...), dims (rank 0: a scalar), raw bytes,
// little-endian, row-major, exactly element size x element count.
struct Tensor {
  std::string name;
  int32_t dtype = 1;
  std::vector<int64_t> dims;
  std::string data;
};

enum class ErrorCode : uint16_t {
  bad_frame = 1,        // could not be decoded
  version = 2,          // protocol version not spoken
  table_mismatch = 3,   // the device's plan table is not the server's
  no_such_plan = 4,     // plan id unknown, or a plan with no tail
  bad_tensors = 5,      // names, types or shapes not the plan's wire
  overloaded = 6,       // the server's queue is full: retry or go local
  internal = 7,         // the tail failed to run
};

struct Frame {
  FrameType type = FrameType::infer;
  uint64_t id = 0;  // chosen by the device; a reply carries its request's id
  // hello: the SHA-256 (hex) of the plan-table.json the device loaded.
  std::string table_sha256;
  // infer: the plan; the tensors (infer: the plan's wire, in order; result:
  // the tail's outputs).
  uint32_t plan = 0;
  std::vector<Tensor> tensors;
  // result and load_report: what the server measured.
  double queue_ms = 0, compute_ms = 0;  // result: this frame's wait and tail time
  uint32_t queue_length = 0;            // frames waiting or running
  double recent_compute_ms = 0;         // mean tail time of recent frames
  double load = 1;                      // the server's load factor estimate (>= 1)
  // error
  ErrorCode error_code = ErrorCode::internal;
  std::string message;
  // probe: the padding (its bytes are what is timed)
  std::string padding;
};

struct Limits {
  uint64_t max_payload = uint64_t{1} << 30;  // 1 GiB
  uint32_t max_tensors = 4096;
  uint32_t max_name = 4096;
  uint32_t max_rank = 16;
  uint32_t max_message = 65535;
};

// Bytes of one element of an ONNX data type (0: not sent by this protocol).
size_t elementBytes(int32_t dtype);
// "float32" -> 1 and back, as the plan table's dtype names them; -1 / "".
int32_t dtypeCode(const std::string& name);
std::string dtypeName(int32_t dtype);

// The whole frame, header included.
std::string encode(const Frame& f);

// The header alone (the first kHeaderBytes): the payload length to read
// next, checked against the limits; the type is checked too.
struct Header {
  FrameType type = FrameType::infer;
  uint64_t id = 0;
  uint64_t payload = 0;
};
Result<Header> decodeHeader(const char* data, size_t n, const Limits& limits = {});
// A whole frame: exactly kHeaderBytes + payload bytes.
Result<Frame> decode(const char* data, size_t n, const Limits& limits = {});
inline Result<Frame> decode(const std::string& bytes, const Limits& limits = {}) {
  return decode(bytes.data(), bytes.size(), limits);
}

// Checks an infer frame's tensors against a plan's wire (names, order,
// dtypes, ranks, dims where the table fixes them; a dim the table marks
// symbolic may differ): the error names the first difference.
std::string checkWire(const PlanInfo& plan, const std::vector<Tensor>& tensors);

}  // namespace onnxcut::runtime::wire
