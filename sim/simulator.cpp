#include "simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <queue>

#include "errors.h"
#include "files.h"

namespace onnxcut {
namespace {

using runtime::PlanInfo;
using runtime::PlanTable;

// The four stages as queues: a frame waits for the stage to be free.
struct Pipeline {
  double dev_free = 0, up_free = 0, cloud_free = 0, down_free = 0;
};

struct FrameTiming {
  double done = 0;
  double up_start = 0, up_end = 0;  // the transfer the runtime can measure
};

FrameTiming runFrame(const PlanTable& t, const PlanInfo& p, const Trace& tr, const Trace* down, double load,
                     double arrival, Pipeline& pl) {
  FrameTiming f;
  const double dev_end = std::max(arrival, pl.dev_free) + p.device_ms / 1000.0;
  pl.dev_free = dev_end;
  if (!p.uses_cloud) { f.done = dev_end; return f; }
  const double half_rtt = t.rtt_ms / 2000.0;
  f.up_start = std::max(dev_end, pl.up_free);
  f.up_end = tr.transferEnd(f.up_start, p.up_bytes * 8);
  pl.up_free = f.up_end;
  const double cloud_end = std::max(f.up_end + half_rtt, pl.cloud_free) + load * p.cloud_ms / 1000.0;
  pl.cloud_free = cloud_end;
  const double down_start = std::max(cloud_end, pl.down_free);
  const double down_end = down          ? down->transferEnd(down_start, p.down_bytes * 8)
                          : t.down_mbps ? down_start + p.down_bytes * 8 / (*t.down_mbps * 1e6)
                                        : tr.transferEnd(down_start, p.down_bytes * 8);
  pl.down_free = down_end;
  f.done = down_end + half_rtt;
  return f;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * (v.size() - 1);
  const size_t i = static_cast<size_t>(pos);
  return i + 1 < v.size() ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[i];
}

// Chooses the plan for the frame arriving at `arrival` (the pipeline as it
// stands); reports the bandwidth figure it used.
using Chooser = std::function<int(double arrival, const Pipeline& pl, double& estimate_used)>;
// Called after each frame with the measured upload (bytes, seconds).
using Observer = std::function<void(const PlanInfo&, const FrameTiming&, double arrival)>;

PolicyResult replay(const std::string& name, const PlanTable& t, const Trace& tr, const SimConfig& cfg, int frames,
                    const Chooser& choose, const Observer& observe) {
  PolicyResult r;
  r.name = name;
  Pipeline pl;
  double next_arrival = 0, last_done = 0;
  int prev_plan = -1;
  // Delivery times of the frames in flight (earliest on top).
  std::priority_queue<double, std::vector<double>, std::greater<>> in_flight;
  const bool bounded = cfg.fps && cfg.max_in_flight > 0;
  for (int i = 0; i < frames; ++i) {
    const double arrival = cfg.fps ? i / *cfg.fps : next_arrival;
    if (bounded) {
      while (!in_flight.empty() && in_flight.top() <= arrival) in_flight.pop();
      if (static_cast<int>(in_flight.size()) >= cfg.max_in_flight) {
        r.frames.push_back({arrival, tr.mbpsAt(arrival), 0, 0, -1, true});
        ++r.dropped;
        continue;
      }
    }
    double est = 0;
    const int plan = choose(arrival, pl, est);
    if (prev_plan >= 0 && plan != prev_plan) ++r.switches;
    prev_plan = plan;
    const PlanInfo& p = t.plan(plan);
    const FrameTiming f = runFrame(t, p, tr, cfg.down_trace, cfg.load, arrival, pl);
    if (observe) observe(p, f, arrival);
    if (bounded) in_flight.push(f.done);
    r.bytes_sent += p.uses_cloud ? p.up_bytes : 0;
    r.frames.push_back({arrival, tr.mbpsAt(arrival), est, (f.done - arrival) * 1000.0, plan});
    next_arrival = f.done;
    last_done = std::max(last_done, f.done);
  }
  std::vector<double> lat;
  double sum = 0;
  for (const auto& f : r.frames)
    if (!f.dropped) { lat.push_back(f.latency_ms); sum += f.latency_ms; }
  r.mean_ms = lat.empty() ? 0 : sum / lat.size();
  r.p50_ms = percentile(lat, 0.5);
  r.p95_ms = percentile(lat, 0.95);
  r.p99_ms = percentile(lat, 0.99);
  r.throughput_fps = last_done > 0 ? lat.size() / last_done : 0;
  return r;
}

// Frames in one pass of the trace: with a frame rate, duration x fps; else
// back-to-back frames of the adaptive policy until the trace ends (capped).
int frameCount(const SimConfig& cfg, const Trace& tr) {
  if (cfg.frames > 0) return cfg.frames;
  if (cfg.fps) {
    const double n = tr.duration() * *cfg.fps;
    if (!(n <= kMaxFrames))
      throw InputError("one pass of the trace (" + std::to_string(tr.duration()) + " s) at " + optionRef("fps") + " " +
                       std::to_string(*cfg.fps) + " holds more than " + std::to_string(kMaxFrames) + " frames; give " +
                       optionRef("frames") + " N or a lower frame rate");
    return std::max(1, static_cast<int>(n));
  }
  return -1;
}

}  // namespace

void validateSimConfig(const SimConfig& cfg) {
  ErrorList e;
  if (!(cfg.load >= 1) || !std::isfinite(cfg.load)) e.add(optionRef("load") + " must be >= 1");
  if (cfg.fps && !(*cfg.fps > 0 && std::isfinite(*cfg.fps))) e.add(optionRef("fps") + " must be a positive number");
  if (cfg.frames < 0 || cfg.frames > kMaxFrames)
    e.add(optionRef("frames") + " must be from 0 to " + std::to_string(kMaxFrames));
  if (cfg.estimator.window < 1 || cfg.estimator.window > 1000000)
    e.add(optionRef("window") + " must be from 1 to 1000000");
  if (!(cfg.estimator.alpha > 0 && cfg.estimator.alpha <= 1)) e.add(optionRef("alpha") + " must be in (0, 1]");
  if (!(cfg.switcher.margin >= 0 && cfg.switcher.margin < 1))
    e.add(optionRef("margin") + " must be from 0 up to (not including) 1");
  if (cfg.switcher.patience < 1 || cfg.switcher.patience > 1000000)
    e.add(optionRef("patience") + " must be from 1 to 1000000");
  if (!(cfg.probe_bytes > 0 && std::isfinite(cfg.probe_bytes))) e.add("probe_bytes must be positive");
  if (cfg.max_in_flight < 0 || cfg.max_in_flight > 1000000)
    e.add(optionRef("max_in_flight") + " must be from 0 (never drop) to 1000000");
  e.throwIfAny("bad simulation options");
}

std::vector<PolicyResult> simulate(const PlanTable& t, const Trace& tr, const SimConfig& cfg) {
  validateSimConfig(cfg);
  const bool has_table = std::any_of(t.tables.begin(), t.tables.end(), [&](const runtime::Table& x) {
    return x.objective == "latency" && x.precision == cfg.precision;
  });
  if (!has_table) throw InputError("the plan table has no latency table for precision " + cfg.precision);
  int frames = frameCount(cfg, tr);
  if (frames < 0) {
    // Closed loop: enough frames for the fastest plan (predicted at the
    // trace's mean bandwidth) to cover one pass; slower policies run on into
    // the repeated trace. At least 50, at most 20000.
    double ms = std::numeric_limits<double>::infinity();
    for (const auto& p : t.plans)
      if (p.precision == cfg.precision) ms = std::min(ms, runtime::predict(t, p, tr.meanMbps(), cfg.load).latency_ms);
    frames = static_cast<int>(std::clamp(tr.duration() * 1000.0 / std::max(ms, 1e-3), 50.0, 20000.0));
  }
  const double plans = static_cast<double>(std::count_if(t.plans.begin(), t.plans.end(),
                                                         [&](const runtime::PlanInfo& p) { return p.precision == cfg.precision; }));
  // best-static replays every plan once, the oracle tries every plan per frame.
  if (static_cast<double>(frames) * (2 * plans + 6) > kMaxFrameWork)
    throw InputError("replaying " + std::to_string(frames) + " frames for each of " + std::to_string(static_cast<long long>(plans)) +
                     " plans is more than " + std::to_string(static_cast<long long>(kMaxFrameWork)) +
                     " frame replays; give fewer " + optionRef("frames"));

  auto fixed = [&](int plan) { return [plan](double, const Pipeline&, double&) { return plan; }; };
  auto selectPlan = [&](const std::vector<runtime::Table>& tables, double mbps) {
    runtime::Query q;
    q.mbps = mbps;
    q.load = cfg.load;
    q.precision = cfg.precision;
    q.fps = cfg.fps;
    auto s = runtime::selectIn(t, tables, q);
    if (!s.ok()) throw InputError("plan table: " + s.error);
    return *s.value;
  };
  // An adaptive policy over `tables`: estimator of past transfers (probes
  // when the plan sends nothing), table lookup, hysteresis.
  auto adaptive = [&](const std::string& name, const std::vector<runtime::Table>& tables) {
    runtime::BandwidthEstimator est(cfg.estimator);
    runtime::PlanSwitcher sw(cfg.switcher);
    est.addSample(cfg.probe_bytes, tr.transferEnd(0, cfg.probe_bytes * 8));  // the first probe
    auto choose = [&](double, const Pipeline&, double& used) {
      used = *est.mbps();
      const auto sel = selectPlan(tables, used);
      const int cur = sw.current().value_or(sel.plan);
      const auto cost = [&](int id) {
        const auto pr = runtime::predict(t, t.plan(id), used, cfg.load);
        return sel.mode == "heavy" ? 1000.0 / pr.throughput_fps : pr.latency_ms;
      };
      return sw.decide(sel.plan, cost(sel.plan), cost(cur));
    };
    auto observe = [&](const PlanInfo& p, const FrameTiming& f, double arrival) {
      if (p.uses_cloud && p.up_bytes > 0) est.addSample(p.up_bytes, f.up_end - f.up_start);
      else est.addSample(cfg.probe_bytes, tr.transferEnd(arrival, cfg.probe_bytes * 8) - arrival);
    };
    return replay(name, t, tr, cfg, frames, choose, observe);
  };

  std::vector<PolicyResult> out;
  if (auto it = t.device_only.find(cfg.precision); it != t.device_only.end())
    out.push_back(replay("device-only", t, tr, cfg, frames, fixed(it->second), nullptr));
  if (auto it = t.cloud_only.find(cfg.precision); it != t.cloud_only.end())
    out.push_back(replay("cloud-only", t, tr, cfg, frames, fixed(it->second), nullptr));
  // Best single static plan in hindsight, among every plan of the precision.
  std::optional<PolicyResult> best;
  for (const auto& p : t.plans) {
    if (p.precision != cfg.precision) continue;
    PolicyResult r = replay("best-static", t, tr, cfg, frames, fixed(p.id), nullptr);
    if (!best || r.mean_ms < best->mean_ms) best = std::move(r);
  }
  if (best) out.push_back(std::move(*best));
  if (!t.chain_only.empty()) out.push_back(adaptive("chain-only", t.chain_only));
  out.push_back(adaptive("adaptive", t.tables));
  // The oracle knows the trace: each frame goes to the plan that would
  // deliver it first, given the real transfer times and the queues.
  std::vector<int> ids;
  for (const auto& p : t.plans)
    if (p.precision == cfg.precision) ids.push_back(p.id);
  out.push_back(replay("oracle", t, tr, cfg, frames,
                       [&](double arrival, const Pipeline& pl, double& used) {
                         used = tr.mbpsAt(arrival);
                         int best_id = ids.front();
                         double best_done = std::numeric_limits<double>::infinity();
                         for (int id : ids) {
                           Pipeline trial = pl;
                           const double done = runFrame(t, t.plan(id), tr, cfg.down_trace, cfg.load, arrival, trial).done;
                           if (done < best_done) { best_done = done; best_id = id; }
                         }
                         return best_id;
                       },
                       nullptr));
  return out;
}

namespace {

double metricOf(const PolicyResult& r, const std::string& m) {
  if (m == "mean_ms") return r.mean_ms;
  if (m == "p50_ms") return r.p50_ms;
  if (m == "p95_ms") return r.p95_ms;
  if (m == "p99_ms") return r.p99_ms;
  if (m == "throughput_fps") return r.throughput_fps;
  if (m == "bytes_sent") return r.bytes_sent;
  if (m == "switches") return r.switches;
  if (m == "dropped") return r.dropped;
  if (m == "drop_rate") return r.dropRate();
  throw InputError("unknown metric '" + m +
                   "' (allowed: mean_ms p50_ms p95_ms p99_ms throughput_fps bytes_sent switches dropped drop_rate)");
}

// "policy.metric" -> its value in the results.
double lookup(const std::vector<PolicyResult>& rs, const std::string& ref, const std::string& gate) {
  const auto dot = ref.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == ref.size())
    throw InputError("gate '" + gate + "': '" + ref + "' is not POLICY.METRIC or a number");
  const std::string policy = ref.substr(0, dot);
  for (const auto& r : rs)
    if (r.name == policy) return metricOf(r, ref.substr(dot + 1));
  std::string names;
  for (const auto& r : rs) names += (names.empty() ? "" : ", ") + r.name;
  throw InputError("gate '" + gate + "': no policy '" + policy + "' in this simulation (policies: " + names + ")");
}

}  // namespace

