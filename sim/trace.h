// Bandwidth traces as piecewise-constant rates over [0, duration), replayed
// cyclically. Formats (docs/simulate.md):
//   pensieve  "seconds<ws>Mbit/s" per line; a value applies to the interval
//             that ends at its timestamp (as Pensieve's simulator does)
//   mahimahi  one line per 1500-byte delivery opportunity, in ms; turned
//             into rates over 100 ms bins
//   csv       a header naming a time column (time, t, timestamp; "_ms" for
//             ms) and a bandwidth column (mbps, bandwidth, throughput;
//             "kbps" scales), or the columns and units named by CsvColumns;
//             a value holds from its timestamp to the next
#pragma once
#include <string>
#include <vector>

namespace onnxcut {

enum class TraceFormat { pensieve, mahimahi, csv };
TraceFormat parseTraceFormat(const std::string& s);  // throws InputError

class Trace {
 public:
  // Segments: [start_i, start_{i+1}) at rate_i Mbit/s; the last ends at duration.
  Trace(std::vector<double> starts, std::vector<double> rates, double duration, std::string label);
  double duration() const { return duration_; }
  double mbpsAt(double t) const;
  // When `bits` sent from time t0 have all gone through (waits out
  // zero-bandwidth periods; the trace repeats).
  double transferEnd(double t0, double bits) const;
  const std::string& label() const { return label_; }
  double meanMbps() const;

 private:
  size_t segmentAt(double phase) const;
  std::vector<double> starts_, rates_;
  std::vector<double> cum_bits_;  // bits carried from the cycle's start to starts_[i]
  double duration_;
  double bits_per_cycle_ = 0;
  std::string label_;
};

// How to read a CSV trace whose header the defaults do not recognise
// (docs/simulate.md): the columns by name (case-insensitive) and their
// units. Empty: detected from the header as before.
struct CsvColumns {
  std::string time_col, rate_col;
  // "s", "ms", "us", or "datetime:FORMAT" (strptime, e.g.
  // "datetime:%Y.%m.%d_%H.%M.%S"; seconds from the first sample).
  std::string time_unit;
  std::string rate_unit;  // "bps", "kbps", "mbps", "gbps"
  bool any() const { return !time_col.empty() || !rate_col.empty() || !time_unit.empty() || !rate_unit.empty(); }
};

// Throws InputError naming the file and line of a malformed entry, or a
// trace with no bandwidth at all.
Trace readTrace(const std::string& path, TraceFormat format, const CsvColumns& columns = {});
Trace parseTrace(const std::string& text, TraceFormat format, const std::string& label,
                 const CsvColumns& columns = {});

}  // namespace onnxcut
