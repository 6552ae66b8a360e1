#include "trace.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "errors.h"
#include "files.h"

namespace onnxcut {
namespace {

// Mahimahi delivery opportunities are binned to rates at this resolution.
constexpr double kMahimahiBinS = 0.1;
constexpr double kMahimahiPacketBits = 1500 * 8;
// Caps (docs/reliability.md): parsing and replay stay linear in the file.
constexpr size_t kMaxTraceBytes = size_t{256} << 20;
constexpr size_t kMaxTraceLines = 20000000;
constexpr double kMaxTraceSpanS = 1e6;  // ~11.6 days
constexpr double kMaxTraceMbps = 1e9;

std::vector<std::string> splitFields(const std::string& line, bool csv) {
  std::vector<std::string> f;
  if (csv) {
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, ',')) f.push_back(trim(x));
  } else {
    std::stringstream ss(line);
    std::string x;
    while (ss >> x) f.push_back(x);
  }
  return f;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Trace fromSamples(std::vector<std::pair<double, double>> pts, bool value_ends_interval, const std::string& label) {
  if (pts.empty()) throw InputError(label + ": the trace has no samples");
  std::vector<double> starts, rates;
  if (value_ends_interval) {
    // (t_{i-1}, t_i] at value_i; a first sample after 0 covers [0, t_0].
    double prev = 0;
    for (const auto& [t, v] : pts) {
      if (t > prev) { starts.push_back(prev); rates.push_back(v); }
      prev = std::max(prev, t);
    }
    if (starts.empty()) throw InputError(label + ": the trace spans no time");
    return Trace(starts, rates, prev, label);
  }
  // [t_i, t_{i+1}) at value_i; the last sample lasts as long as the median gap.
  std::vector<double> gaps;
  for (size_t i = 0; i + 1 < pts.size(); ++i) gaps.push_back(pts[i + 1].first - pts[i].first);
  std::sort(gaps.begin(), gaps.end());
  const double last_gap = gaps.empty() ? 1.0 : std::max(gaps[gaps.size() / 2], 1e-3);
  const double t0 = pts.front().first;
  for (size_t i = 0; i < pts.size(); ++i) {
    if (i + 1 < pts.size() && pts[i + 1].first == pts[i].first) continue;
    starts.push_back(pts[i].first - t0);
    rates.push_back(pts[i].second);
  }
  return Trace(starts, rates, pts.back().first - t0 + last_gap, label);
}

}  // namespace

TraceFormat parseTraceFormat(const std::string& s) {
  if (s == "pensieve") return TraceFormat::pensieve;
  if (s == "mahimahi") return TraceFormat::mahimahi;
  if (s == "csv") return TraceFormat::csv;
  throw InputError("unknown trace format '" + s + "' (allowed: pensieve, mahimahi, csv)");
}

Trace::Trace(std::vector<double> starts, std::vector<double> rates, double duration, std::string label)
    : starts_(std::move(starts)), rates_(std::move(rates)), duration_(duration), label_(std::move(label)) {
  if (starts_.empty() || starts_.size() != rates_.size() || !(duration_ > 0) || !std::isfinite(duration_))
    throw InputError(label_ + ": the trace spans no time");
  cum_bits_.reserve(starts_.size() + 1);
  for (size_t i = 0; i < starts_.size(); ++i) {
    cum_bits_.push_back(bits_per_cycle_);
    const double end = i + 1 < starts_.size() ? starts_[i + 1] : duration_;
    bits_per_cycle_ += rates_[i] * 1e6 * (end - starts_[i]);
  }
  cum_bits_.push_back(bits_per_cycle_);
  if (!(bits_per_cycle_ > 0) || !std::isfinite(bits_per_cycle_))
    throw InputError(label_ + ": the trace has no bandwidth at all (every rate is 0)");
}

size_t Trace::segmentAt(double phase) const {
  auto it = std::upper_bound(starts_.begin(), starts_.end(), phase);
  return it == starts_.begin() ? 0 : static_cast<size_t>(it - starts_.begin() - 1);
}

double Trace::mbpsAt(double t) const {
  const double phase = std::fmod(std::max(t, 0.0), duration_);
  return rates_[segmentAt(phase)];
}

double Trace::meanMbps() const { return bits_per_cycle_ / 1e6 / duration_; }

