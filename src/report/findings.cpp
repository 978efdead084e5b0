#include "report/findings.h"

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

constexpr double kSecondsPerYear = 365.25 * 24 * 3600;

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
  std::vector<size_t> front;
  for (size_t i = 0; i < p.size(); ++i) {
    bool dominated = false;
    for (size_t j = 0; j < p.size() && !dominated; ++j) {
      if (j == i) continue;
      const bool ge = p[j].first >= p[i].first && p[j].second >= p[i].second;
      const bool gt = p[j].first > p[i].first || p[j].second > p[i].second;
      // Exact duplicates: keep the first of them only.
      dominated = (ge && gt) || (p[j] == p[i] && j < i);
    }
    if (!dominated) front.push_back(i);
  }
  std::sort(front.begin(), front.end(), [&](size_t a, size_t b) { return p[a].first < p[b].first; });
  return front;
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
  if (prices.electricity_usd_per_kwh) {
    c.energy_usd_per_1m = joules_per_token * 1e6 / 3.6e6 * *prices.electricity_usd_per_kwh;
  }
  if (prices.device_usd && tokens_per_s > 0 && prices.duty_cycle > 0 && prices.amortisation_years > 0) {
    const double tokens = tokens_per_s * prices.duty_cycle * prices.amortisation_years * kSecondsPerYear;
    c.capex_usd_per_1m = *prices.device_usd / tokens * 1e6;
  }
  if (c.energy_usd_per_1m && c.capex_usd_per_1m) {
    c.total_usd_per_1m = *c.energy_usd_per_1m + *c.capex_usd_per_1m;
  } else {
    std::string missing;
    if (!prices.electricity_usd_per_kwh) missing += "electricity price ([prices] electricity_usd_per_kwh)";
    if (!prices.device_usd) missing += std::string(missing.empty() ? "" : " and ") + "device price ([prices] device_usd)";
    c.reason = missing.empty() ? "no throughput" : "no " + missing + " in the study";
  }
  return c;
}

std::vector<BreakEven> BreakEvens(const Prices& prices, const EfficiencyPoint& p) {
  std::vector<BreakEven> out;
  const CostFigure cost = EdgeCost(prices, p.tokens_per_s, p.joules_per_token);
  for (const auto& c : prices.cloud) {
    BreakEven b;
    b.cloud = c.name;
    b.cloud_usd_per_1m = c.output_usd_per_1m;
    b.capacity_million_tokens = p.tokens_per_s * prices.amortisation_years * kSecondsPerYear / 1e6;
    if (!cost.energy_usd_per_1m || !prices.device_usd) {
      b.verdict = "absent: " + cost.reason;
    } else if (c.output_usd_per_1m <= *cost.energy_usd_per_1m) {
      b.verdict = "never: the API costs less per token than the edge device's electricity alone";
    } else {
      b.million_tokens = *prices.device_usd / (c.output_usd_per_1m - *cost.energy_usd_per_1m);
      if (*b.million_tokens > b.capacity_million_tokens) {
        b.verdict = "not reachable: the device generates at most " + Fmt(b.capacity_million_tokens) + " M tokens in " +
                    Fmt(prices.amortisation_years) + " years at this speed";
      } else {
        b.verdict = "edge is cheaper beyond " + Fmt(*b.million_tokens) + " M output tokens over " +
                    Fmt(prices.amortisation_years) + " years";
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
