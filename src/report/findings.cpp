#include "report/findings.h"

#include "analysis/cost.h"
#include "analysis/pareto.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "report/html.h"

namespace edgelm::report {
namespace {

const VariantInfo* FindVariant(const ReportInput& in, const std::string& path) {
  if (!in.study.settings) return nullptr;
  for (const auto& v : in.study.settings->variants) {
    if (v.model_path == path) return &v;
  }
  return nullptr;
}

std::optional<uint64_t> UsableMemory(const ReportInput& in) {
  if (in.study.settings && in.study.settings->budget.memory_bytes) return in.study.settings->budget.memory_bytes;
  return in.bench.context.mem_available_bytes;
}

std::string Fmt(double v) { return FormatNumber(v); }

}  // namespace

std::string VariantLabel(const ReportInput& in, const bench::ConfigRecord& r) {
  if (const VariantInfo* v = FindVariant(in, r.config.model_path)) return v->label;
  return r.model_filename.empty() ? r.config.model_path : r.model_filename;
}

std::string ConfigLabel(const ReportInput& in, const bench::ConfigRecord& r) {
  return VariantLabel(in, r) + " · " + r.config.TestName() + " · " + std::to_string(r.config.n_threads) +
         (r.config.n_threads == 1 ? " thread" : " threads") + " · ctx " + std::to_string(r.n_ctx);
}

std::optional<double> BitsPerWeight(const ReportInput& in, const bench::ConfigRecord& r) {
  if (const VariantInfo* v = FindVariant(in, r.config.model_path); v && v->bits_per_weight) return v->bits_per_weight;
  if (r.weights_bytes && r.model_n_params && *r.model_n_params > 0) {
    return double(*r.weights_bytes) * 8 / double(*r.model_n_params);
  }
  return std::nullopt;
}

std::optional<uint64_t> MemoryRow::total_bytes() const {
  if (!weights_bytes || !kv_bytes || !scratch_bytes) return std::nullopt;
  return *weights_bytes + *kv_bytes + *scratch_bytes;
}

std::vector<MemoryRow> MemoryRows(const ReportInput& in) {
  std::map<std::pair<std::string, uint32_t>, MemoryRow> rows;
  const auto budget = UsableMemory(in);
  for (const auto& r : in.bench.records) {
    if (r.status != "ok" || !r.weights_bytes) continue;
    MemoryRow m;
    m.config_key = r.config.Key();
    m.variant = VariantLabel(in, r);
    m.n_ctx = r.n_ctx;
    m.weights_bytes = r.weights_bytes;
    m.kv_bytes = r.kv_bytes;
    m.scratch_bytes = r.scratch_bytes;
    m.peak_rss_bytes = r.peak_rss_bytes;
    if (budget && m.total_bytes()) m.fits = *m.total_bytes() <= *budget;
    auto key = std::make_pair(m.variant, m.n_ctx);
    auto it = rows.find(key);
    // Several tests share a context size: keep the largest scratch (the prefill batch).
    if (it == rows.end() || m.scratch_bytes.value_or(0) > it->second.scratch_bytes.value_or(0)) rows[key] = m;
  }
  std::vector<MemoryRow> out;
  for (auto& [k, v] : rows) out.push_back(v);
  return out;
}

std::vector<size_t> ParetoFront(const std::vector<std::pair<double, double>>& p) {
  // The front itself is the analysis layer's; the report shows each duplicate once and
  // orders the front by its first coordinate for drawing the step line.
  std::vector<analysis::ObjectivePoint> pts;
  for (size_t i = 0; i < p.size(); ++i) pts.push_back({std::to_string(i), p[i].first, p[i].second});
  auto front = analysis::ParetoFront(pts, analysis::Goal::kMaximize, analysis::Goal::kMaximize);
  std::vector<size_t> out;
  if (!front.ok()) return out;  // non-finite coordinates: no front to draw
  for (size_t i : *front) {
    bool duplicate = false;
    for (size_t j : out) duplicate = duplicate || p[j] == p[i];
    if (!duplicate) out.push_back(i);
  }
  std::sort(out.begin(), out.end(), [&](size_t a, size_t b) { return p[a].first < p[b].first || (p[a].first == p[b].first && a < b); });
  return out;
}

std::vector<EfficiencyPoint> DecodeEfficiency(const ReportInput& in) {
  std::vector<EfficiencyPoint> pts;
  for (const auto& r : in.bench.records) {
    if (r.status != "ok" || r.config.kind != bench::TestKind::kGen) continue;
    const auto d = bench::Derive(r);
    if (!d.ts.mean) continue;
    const std::string key = r.config.Key();
    for (const auto& e : in.study.energy) {
      if (e.config_key != key || e.phase != "decode") continue;
      const auto tpj = e.tokens_per_joule();
      if (!tpj) continue;
      EfficiencyPoint p;
      p.config_key = key;
      p.label = ConfigLabel(in, r);
      p.variant = VariantLabel(in, r);
      p.source = e.source;
      p.n_threads = r.config.n_threads;
      p.tokens_per_s = *d.ts.mean;
      p.tokens_per_j = *tpj;
      p.joules_per_token = 1 / *tpj;
      p.avg_watts = e.avg_watts;
      p.estimated = e.estimated;
      pts.push_back(p);
      break;  // one source per configuration: the first recorded (the study's primary)
    }
  }
  std::vector<std::pair<double, double>> xy;
  for (const auto& p : pts) xy.emplace_back(p.tokens_per_s, p.tokens_per_j);
  for (size_t i : ParetoFront(xy)) pts[i].on_front = true;
  return pts;
}

CostFigure EdgeCost(const Prices& prices, double tokens_per_s, double joules_per_token) {
  CostFigure c;
  if (prices.device_usd && prices.electricity_usd_per_kwh && tokens_per_s > 0) {
    // The formula is the analysis layer's (analysis/cost.h); idle power is not counted
    // (the report says the device is assumed to do nothing else off duty).
    analysis::EdgeCostInputs in;
    in.device_price_usd = *prices.device_usd;
    in.lifetime_years = prices.amortisation_years;
    in.duty_cycle = prices.duty_cycle;
    in.tokens_per_s = tokens_per_s;
    in.joules_per_token = joules_per_token;
    in.electricity_usd_per_kwh = *prices.electricity_usd_per_kwh;
    auto cost = analysis::ComputeEdgeCost(in);
    if (!cost.ok()) {
      c.reason = cost.status().message();
      return c;
    }
    c.capex_usd_per_1m = cost->capex_usd_per_million_tokens;
    c.energy_usd_per_1m = cost->energy_usd_per_million_tokens;
    c.total_usd_per_1m = cost->usd_per_million_tokens;
    return c;
  }
  if (prices.electricity_usd_per_kwh) {
    c.energy_usd_per_1m = joules_per_token * 1e6 / analysis::kJoulesPerKwh * *prices.electricity_usd_per_kwh;
  }
  std::string missing;
  if (!prices.electricity_usd_per_kwh) missing += "electricity price ([prices] electricity_usd_per_kwh)";
  if (!prices.device_usd) missing += std::string(missing.empty() ? "" : " and ") + "device price ([prices] device_usd)";
  c.reason = missing.empty() ? "no throughput" : "no " + missing + " in the study";
  return c;
}

std::string FormatTokenCount(double n) {
  if (n >= 1e9) return FormatNumber(n / 1e9) + " G";
  if (n >= 1e6) return FormatNumber(n / 1e6) + " M";
  if (n >= 1e4) return FormatNumber(n / 1e3) + " k";
  return FormatNumber(std::round(n));
}

std::string CloudLabel(const CloudPrice& c) { return c.provider.empty() ? c.model : c.provider + " " + c.model; }

std::vector<BreakEven> BreakEvens(const Prices& prices, const EfficiencyPoint& p) {
  std::vector<BreakEven> out;
  const CostFigure cost = EdgeCost(prices, p.tokens_per_s, p.joules_per_token);
  for (const auto& c : prices.cloud) {
    BreakEven b;
    b.cloud = CloudLabel(c);
    b.date = c.date;
    b.source = c.source;
    // Output-token prices: the edge cost counts generated tokens only (no prompt energy).
    b.cloud_usd_per_1m = c.output_usd_per_mtok;
    b.edge_usd_per_1m = cost.total_usd_per_1m;
    b.capacity_tokens_per_day = p.tokens_per_s * analysis::kSecondsPerDay;
    if (!cost.total_usd_per_1m) {
      b.verdict = "absent: " + cost.reason;
      out.push_back(b);
      continue;
    }
    analysis::EdgeCostInputs in;
    in.device_price_usd = *prices.device_usd;
    in.lifetime_years = prices.amortisation_years;
    in.duty_cycle = prices.duty_cycle;
    in.tokens_per_s = p.tokens_per_s;
    in.joules_per_token = p.joules_per_token;
    in.electricity_usd_per_kwh = *prices.electricity_usd_per_kwh;
    auto be = analysis::BreakEvenTokensPerDay(in, c.output_usd_per_mtok);
    if (!be.ok()) {
      b.verdict = "absent: " + be.status().message();
    } else if (!be->tokens_per_day) {
      b.verdict = "never: " + be->reason;
    } else {
      b.tokens_per_day = be->tokens_per_day;
      b.capacity_tokens_per_day = be->capacity_tokens_per_day;
      const double share = *be->tokens_per_day / be->capacity_tokens_per_day * 100;
      if (!be->within_capacity) {
        b.verdict = "not reachable with one device: break-even needs " + FormatTokenCount(*be->tokens_per_day) +
                    " tokens/day, it generates at most " + FormatTokenCount(be->capacity_tokens_per_day) +
                    " tokens/day at this speed";
      } else {
        b.verdict = "edge is cheaper above " + FormatTokenCount(*be->tokens_per_day) + " generated tokens/day (" + Fmt(share) +
                    "% of what the device can generate in a day)";
      }
    }
    out.push_back(b);
  }
  return out;
}

std::vector<Recommendation> Recommend(const ReportInput& in) {
  std::vector<Recommendation> recs;
  const auto mem = MemoryRows(in);
  const auto budget = UsableMemory(in);
  auto fits = [&](const std::string& variant, uint32_t n_ctx) -> std::optional<bool> {
    for (const auto& m : mem) {
      if (m.variant == variant && m.n_ctx == n_ctx) return m.fits;
    }
    return std::nullopt;
  };

  // 1. Fastest decode that fits.
  {
    Recommendation rec;
    rec.question = "Fastest configuration that fits in memory";
    double best = -1;
    for (const auto& r : in.bench.records) {
      if (r.status != "ok" || r.config.kind != bench::TestKind::kGen) continue;
      const auto d = bench::Derive(r);
      const auto f = fits(VariantLabel(in, r), r.n_ctx);
      if (!d.ts.mean || !f || !*f || *d.ts.mean <= best) continue;
      best = *d.ts.mean;
      rec.answer = ConfigLabel(in, r);
      const MemoryRow* m = nullptr;
      for (const auto& row : mem) {
        if (row.variant == VariantLabel(in, r) && row.n_ctx == r.n_ctx) m = &row;
      }
      rec.evidence = "decode " + Fmt(*d.ts.mean) + " tokens/s (mean of " + std::to_string(d.ts.n) +
                     " repetitions" + (d.ts.stddev ? ", sd " + Fmt(*d.ts.stddev) : "") + "); needs " +
                     FormatBytes(*m->total_bytes()) + " (weights + KV + scratch) of " + FormatBytes(*budget) +
                     " usable";
    }
    if (!rec.answer) {
      rec.absent_reason = !budget ? "the usable memory is unknown (no budget and no MemAvailable)"
                                  : "no decode (tg) configuration was measured with its memory within the budget";
    }
    recs.push_back(rec);
  }
  // 2. Most energy-efficient.
  const auto eff = DecodeEfficiency(in);
  {
    Recommendation rec;
    rec.question = "Most energy-efficient configuration (decode)";
    const EfficiencyPoint* best = nullptr;
    for (const auto& p : eff) {
      if (!best || p.tokens_per_j > best->tokens_per_j) best = &p;
    }
    if (best) {
      rec.answer = best->label;
      rec.evidence = Fmt(best->tokens_per_j) + " tokens/J (" + Fmt(best->joules_per_token) + " J/token) at " +
                     Fmt(best->tokens_per_s) + " tokens/s, source " + best->source +
                     (best->estimated ? " — ESTIMATED from a power model, not measured" : " (measured)");
    } else {
      rec.absent_reason = in.study.settings && !in.study.settings->energy_note.empty()
                              ? "no decode energy figure: " + in.study.settings->energy_note
                              : "no decode energy figure in this run (a plain bench run records no energy)";
    }
    recs.push_back(rec);
  }
  // 3. Best quality within the budgets.
  {
    Recommendation rec;
    std::optional<double> power_budget;
    if (in.study.settings) power_budget = in.study.settings->budget.power_watts;
    rec.question = "Best quality (lowest perplexity) within the memory" +
                   std::string(power_budget ? " and " + Fmt(*power_budget) + " W power" : "") + " budget";
    const QualityRecord* best = nullptr;
    std::string best_evidence;
    int n_ppl = 0;
    for (const auto& q : in.study.quality) {
      if (q.metric != "ppl" || !q.value) continue;
      ++n_ppl;
      // The quality model's own measured configurations decide fit and power.
      std::optional<bool> fit;
      std::optional<double> watts;
      for (const auto& r : in.bench.records) {
        if (VariantLabel(in, r) != q.model_label || r.status != "ok") continue;
        if (auto f = fits(q.model_label, r.n_ctx)) fit = fit.value_or(true) && *f;
        for (const auto& e : in.study.energy) {
          if (e.config_key == r.config.Key() && e.avg_watts) watts = std::max(watts.value_or(0), *e.avg_watts);
        }
      }
      if (!fit || !*fit) continue;
      if (power_budget && (!watts || *watts > *power_budget)) continue;
      if (!best || *q.value < *best->value) {
        best = &q;
        best_evidence = "perplexity " + Fmt(*q.value) + (q.stderr_value ? " ± " + Fmt(*q.stderr_value) : "") + " (" +
                        q.detail + "); fits in memory" +
                        (watts ? "; highest average power " + Fmt(*watts) + " W" : "");
      }
    }
    if (best) {
      rec.answer = best->model_label;
      rec.evidence = best_evidence;
    } else if (n_ppl == 0) {
      rec.absent_reason = in.study.settings && !in.study.settings->quality_note.empty()
                              ? in.study.settings->quality_note
                              : "no perplexity was measured in this run";
    } else {
      rec.absent_reason = "no model with a perplexity figure was measured within the budget (memory of each quality "
                          "model comes from its own bench configurations)";
    }
    recs.push_back(rec);
  }
  return recs;
}

}  // namespace edgelm::report