double Trace::transferEnd(double t0, double bits) const {
  if (bits <= 0) return t0;
  double cycles = std::floor(std::max(t0, 0.0) / duration_);
  double phase = std::max(t0, 0.0) - cycles * duration_;
  // Bits the cycle has carried by `phase`, then the point where `bits` more
  // have gone: whole cycles, then a binary search over the prefix sums
  // (O(log segments) per transfer, whatever the trace).
  const size_t i = segmentAt(phase);
  double target = cum_bits_[i] + rates_[i] * 1e6 * (phase - starts_[i]) + bits;
  const double whole = std::floor(target / bits_per_cycle_);
  cycles += whole;
  target -= whole * bits_per_cycle_;
  if (target <= 0) return cycles * duration_;
  // The first segment whose end carries the target (zero-rate segments are
  // skipped: their end equals their start in bits).
  const auto end = std::lower_bound(cum_bits_.begin() + 1, cum_bits_.end(), target);
  const size_t k = std::min(static_cast<size_t>(end - cum_bits_.begin()) - 1, starts_.size() - 1);
  const double seg_end = k + 1 < starts_.size() ? starts_[k + 1] : duration_;
  const double t = rates_[k] > 0 ? starts_[k] + (target - cum_bits_[k]) / (rates_[k] * 1e6) : seg_end;
  return cycles * duration_ + std::min(t, seg_end);
}

namespace {

// Seconds per unit of a time column; datetime formats return 0 (parsed apart).
double timeUnitScale(const std::string& unit) {
  if (unit == "s") return 1;
  if (unit == "ms") return 1e-3;
  if (unit == "us") return 1e-6;
  if (unit.rfind("datetime:", 0) == 0 && unit.size() > 9) return 0;
  throw InputError(optionRef("time_unit") + " '" + unit + "': expected s, ms, us or datetime:FORMAT (e.g. datetime:%Y-%m-%d %H:%M:%S)");
}
double rateUnitScale(const std::string& unit) {
  const std::string u = lower(unit);
  if (u == "bps") return 1e-6;
  if (u == "kbps") return 1e-3;
  if (u == "mbps") return 1;
  if (u == "gbps") return 1e3;
  throw InputError(optionRef("rate_unit") + " '" + unit + "': expected bps, kbps, mbps or gbps");
}
// A date and time as seconds since the epoch (UTC), with strptime's FORMAT;
// a fraction of a second after the parsed part (".250") is kept.
bool parseDateTime(const std::string& s, const std::string& format, double& out) {
  std::tm tm{};
  const char* end = strptime(s.c_str(), format.c_str(), &tm);
  if (!end) return false;
  double frac = 0;
  if (*end == '.' || *end == ',') {
    std::string digits = std::string("0.") + (end + 1);
    char* stop = nullptr;
    frac = std::strtod(digits.c_str(), &stop);
    if (*stop != '\0') return false;
    end += std::strlen(end);
  }
  if (*end != '\0') return false;
  out = static_cast<double>(timegm(&tm)) + frac;
  return std::isfinite(out);
}

}  // namespace

