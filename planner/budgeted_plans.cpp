#include "budgeted_plans.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "budgeted.h"
#include "errors.h"

namespace onnxcut {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kVerifyRounds = 6;
constexpr size_t kWidths = std::size(kTransferBits);

double meanOf(const std::vector<double>& losses, const std::vector<int>& which) {
  double s = 0;
  for (int i : which) s += losses.at(static_cast<size_t>(i));
  return which.empty() ? 0.0 : s / static_cast<double>(which.size());
}

bool isFloat(const PlanGraph& g, int t) { return g.tensors[t].is_float32; }

// A cut tensor as the loss sees it: the tensor and which nodes read its
// reduced copy (its cloud readers).
std::string tensorKey(const PlanGraph& g, const DeviceSet& d, int t) {
  std::string k = std::to_string(t) + ":";
  for (int v : g.tensors[t].consumers)
    if (!d[v]) k += std::to_string(v) + ",";
  return k;
}

std::string bitsKey(const std::vector<int>& bits) {
  std::string k;
  for (int b : bits) k += std::to_string(b) + ",";
  return k;
}

bool allFull(const PlanGraph& g, const std::vector<int>& cut, const std::vector<int>& bits) {
  for (size_t i = 0; i < cut.size(); ++i)
    if (isFloat(g, cut[i]) && bits[i] < 32) return false;
  return true;
}

}  // namespace

void validateFidelity(const FidelityOptions& f) {
  ErrorList e;
  if (!f.max_loss.empty() && f.calibration_dir.empty())
    e.add(optionRef("max_loss") + " needs calibration inputs (" + optionRef("calibration_dir") + ")");
  for (double x : f.max_loss)
    if (!(x >= 0) || !std::isfinite(x)) e.add(optionRef("max_loss") + " must be a finite number >= 0");
  if (f.max_samples < 2 && f.max_samples != 0) e.add(optionRef("calibration_samples") + " must be at least 2 (or 0: all)");
  e.throwIfAny("bad calibration options");
}

