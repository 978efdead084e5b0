// The Markdown summary written beside the HTML: context, the main tables and the
// recommendations, for a terminal, a pull request or a wiki.
#include <algorithm>
#include <map>

#include "report/findings.h"
#include "report/html.h"
#include "report/report.h"

namespace edgelm::report {
namespace {

std::string Cell(const std::string& s) { return MarkdownCell(s); }
std::string Opt(const std::optional<double>& v, const std::string& why) {
  return v ? FormatNumber(*v) : "absent (" + MarkdownCell(why) + ")";
}

std::string Interval(const QualityRecord& q) {
  if (!q.value) return "";
  if (q.ci_low && q.ci_high) return "[" + FormatNumber(*q.ci_low) + ", " + FormatNumber(*q.ci_high) + "]";
  return q.ci_method == "none" ? "n/a" : "";
}

// At most `max_bytes` of the text on one line, cut at a UTF-8 character boundary.
std::string Shorten(const std::string& text, size_t max_bytes) {
  std::string t;
  for (char ch : text) t += (ch == '\n' || ch == '\r' || ch == '\t') ? ' ' : ch;
  if (t.size() <= max_bytes) return t;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(t[cut]) & 0xC0) == 0x80) --cut;
  return t.substr(0, cut) + " …";
}

}  // namespace