Trace parseTrace(const std::string& text, TraceFormat format, const std::string& label, const CsvColumns& columns) {
  if (columns.any() && format != TraceFormat::csv)
    throw InputError(optionRef("trace_columns") + " apply to csv traces only (the trace format is not csv)");
  const std::string datetime =
      columns.time_unit.rfind("datetime:", 0) == 0 ? columns.time_unit.substr(9) : std::string();
  const double user_time_scale = columns.time_unit.empty() ? -1 : timeUnitScale(columns.time_unit);
  const double user_rate_scale = columns.rate_unit.empty() ? -1 : rateUnitScale(columns.rate_unit);
  double first_time = NAN;  // datetime columns count from the first sample
  std::istringstream in(text);
  std::string line;
  int row = 0;
  ErrorList errors;
  std::vector<std::pair<double, double>> pts;
  std::vector<double> opportunities;
  int time_col = -1, bw_col = -1;
  double time_scale = 1, bw_scale = 1;
  bool header = format == TraceFormat::csv;
  double last_t = -INFINITY;
  while (std::getline(in, line)) {
    if (static_cast<size_t>(++row) > kMaxTraceLines) {
      errors.add("more than " + std::to_string(kMaxTraceLines) + " lines (the cap)");
      break;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const std::string where = "line " + std::to_string(row);
    const auto f = splitFields(line, format == TraceFormat::csv);
    if (header) {
      header = false;
      for (int c = 0; c < static_cast<int>(f.size()); ++c) {
        const std::string n = lower(f[c]);
        if (!columns.time_col.empty() || !columns.rate_col.empty()) {  // named by the user
          if (time_col < 0 && n == lower(columns.time_col)) time_col = c;
          if (bw_col < 0 && n == lower(columns.rate_col)) bw_col = c;
          if (!columns.time_col.empty() && !columns.rate_col.empty()) continue;
        }
        if (time_col < 0 && columns.time_col.empty() &&
            (n == "t" || n.find("time") != std::string::npos || n == "t_ms" || n == "t_s")) {
          time_col = c;
          time_scale = n.ends_with("_ms") || n.ends_with("(ms)") ? 1e-3 : 1;
        } else if (bw_col < 0 && columns.rate_col.empty() &&
                   (n.find("mbps") != std::string::npos || n.find("kbps") != std::string::npos ||
                    n.find("bandwidth") != std::string::npos || n.find("throughput") != std::string::npos)) {
          bw_col = c;
          bw_scale = n.find("kbps") != std::string::npos ? 1e-3 : 1;
        }
      }
      if (user_time_scale >= 0) time_scale = user_time_scale;
      if (user_rate_scale >= 0) bw_scale = user_rate_scale;
      if (time_col < 0 || bw_col < 0) {
        if (!columns.time_col.empty() && time_col < 0)
          errors.add(where + ": no column '" + columns.time_col + "' in the header '" + line + "'");
        if (!columns.rate_col.empty() && bw_col < 0)
          errors.add(where + ": no column '" + columns.rate_col + "' in the header '" + line + "'");
        if ((time_col < 0 && columns.time_col.empty()) || (bw_col < 0 && columns.rate_col.empty()))
          errors.add(where + ": the CSV header must name a time column (time, t, timestamp) and a bandwidth column (mbps, bandwidth, throughput), or give them with " +
                     optionRef("trace_columns") + "; got '" + line + "'");
        break;
      }
      continue;
    }
    double t = 0, v = 0;
    if (format == TraceFormat::mahimahi) {
      if (f.size() != 1 || !parseFiniteNumber(f[0], t) || t < 0) { errors.add(where + ": expected one timestamp in ms, got '" + line + "'"); continue; }
      if (t < last_t) { errors.add(where + ": timestamp goes back in time"); continue; }
      if (t / 1000.0 > kMaxTraceSpanS) { errors.add(where + ": timestamp " + f[0] + " ms is past the cap of 1e6 s"); break; }
      last_t = t;
      opportunities.push_back(t / 1000.0);
      continue;
    }
    const int tc = format == TraceFormat::csv ? time_col : 0, bc = format == TraceFormat::csv ? bw_col : 1;
    if (static_cast<int>(f.size()) <= std::max(tc, bc) || (format == TraceFormat::pensieve && f.size() != 2)) {
      errors.add(where + ": expected " + (format == TraceFormat::pensieve ? std::string("'seconds Mbit/s'") : "the header's columns") + ", got '" + line + "'");
      continue;
    }
    if (!datetime.empty()) {
      if (!parseDateTime(f[tc], datetime, t)) {
        errors.add(where + ": time '" + f[tc] + "' does not match the format '" + datetime + "'");
        continue;
      }
      if (std::isnan(first_time)) first_time = t;
      t -= first_time;
    } else if (!parseFiniteNumber(f[tc], t)) {
      errors.add(where + ": time '" + f[tc] + "' is not a number (a date and time? give " + optionRef("time_unit") +
                 " datetime:FORMAT)");
      continue;
    }
    if (!parseFiniteNumber(f[bc], v)) { errors.add(where + ": bandwidth '" + f[bc] + "' is not a number"); continue; }
    if (datetime.empty()) t *= time_scale;
    v *= bw_scale;
    if (v < 0) { errors.add(where + ": negative bandwidth " + f[bc]); continue; }
    if (v > kMaxTraceMbps) { errors.add(where + ": bandwidth " + f[bc] + " is above the cap of 1e9 Mbit/s"); continue; }
    if (t < last_t) { errors.add(where + ": time goes back (" + f[tc] + ")"); continue; }
    if (t - (pts.empty() ? std::min(t, 0.0) : pts.front().first) > kMaxTraceSpanS) {
      errors.add(where + ": time " + f[tc] + " makes the trace span more than the cap of 1e6 s");
      break;
    }
    last_t = t;
    pts.emplace_back(t, v);
  }
  errors.throwIfAny(label);
  if (format == TraceFormat::mahimahi) {
    if (opportunities.empty()) throw InputError(label + ": the trace has no delivery opportunities");
    // Run-length: one segment per non-empty bin and one per gap, so a long
    // silence costs one segment, not one per bin.
    std::vector<double> starts, rates;
    size_t i = 0;
    int64_t next_bin = 0;
    while (i < opportunities.size()) {
      const auto bin = static_cast<int64_t>(opportunities[i] / kMahimahiBinS);
      size_t j = i;
      while (j < opportunities.size() && static_cast<int64_t>(opportunities[j] / kMahimahiBinS) == bin) ++j;
      if (bin > next_bin) { starts.push_back(static_cast<double>(next_bin) * kMahimahiBinS); rates.push_back(0); }
      starts.push_back(static_cast<double>(bin) * kMahimahiBinS);
      rates.push_back(static_cast<double>(j - i) * kMahimahiPacketBits / kMahimahiBinS / 1e6);
      next_bin = bin + 1;
      i = j;
    }
    return Trace(starts, rates, static_cast<double>(next_bin) * kMahimahiBinS, label);
  }
  return fromSamples(std::move(pts), format == TraceFormat::pensieve, label);
}

Trace readTrace(const std::string& path, TraceFormat format, const CsvColumns& columns) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxTraceBytes) throw InputError(path + ": larger than the cap of 256 MiB for a trace");
  return parseTrace(readWholeFile(path, "the trace"), format, path, columns);
}

}  // namespace onnxcut