nlohmann::json applyFidelity(const ModelView& mv, const PlanGraph& g, const NodeCosts& costs, const PlanOptions& opt,
                             const FidelityOptions& f, PlanSet& set,
                             const std::function<void(const std::string&)>& progress) {
  auto step = [&](const std::string& s) {
    if (progress) progress(s);
  };
  const auto samples = readCalibrationInputs(mv, f.calibration_dir, f.image, f.max_samples);
  if (samples.size() < 2)
    throw InputError(f.calibration_dir + ": 1 calibration sample; at least 2 are needed (one half is fitted on, the other held back)");
  std::vector<int> fit, held, all;
  for (int i = 0; i < static_cast<int>(samples.size()); ++i) {
    (i % 2 == 0 ? fit : held).push_back(i);
    all.push_back(i);
  }
  const LossMetric metric = f.metric ? *f.metric : defaultLossMetric(mv);
  FidelityLab lab(mv, samples, metric);
  auto planLoss = [&](const std::vector<double>& losses) { return PlanLoss{meanOf(losses, fit), meanOf(losses, held), false}; };

  // 1. Every plan asked for, as it is.
  std::vector<FidelityLab::Eval> evs;
  std::vector<size_t> which;
  for (size_t i = 0; i < set.plans.size(); ++i) {
    PlannedPlan& p = set.plans[i];
    const bool lossless = p.precision == Precision::fp32 ||
                          std::none_of(p.cut.begin(), p.cut.end(), [&](int t) { return isFloat(g, t); });
    if (lossless) {
      p.loss = PlanLoss{0, 0, true};
      continue;
    }
    evs.push_back({{p.device, p.cut, {}, p.precision}, all, "", -1});
    which.push_back(i);
  }
  step("measuring " + std::to_string(evs.size()) + " plans on " + std::to_string(samples.size()) + " calibration samples");
  const auto measured = lab.measure(evs);
  for (size_t k = 0; k < which.size(); ++k) set.plans[which[k]].loss = planLoss(*measured[k]);

  nlohmann::json info = {{"folder", std::filesystem::path(f.calibration_dir).filename().string()},
                         {"metric", toString(metric)},
                         {"samples", samples.size()},
                         {"fit", nlohmann::json::array()},
                         {"held_out", nlohmann::json::array()},
                         {"image", {{"scale", f.image.scale}, {"mean", f.image.mean}, {"std", f.image.std},
                                    {"channels", f.image.bgr ? "bgr" : "rgb"}}},
                         {"max_loss", f.max_loss}};
  for (int i : fit) info["fit"].push_back(samples[i].name);
  for (int i : held) info["held_out"].push_back(samples[i].name);
  if (f.max_loss.empty()) {
    info["runs"] = lab.runs();
    info["seconds"] = lab.seconds();
    return info;
  }

  // 2. Candidate splits, and each of their cut tensors alone at every width
  //    (fit half; a group stops at the first width over the largest budget:
  //    narrower ones lose more).
  const double top = *std::max_element(f.max_loss.begin(), f.max_loss.end());
  auto cands = widthCandidates(g, costs, mv.nodeKeys(), opt);
  // The single-precision plans' splits too (they are among the above but
  // for ties), so each of those plans is a candidate below.
  for (const auto& p : set.plans)
    if (std::find(cands.begin(), cands.end(), p.device) == cands.end()) cands.push_back(p.device);
  std::vector<std::vector<int>> cuts;
  std::map<std::string, std::vector<double>> sens;  // tensor key -> loss per width (kTransferBits order)
  struct Measured {
    int tensor, cloud_readers;
  };
  std::map<std::string, Measured> sens_of;  // tensor key -> what it names (the report)
  evs.clear();
  std::vector<std::pair<std::string, size_t>> slot;  // eval -> (key, width index)
  for (const auto& d : cands) {
    cuts.push_back(cutTensors(g, d));
    for (int t : cuts.back()) {
      if (!isFloat(g, t)) continue;
      const std::string key = tensorKey(g, d, t);
      if (sens.count(key)) continue;
      sens[key] = std::vector<double>(kWidths, kInf);
      sens[key][0] = 0;
      const auto& readers = g.tensors[t].consumers;
      sens_of[key] = {t, static_cast<int>(std::count_if(readers.begin(), readers.end(), [&](int v) { return !d[v]; }))};
      for (size_t w = 1; w < kWidths; ++w) {
        if (kTransferBits[w] < 16 && !mv.tensors()[t].shape) continue;  // packing needs the static shape
        evs.push_back({{d, {t}, {kTransferBits[w]}, Precision::mixed}, fit, key, top});
        slot.emplace_back(key, w);
      }
    }
  }
  step("measuring " + std::to_string(sens.size()) + " cut tensors of " + std::to_string(cands.size()) +
       " candidate splits at widths 16 to 2");
  const auto single = lab.measure(evs);
  for (size_t k = 0; k < evs.size(); ++k)
    if (single[k]) {  // losses of the fit samples, in order
      double sum = 0;
      for (double x : *single[k]) sum += x;
      sens[slot[k].first][slot[k].second] = single[k]->empty() ? 0.0 : sum / static_cast<double>(single[k]->size());
    }

  // 3. Per split and budget: the fewest bytes within the budget, measured
  //    as a whole; over budget on either half: a safer choice.
  struct Choice {
    size_t cand = 0, budget = 0;
    std::vector<WidthChoice> front;
    size_t at = 0;
    bool done = false;
    std::vector<int> bits;
    PlanLoss loss;
  };
  std::vector<Choice> choices;
  for (size_t c = 0; c < cands.size(); ++c) {
    std::vector<std::vector<double>> bytes, loss;
    for (int t : cuts[c]) {
      std::vector<double> b(kWidths, 0), l(kWidths, kInf);
      for (size_t w = 0; w < kWidths; ++w) b[w] = sentBytesBits(g.tensors[t], kTransferBits[w]);
      if (isFloat(g, t)) l = sens.at(tensorKey(g, cands[c], t));
      else l[0] = 0;
      bytes.push_back(b);
      loss.push_back(l);
    }
    for (size_t b = 0; b < f.max_loss.size(); ++b)
      choices.push_back({c, b, widthFront(bytes, loss, f.max_loss[b]), 0, false, {}, {}});
  }
  std::map<std::string, PlanLoss> whole;  // cand + bits -> measured
  auto wholeKey = [](size_t c, const std::vector<int>& bits) { return std::to_string(c) + "/" + bitsKey(bits); };
  for (int round = 0; round < kVerifyRounds; ++round) {
    evs.clear();
    std::vector<std::string> keys;
    for (auto& ch : choices) {
      if (ch.done) continue;
      const auto& bits = ch.front.at(ch.at).bits;
      if (allFull(g, cuts[ch.cand], bits)) {
        ch.done = true;
        ch.bits = bits;
        ch.loss = PlanLoss{0, 0, true};
        continue;
      }
      const std::string k = wholeKey(ch.cand, bits);
      if (whole.count(k) || std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
      keys.push_back(k);
      evs.push_back({{cands[ch.cand], cuts[ch.cand], bits, Precision::mixed}, all, "", -1});
    }
    if (!evs.empty()) {
      step("measuring " + std::to_string(evs.size()) + " mixed-width plans (round " + std::to_string(round + 1) + ")");
      const auto r = lab.measure(evs);
      for (size_t k = 0; k < evs.size(); ++k) whole[keys[k]] = planLoss(*r[k]);
    }
    for (auto& ch : choices) {
      if (ch.done) continue;
      const double budget = f.max_loss[ch.budget];
      const WidthChoice& cur = ch.front[ch.at];
      const PlanLoss m = whole.at(wholeKey(ch.cand, cur.bits));
      if (m.fit <= budget && m.held_out <= budget) {
        ch.done = true;
        ch.bits = cur.bits;
        ch.loss = m;
        continue;
      }
      // The front is ordered by bytes up, predicted loss down: one step
      // safer, and in the last rounds a jump to where the predicted loss,
      // scaled by how far the measurement overshot, fits with a margin.
      size_t next = ch.at + 1;
      if (round + 2 >= kVerifyRounds) {
        const double target = cur.predicted * budget / std::max({m.fit, m.held_out, 1e-300}) * 0.8;
        while (next + 1 < ch.front.size() && ch.front[next].predicted > target) ++next;
      }
      if (next >= ch.front.size()) next = ch.front.size() - 1;
      if (next == ch.at) ch.at = ch.front.size();  // nothing safer: all 32 bits below
      else ch.at = next;
      if (ch.at >= ch.front.size()) {
        ch.done = true;
        ch.bits.assign(cuts[ch.cand].size(), 32);
        ch.loss = PlanLoss{0, 0, true};
      }
    }
  }
  for (auto& ch : choices)
    if (!ch.done) {  // rounds used up: full precision
      ch.done = true;
      ch.bits.assign(cuts[ch.cand].size(), 32);
      ch.loss = PlanLoss{0, 0, true};
    }
  // A single-precision plan on the same split within the budget is a mixed
  // plan with one width (fp16: 16, int8: 8 travel alike, loss identical):
  // taken when it sends fewer bytes, so a mixed table is never worse than
  // the single-precision plans that meet its budget.
  auto bytesOf = [&](size_t c, const std::vector<int>& bits) {
    double b = 0;
    for (size_t i = 0; i < cuts[c].size(); ++i) b += sentBytesBits(g.tensors[cuts[c][i]], bits[i]);
    return b;
  };
  for (auto& ch : choices)
    for (const auto& p : set.plans) {
      if (p.precision == Precision::mixed || p.device != cands[ch.cand] || !p.loss) continue;
      const double budget = f.max_loss[ch.budget];
      if (!(p.loss->fit <= budget && p.loss->held_out <= budget)) continue;
      const int w = p.precision == Precision::fp16 ? 16 : p.precision == Precision::int8 ? 8 : 32;
      std::vector<int> bits(cuts[ch.cand].size(), 32);
      for (size_t i = 0; i < bits.size(); ++i)
        if (isFloat(g, cuts[ch.cand][i])) bits[i] = w;
      if (bytesOf(ch.cand, bits) < bytesOf(ch.cand, ch.bits)) {
        ch.bits = bits;
        ch.loss = *p.loss;
      }
    }

  // 4. Plans (deduplicated) and one table per (objective, load, budget).
  std::map<std::pair<DeviceSet, std::vector<int>>, int> ids;
  for (const auto& p : set.plans)
    if (p.precision == Precision::mixed) ids[{p.device, p.bits}] = p.id;
  auto planId = [&](const Choice& ch) {
    const DeviceSet& d = cands[ch.cand];
    auto [it, fresh] = ids.emplace(std::make_pair(d, ch.bits), static_cast<int>(set.plans.size()));
    if (fresh) {
      PlannedPlan p;
      p.id = it->second;
      p.precision = Precision::mixed;
      p.device = d;
      p.cut = cuts[ch.cand];
      p.bits = ch.bits;
      p.figures = mixedFigures(g, costs, d, p.cut, p.bits);
      p.loss = ch.loss;
      set.plans.push_back(std::move(p));
    }
    return it->second;
  };
  for (const auto objective : opt.objectives)
    for (double load : opt.loads)
      for (size_t b = 0; b < f.max_loss.size(); ++b) {
        std::vector<int> plan_ids;
        for (const auto& ch : choices)
          if (ch.budget == b) {
            const int id = planId(ch);
            if (std::find(plan_ids.begin(), plan_ids.end(), id) == plan_ids.end()) plan_ids.push_back(id);
          }
        std::vector<PlanFigures> figs;
        for (int id : plan_ids) figs.push_back(set.plans[static_cast<size_t>(id)].figures);
        PlannedTable table{objective, "budgeted", load, Precision::mixed, {}, f.max_loss[b]};
        for (const IndexBand& ib : envelopeBands(figs, objective, load, opt)) {
          const int id = plan_ids[static_cast<size_t>(ib.plan)];
          const PlanFigures& fg = set.plans[static_cast<size_t>(id)].figures;
          PlannedBand band;
          band.min_mbps = ib.min_mbps;
          band.max_mbps = ib.max_mbps;
          band.plan = id;
          const Line line = latencyLine(fg, tableNetwork(opt, table, 1.0));
          band.latency_ms_at_min = line.at(ib.min_mbps);
          band.latency_ms_at_max = line.at(ib.max_mbps);
          band.throughput_fps = stageTimes(fg, tableNetwork(opt, table, ib.min_mbps)).throughputFps();
          band.throughput_fps_at_max = stageTimes(fg, tableNetwork(opt, table, ib.max_mbps)).throughputFps();
          if (objective == Objective::throughput) {
            band.bound_fps = band.throughput_fps;  // the best candidate's: exact over the candidates
            band.proven_ratio = 1.0;
          }
          table.bands.push_back(band);
        }
        set.tables.push_back(std::move(table));
      }
  info["candidate_splits"] = cands.size();
  info["tensors_measured"] = sens.size();
  // Each cut tensor alone (fit half): what the search started from; null:
  // not measured (past the largest budget at a wider width, or no static shape).
  nlohmann::json tensors = nlohmann::json::array();
  for (const auto& [key, losses] : sens) {
    nlohmann::json per = nlohmann::json::object();
    for (size_t w = 1; w < kWidths; ++w)
      per[std::to_string(kTransferBits[w])] = std::isfinite(losses[w]) ? nlohmann::json(losses[w]) : nlohmann::json(nullptr);
    const Measured& m = sens_of.at(key);
    tensors.push_back({{"tensor", mv.tensors()[m.tensor].name}, {"cloud_readers", m.cloud_readers}, {"loss_fit", per}});
  }
  info["tensor_losses"] = tensors;
  info["runs"] = lab.runs();
  info["seconds"] = lab.seconds();
  return info;
}

}  // namespace onnxcut