std::vector<GateOutcome> evaluateGates(const std::vector<PolicyResult>& rs, const std::vector<std::string>& gates) {
  std::vector<GateOutcome> out;
  for (const auto& g : gates) {
    const auto at = g.find_first_of("<>");
    if (at == std::string::npos)
      throw InputError("gate '" + g + "': expected POLICY.METRIC OP VALUE with OP one of > >= < <= (e.g. adaptive.mean_ms>best-static.mean_ms)");
    const bool eq = at + 1 < g.size() && g[at + 1] == '=';
    const char op = g[at];
    const std::string lhs = trim(g.substr(0, at)), rhs = trim(g.substr(at + (eq ? 2 : 1)));
    GateOutcome o;
    o.gate = g;
    o.lhs = lookup(rs, lhs, g);
    double factor = 1;
    std::string ref = rhs;
    if (const auto star = rhs.find('*'); star != std::string::npos) {
      if (!parseFiniteNumber(trim(rhs.substr(0, star)), factor))
        throw InputError("gate '" + g + "': '" + rhs.substr(0, star) + "' before '*' is not a number");
      ref = trim(rhs.substr(star + 1));
    }
    double number = 0;
    if (ref == rhs && parseFiniteNumber(rhs, number)) o.rhs = number;
    else o.rhs = factor * lookup(rs, ref, g);
    o.failed = op == '>' ? (eq ? o.lhs >= o.rhs : o.lhs > o.rhs) : (eq ? o.lhs <= o.rhs : o.lhs < o.rhs);
    out.push_back(o);
  }
  return out;
}

}  // namespace onnxcut