std::string RenderMarkdown(const ReportInput& in) {
  const auto& c = in.bench.context;
  std::string o = "# edgelm report — " +
                  Cell(in.study.settings ? in.study.settings->name : "bench run " + std::to_string(in.run.run_id)) + "\n\n";
  o += "Run " + std::to_string(in.run.run_id) + " (" + Cell(in.bench.status) + "), " + Cell(c.date) + ". edgelm " +
       Cell(c.edgelm_version) + " (" + Cell(c.build_commit) + ", " + Cell(c.build_type) + "), CPU " + Cell(c.cpu_info) +
       ", " + std::to_string(c.n_cores) + " cores, ISA " + Cell(c.isa_best) + ", governor " +
       (c.governor ? Cell(*c.governor) : std::string("absent (not exposed)")) + ".\n";
  if (in.study.settings) {
    o += "Device profile " + Cell(in.study.settings->device_profile) + "; energy: " +
         Cell(in.study.settings->energy_source) + " — " + Cell(in.study.settings->energy_note) + ".\n";
  }
  for (const auto& w : c.warnings) o += "\n> Warning: " + Cell(w) + "\n";

  o += "\n## Throughput\n\n| configuration | tokens/s | sd | reps |\n| --- | ---: | ---: | ---: |\n";
  for (const auto& r : in.bench.records) {
    const auto d = bench::Derive(r);
    o += "| " + Cell(ConfigLabel(in, r)) + " | " +
         (r.status == "ok" ? Opt(d.ts.mean, "no repetition") : "absent (error: " + Cell(r.error) + ")") + " | " +
         Opt(d.ts.stddev, "n < 2") + " | " + std::to_string(d.ts.n) + " |\n";
  }

  const auto eff = DecodeEfficiency(in);
  o += "\n## Energy (decode)\n\n";
  if (eff.empty()) {
    o += "absent (" + Cell(in.study.settings ? in.study.settings->energy_note : "a plain bench run records no energy") + ")\n";
  } else {
    o += "| configuration | tokens/s | tokens/J | J/token | source | Pareto |\n| --- | ---: | ---: | ---: | --- | --- |\n";
    for (const auto& p : eff) {
      o += "| " + Cell(p.label) + " | " + FormatNumber(p.tokens_per_s) + " | " + FormatNumber(p.tokens_per_j) + " | " +
           FormatNumber(p.joules_per_token) + " | " + Cell(p.source) + (p.estimated ? " (estimated)" : " (measured)") +
           " | " + (p.on_front ? "front" : "") + " |\n";
    }
  }

  o += "\n## Memory\n\n| model | ctx | weights | KV | scratch | total | fits |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |\n";
  for (const auto& m : MemoryRows(in)) {
    auto b = [](const std::optional<uint64_t>& v) { return v ? FormatBytes(*v) : std::string("absent (not reported)"); };
    o += "| " + Cell(m.variant) + " | " + std::to_string(m.n_ctx) + " | " + b(m.weights_bytes) + " | " + b(m.kv_bytes) +
         " | " + b(m.scratch_bytes) + " | " + b(m.total_bytes()) + " | " +
         (m.fits ? (*m.fits ? "yes" : "no") : "absent (no usable-memory figure)") + " |\n";
  }

  o += "\n## Quality\n\n";
  if (in.study.quality.empty()) {
    o += "absent (" + Cell(in.study.settings && !in.study.settings->quality_note.empty() ? in.study.settings->quality_note
                                                                                         : "no quality evaluation") + ")\n";
  } else {
    o += "| model | bits/weight | task | metric | value | 95% interval | stderr | n |\n"
         "| --- | ---: | --- | --- | ---: | --- | ---: | ---: |\n";
    for (const auto& q : in.study.quality) {
      o += "| " + Cell(q.model_label) + " | " + Opt(q.bits_per_weight, "unknown") + " | " + Cell(q.task) + " | " +
           Cell(q.metric) + " | " + Opt(q.value, q.reason) + " | " + Interval(q) + " | " + Opt(q.stderr_value, "n/a") +
           " | " + (q.n > 0 ? std::to_string(q.n) + (q.n_unit.empty() ? "" : " " + Cell(q.n_unit)) : "") + " |\n";
    }
  }

  // Accuracy per task (rows) and model (columns).
  {
    auto is_acc = [](const std::string& m) { return m == "acc" || m == "acc_norm" || m == "lambada_acc"; };
    std::vector<std::string> tasks, models;
    for (const auto& q : in.study.quality) {
      if (!is_acc(q.metric)) continue;
      if (std::find(tasks.begin(), tasks.end(), q.task) == tasks.end()) tasks.push_back(q.task);
      if (std::find(models.begin(), models.end(), q.model_label) == models.end()) models.push_back(q.model_label);
    }
    if (!tasks.empty()) {
      o += "\n### Accuracy per task\n\n| task |";
      std::string rule = "| --- |";
      for (const auto& m : models) {
        o += " ";
        o += Cell(m);
        o += " |";
        rule += " --- |";
      }
      o += "\n" + rule + "\n";
      for (const auto& t : tasks) {
        o += "| ";
        o += Cell(t);
        o += " |";
        for (const auto& m : models) {
          std::string cell;
          for (const auto& q : in.study.quality) {
            if (q.task != t || q.model_label != m || !is_acc(q.metric)) continue;
            if (!cell.empty()) cell += "; ";
            cell += Cell(q.metric);
            cell += " ";
            cell += Opt(q.value, q.reason);
            if (q.ci_low && q.ci_high) {
              cell += " ";
              cell += Interval(q);
            }
          }
          o += " ";
          o += cell.empty() ? std::string("absent (not evaluated)") : cell;
          o += " |";
        }
        o += "\n";
      }
    }
  }

  o += "\n## Samples\n\n";
  if (in.study.samples.empty()) {
    o += "absent (no prompt suite was answered in this run: [quality] samples = true or --quality-samples)\n";
  } else {
    // One section per prompt; answers shortened to their first lines (the HTML has them whole).
    std::vector<std::string> prompts;
    for (const auto& s : in.study.samples) {
      if (std::find(prompts.begin(), prompts.end(), s.prompt_id) == prompts.end()) prompts.push_back(s.prompt_id);
    }
    for (const auto& p : prompts) {
      o += "### " + Cell(p) + "\n\n";
      for (const auto& s : in.study.samples) {
        if (s.prompt_id != p) continue;
        o += "- **" + Cell(s.model_label) + "** (" +
             (s.decode_tokens_per_s ? FormatNumber(*s.decode_tokens_per_s) + " tokens/s" : "tokens/s absent: < 2 tokens") +
             ", " + std::to_string(s.n_generated) + " tokens, stop " + Cell(s.stop_reason) + "): " +
             Cell(Shorten(s.text, 240)) + "\n";
      }
      o += "\n";
    }
  }

  if (in.study.settings && !eff.empty()) {
    o += "\n## Cost\n\n";
    const EfficiencyPoint* best = &eff.front();
    for (const auto& p : eff) {
      if (p.tokens_per_j > best->tokens_per_j) best = &p;
    }
    const auto cost = EdgeCost(in.study.settings->prices, best->tokens_per_s, best->joules_per_token);
    const Prices& pr = in.study.settings->prices;
    o += "Most efficient configuration " + Cell(best->label) + ": " + Opt(cost.total_usd_per_1m, cost.reason) +
         " USD per 1M tokens at the edge (device " + (pr.device_usd ? FormatNumber(*pr.device_usd) + " USD" : "price absent") +
         " over " + FormatNumber(pr.amortisation_years) + " years at duty cycle " + FormatNumber(pr.duty_cycle) +
         ", electricity " +
         (pr.electricity_usd_per_kwh ? FormatNumber(*pr.electricity_usd_per_kwh) + " USD/kWh" : "price absent") +
         "; cloud prices from " + Cell(pr.cloud_table.empty() ? "the study" : pr.cloud_table) +
         (pr.overrides.empty() ? "" : "; overridden: " + Cell(pr.overrides)) + ").\n\n";
    for (const auto& b : BreakEvens(in.study.settings->prices, *best)) {
      o += "- " + Cell(b.cloud) + " (" + FormatNumber(b.cloud_usd_per_1m) + " USD/1M output, " + Cell(b.date) +
           "): " + Cell(b.verdict) + "\n";
    }
  }

  o += "\n## Recommendations\n\n";
  for (const auto& r : Recommend(in)) {
    o += "- **" + Cell(r.question) + "**: " +
         (r.answer ? Cell(*r.answer) + " — " + Cell(r.evidence) : "absent (" + Cell(r.absent_reason) + ")") + "\n";
  }
  return o;
}

}  // namespace edgelm::report
