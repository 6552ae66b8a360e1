#include "trace.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "errors.h"
#include "files.h"

namespace onnxcut {
namespace {

// Mahimahi delivery opportunities are binned to rates at this resolution.
constexpr double kMahimahiBinS = 0.1;
constexpr double kMahimahiPacketBits = 1500 * 8;

bool parseNumber(const std::string& s, double& out) {
  const std::string t = trim(s);
  if (t.empty()) return false;
  char* end = nullptr;
  out = std::strtod(t.c_str(), &end);
  return *end == '\0' && std::isfinite(out);
}

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
  for (size_t i = 0; i < starts_.size(); ++i) {
    const double end = i + 1 < starts_.size() ? starts_[i + 1] : duration_;
    bits_per_cycle_ += rates_[i] * 1e6 * (end - starts_[i]);
  }
  if (!(bits_per_cycle_ > 0)) throw InputError(label_ + ": the trace has no bandwidth at all (every rate is 0)");
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
  // Whole cycles first (long transfers on slow traces).
  const double whole = std::floor(bits / bits_per_cycle_);
  if (whole >= 1) {
    bits -= whole * bits_per_cycle_;
    cycles += whole;
    if (bits <= 0) return cycles * duration_ + phase;
  }
  size_t i = segmentAt(phase);
  for (size_t guard = 0; guard < 4 * starts_.size() + 8; ++guard) {
    const double end = i + 1 < starts_.size() ? starts_[i + 1] : duration_;
    const double cap = rates_[i] * 1e6 * (end - phase);
    if (cap >= bits) return cycles * duration_ + phase + bits / (rates_[i] * 1e6);
    bits -= cap;
    if (++i == starts_.size()) { i = 0; cycles += 1; phase = 0; }
    else phase = starts_[i];
  }
  return cycles * duration_ + phase;  // unreachable: a full cycle carries > 0 bits
}

Trace parseTrace(const std::string& text, TraceFormat format, const std::string& label) {
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
    ++row;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (trim(line).empty() || trim(line)[0] == '#') continue;
    const std::string where = "line " + std::to_string(row);
    const auto f = splitFields(line, format == TraceFormat::csv);
    if (header) {
      header = false;
      for (int c = 0; c < static_cast<int>(f.size()); ++c) {
        const std::string n = lower(f[c]);
        if (time_col < 0 && (n == "t" || n.find("time") != std::string::npos || n == "t_ms" || n == "t_s")) {
          time_col = c;
          time_scale = n.ends_with("_ms") || n.ends_with("(ms)") ? 1e-3 : 1;
        } else if (bw_col < 0 && (n.find("mbps") != std::string::npos || n.find("kbps") != std::string::npos ||
                                  n.find("bandwidth") != std::string::npos || n.find("throughput") != std::string::npos)) {
          bw_col = c;
          bw_scale = n.find("kbps") != std::string::npos ? 1e-3 : 1;
        }
      }
      if (time_col < 0 || bw_col < 0) {
        errors.add(where + ": the CSV header must name a time column (time, t, timestamp) and a bandwidth column (mbps, bandwidth, throughput); got '" + line + "'");
        break;
      }
      continue;
    }
    double t = 0, v = 0;
    if (format == TraceFormat::mahimahi) {
      if (f.size() != 1 || !parseNumber(f[0], t) || t < 0) { errors.add(where + ": expected one timestamp in ms, got '" + line + "'"); continue; }
      if (t < last_t) { errors.add(where + ": timestamp goes back in time"); continue; }
      last_t = t;
      opportunities.push_back(t / 1000.0);
      continue;
    }
    const int tc = format == TraceFormat::csv ? time_col : 0, bc = format == TraceFormat::csv ? bw_col : 1;
    if (static_cast<int>(f.size()) <= std::max(tc, bc) || (format == TraceFormat::pensieve && f.size() != 2)) {
      errors.add(where + ": expected " + (format == TraceFormat::pensieve ? std::string("'seconds Mbit/s'") : "the header's columns") + ", got '" + line + "'");
      continue;
    }
    if (!parseNumber(f[tc], t)) { errors.add(where + ": time '" + f[tc] + "' is not a number"); continue; }
    if (!parseNumber(f[bc], v)) { errors.add(where + ": bandwidth '" + f[bc] + "' is not a number"); continue; }
    t *= time_scale;
    v *= bw_scale;
    if (v < 0) { errors.add(where + ": negative bandwidth " + f[bc]); continue; }
    if (t < last_t) { errors.add(where + ": time goes back (" + f[tc] + ")"); continue; }
    last_t = t;
    pts.emplace_back(t, v);
  }
  errors.throwIfAny(label);
  if (format == TraceFormat::mahimahi) {
    if (opportunities.empty()) throw InputError(label + ": the trace has no delivery opportunities");
    const size_t bins = static_cast<size_t>(std::ceil((opportunities.back() + 1e-9) / kMahimahiBinS));
    std::vector<double> count(std::max<size_t>(bins, 1), 0);
    for (double t : opportunities) count[std::min(count.size() - 1, static_cast<size_t>(t / kMahimahiBinS))] += 1;
    std::vector<double> starts, rates;
    for (size_t b = 0; b < count.size(); ++b) {
      starts.push_back(b * kMahimahiBinS);
      rates.push_back(count[b] * kMahimahiPacketBits / kMahimahiBinS / 1e6);
    }
    return Trace(starts, rates, count.size() * kMahimahiBinS, label);
  }
  return fromSamples(std::move(pts), format == TraceFormat::pensieve, label);
}

Trace readTrace(const std::string& path, TraceFormat format) {
  return parseTrace(readWholeFile(path, "the trace"), format, path);
}

}  // namespace onnxcut
