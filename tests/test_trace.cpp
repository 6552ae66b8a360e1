// Bandwidth traces (sim/trace.h): every format, transfer integration over
// the trace, and bad lines named.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "errors.h"
#include "trace.h"

namespace onnxcut {
namespace {

TEST(Trace, PensieveValuesEndTheirInterval) {
  const Trace t = parseTrace("0.0\t8\n1.0\t8\n3.0\t2\n", TraceFormat::pensieve, "t");
  EXPECT_DOUBLE_EQ(t.duration(), 3.0);
  EXPECT_DOUBLE_EQ(t.mbpsAt(0.5), 8);
  EXPECT_DOUBLE_EQ(t.mbpsAt(2.0), 2);
  // 8 Mbit from t=0.5: 4 Mbit by t=1 (at 8), then 4 Mbit at 2 Mbit/s -> t=3.
  EXPECT_NEAR(t.transferEnd(0.5, 8e6), 3.0, 1e-12);
  // The trace repeats: 1 Mbit from t=2.5 -> 1 Mbit done by t=3.0 (0.5 s at 2).
  EXPECT_NEAR(t.transferEnd(2.5, 1e6), 3.0, 1e-12);
  EXPECT_NEAR(t.transferEnd(2.5, 5e6), 3.5, 1e-12);
}

TEST(Trace, ZeroBandwidthIsWaitedOut) {
  const Trace t = parseTrace("time,mbps\n0,4\n1,0\n2,4\n", TraceFormat::csv, "t");  // sample and hold, 1 s each
  EXPECT_DOUBLE_EQ(t.duration(), 3.0);
  EXPECT_NEAR(t.transferEnd(0.5, 4e6), 2.5, 1e-12);  // 2 Mbit, a dead second, 2 Mbit
  EXPECT_THROW(parseTrace("time,mbps\n0,0\n1,0\n", TraceFormat::csv, "t"), InputError);
}

TEST(Trace, MahimahiOpportunitiesBecomeRates) {
  std::string text;
  for (int ms = 0; ms < 1000; ++ms) text += std::to_string(ms) + "\n";  // 1 packet/ms = 12 Mbit/s
  const Trace t = parseTrace(text, TraceFormat::mahimahi, "t");
  EXPECT_NEAR(t.meanMbps(), 12.0, 1e-9);
  EXPECT_NEAR(t.duration(), 1.0, 1e-12);
}

TEST(Trace, CsvUnitsFromTheHeader) {
  const Trace t = parseTrace("t_ms,throughput_kbps\n0,2000\n500,4000\n", TraceFormat::csv, "t");
  EXPECT_DOUBLE_EQ(t.mbpsAt(0.1), 2.0);
  EXPECT_DOUBLE_EQ(t.mbpsAt(0.6), 4.0);
}

void expectTraceError(const std::string& text, TraceFormat f, const std::string& needle) {
  try {
    parseTrace(text, f, "trace.txt");
    FAIL() << "accepted: " << text;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// Irish 5G / 5Gophers-style logs: a date-time column and kbit/s columns the
// defaults do not recognise, read with named columns and units.
TEST(Trace, CsvNamedColumnsAndUnits) {
  const std::string text =
      "Timestamp,Longitude,Latitude,Speed,Operatorname,CellID,NetworkMode,RSRP,DL_bitrate,UL_bitrate\n"
      "2019.12.14_11.26.39,-8.39,51.88,0,A,2,5G,-90,8000,1000\n"
      "2019.12.14_11.26.40,-8.39,51.88,0,A,2,5G,-90,16000,2000\n"
      "2019.12.14_11.26.42,-8.39,51.88,0,A,2,5G,-90,4000,500\n";
  EXPECT_THROW(parseTrace(text, TraceFormat::csv, "irish"), InputError);  // defaults: no bandwidth column
  CsvColumns up{"Timestamp", "UL_bitrate", "datetime:%Y.%m.%d_%H.%M.%S", "kbps"};
  const Trace u = parseTrace(text, TraceFormat::csv, "irish", up);
  EXPECT_DOUBLE_EQ(u.mbpsAt(0.5), 1.0);
  EXPECT_DOUBLE_EQ(u.mbpsAt(1.5), 2.0);  // held from 11.26.40 to 11.26.42
  CsvColumns down = up;
  down.rate_col = "dl_bitrate";  // names are case-insensitive
  const Trace d = parseTrace(text, TraceFormat::csv, "irish", down);
  EXPECT_DOUBLE_EQ(d.mbpsAt(0.5), 8.0);
  EXPECT_DOUBLE_EQ(d.mbpsAt(1.5), 16.0);
  // Fractions of a second after the format, and plain numbers with units.
  const Trace f = parseTrace("when,rate\n2020-01-01 00:00:00.5,2000000\n2020-01-01 00:00:01.5,4000000\n2020-01-01 00:00:02.5,1\n",
                             TraceFormat::csv, "frac", {"when", "rate", "datetime:%Y-%m-%d %H:%M:%S", "bps"});
  EXPECT_DOUBLE_EQ(f.mbpsAt(0.5), 2.0);
  EXPECT_DOUBLE_EQ(f.mbpsAt(1.2), 4.0);
  const Trace ms = parseTrace("elapsed,bw\n0,0.5\n250,1.5\n500,1\n", TraceFormat::csv, "ms", {"elapsed", "bw", "ms", "gbps"});
  EXPECT_DOUBLE_EQ(ms.mbpsAt(0.1), 500.0);
  EXPECT_DOUBLE_EQ(ms.mbpsAt(0.3), 1500.0);
}

TEST(Trace, CsvColumnErrorsAreNamed) {
  const auto message = [](const std::string& text, TraceFormat f, const CsvColumns& c) {
    try {
      parseTrace(text, f, "x.csv", c);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("a,b\n0,1\n", TraceFormat::csv, {"time", "b", "", ""}).find("no column 'time'"), std::string::npos);
  EXPECT_NE(message("a,b\n0,1\n", TraceFormat::csv, {"a", "b", "hours", ""}).find("time_unit 'hours'"), std::string::npos);
  EXPECT_NE(message("a,b\n0,1\n", TraceFormat::csv, {"a", "b", "", "furlongs"}).find("rate_unit 'furlongs'"), std::string::npos);
  EXPECT_NE(message("a,b\nnoon,1\n1,1\n", TraceFormat::csv, {"a", "b", "datetime:%H:%M", ""}).find("does not match the format"),
            std::string::npos);
  EXPECT_NE(message("0 1\n1 1\n", TraceFormat::pensieve, {"a", "", "", ""}).find("csv traces only"), std::string::npos);
}

TEST(Trace, BadLinesAreNamed) {
  expectTraceError("0 1\n1 x\n", TraceFormat::pensieve, "line 2: bandwidth 'x' is not a number");
  expectTraceError("0 1\n1 2 3\n", TraceFormat::pensieve, "line 2: expected 'seconds Mbit/s'");
  expectTraceError("0 1\n1 -2\n", TraceFormat::pensieve, "line 2: negative bandwidth");
  expectTraceError("2 1\n1 2\n", TraceFormat::pensieve, "line 2: time goes back");
  expectTraceError("5\n3\n", TraceFormat::mahimahi, "line 2: timestamp goes back in time");
  expectTraceError("5\nabc\n", TraceFormat::mahimahi, "line 2: expected one timestamp");
  expectTraceError("a,b\n0,1\n", TraceFormat::csv, "line 1: the CSV header must name");
  expectTraceError("", TraceFormat::pensieve, "no samples");
}

// transferEnd by walking the trace in small steps: the reference the
// prefix-sum search must agree with (zero-rate stretches, wrap-arounds and
// multi-cycle transfers included).
double walkTransfer(const Trace& t, double t0, double bits) {
  double time = t0;
  for (int guard = 0; guard < 10000000 && bits > 1e-6; ++guard) {
    const double phase = std::fmod(time, t.duration());
    double next = std::floor(phase / 0.25 + 1e-12) * 0.25 + 0.25;  // segment starts are multiples of 0.25
    next = std::min(next, t.duration());
    const double rate = t.mbpsAt(time) * 1e6;
    const double cap = rate * (next - phase);
    if (cap >= bits) return time + bits / rate;
    bits -= cap;
    time += next - phase;
  }
  return time;
}

TEST(Trace, TransferEndMatchesAStepByStepWalk) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    std::string text;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < n; ++i) {
      const double mbps = rng() % 3 == 0 ? 0.0 : 0.5 + static_cast<double>(rng() % 40) / 4;
      text += std::to_string(0.25 * (i + 1)) + " " + std::to_string(i == n - 1 && mbps == 0 ? 1.0 : mbps) + "\n";
    }
    const Trace t = parseTrace(text, TraceFormat::pensieve, "random");
    for (int q = 0; q < 20; ++q) {
      const double t0 = static_cast<double>(rng() % 1000) / 97.0;
      const double bits = static_cast<double>(rng() % 100000) * 400;
      const double want = walkTransfer(t, t0, bits);
      EXPECT_NEAR(t.transferEnd(t0, bits), want, 1e-6 * std::max(1.0, want)) << text << " t0 " << t0 << " bits " << bits;
    }
  }
}

TEST(Trace, CapsKeepParsingLinear) {
  // A timestamp of 1e10 ms once allocated 10^8 bins; now it is refused...
  expectTraceError("0\n10000000000\n", TraceFormat::mahimahi, "past the cap of 1e6 s");
  expectTraceError("0 1\n2000000 1\n", TraceFormat::pensieve, "span more than the cap of 1e6 s");
  expectTraceError("0 1e12\n", TraceFormat::pensieve, "above the cap of 1e9 Mbit/s");
  // ...and a long silence within the cap costs one segment, not one per bin.
  const Trace t = parseTrace("0\n1\n900000000\n", TraceFormat::mahimahi, "gap");
  EXPECT_NEAR(t.duration(), 900000.1, 1e-6);
  EXPECT_NEAR(t.transferEnd(0.0, 3 * 12000.0), 900000.0 + 12000.0 / (12000.0 / 0.1 ), 1e-6);
}

}  // namespace
}  // namespace onnxcut
