// Helpers the benchmark tools share: best-of-N wall time and the common
// flags (size_costs.h has the costs for real models without a profile).
#pragma once
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>

namespace onnxcut::bench {

// Best wall time of up to `reps` runs; a run slower than `no_repeat_s` is
// not repeated.
inline double bestSeconds(const std::function<void()>& f, int reps, double no_repeat_s = 1e300) {
  double best = 1e300;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (best > no_repeat_s) break;
  }
  return best;
}

struct SizeFlags {
  int max_nodes;
  std::string json_out;
};

// [--max-nodes N] [--json FILE]; exits 2 with `usage` on anything else.
inline SizeFlags parseSizeFlags(int argc, char** argv, int default_max, const char* usage) {
  SizeFlags f{default_max, {}};
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--max-nodes") && i + 1 < argc) f.max_nodes = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--json") && i + 1 < argc) f.json_out = argv[++i];
    else { std::fprintf(stderr, "usage: %s\n", usage); std::exit(2); }
  }
  return f;
}

}  // namespace onnxcut::bench
