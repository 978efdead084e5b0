// The HTML writer: sections in the order of report.h, each a chart (svg_chart.h) and
// the table it was drawn from.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "report/findings.h"
#include "report/html.h"
#include "report/report.h"
#include "report/svg_chart.h"

namespace edgelm::report {
namespace {

using bench::ConfigRecord;
using bench::TestKind;

constexpr const char* kStyle = R"css(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#222;padding:0 16px}
h1{font-size:1.6em;margin-bottom:4px}h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:36px}
table{border-collapse:collapse;margin:10px 0;font-size:0.9em}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}
.absent{color:#8a5a00;font-style:italic}.estimated{color:#a0306f;font-weight:600}
.warn{background:#fff4e0;border-left:4px solid #e69f00;padding:6px 10px;margin:6px 0}
.note{color:#555;font-size:0.92em}.rec{background:#eef6ff;border-left:4px solid #0072B2;padding:8px 12px;margin:8px 0}
svg.chart{background:#fff;border:1px solid #e4e4e4;margin:8px 0;font-size:11px}
svg .grid{stroke:#eee}svg .frame,svg .tick{stroke:#888}svg .ctitle{font-size:13px;font-weight:600}
svg .rule line{stroke:#D55E00;stroke-dasharray:6 4;stroke-width:1.5}svg .rule text{fill:#D55E00}
svg .band-prefill{fill:#56B4E9;opacity:0.18}svg .band-decode{fill:#009E73;opacity:0.15}svg .band-quality{fill:#CC79A7;opacity:0.15}svg .band-request{fill:#E69F00;opacity:0.15}
pre{white-space:pre-wrap;background:#f7f7f7;padding:8px;font-size:0.85em}
.samples{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:10px}.shead{font-size:0.88em;color:#333}
)css";

// Records script errors into the DOM (a test reads them back from --dump-dom) and,
// once loaded, writes how many marks each chart series has, as the browser parsed them.
constexpr const char* kCheckScript = R"js(
window.__errors = [];
window.addEventListener('error', function (e) {
  var d = document.getElementById('js-errors');
  var msg = (e && e.message) ? e.message : String(e);
  if (d) { d.textContent += msg + '\n'; d.setAttribute('data-count', String(++window.__errcount)); }
});
window.__errcount = 0;
document.addEventListener('DOMContentLoaded', function () {
  var counts = {};
  var marks = document.querySelectorAll('svg [data-series]');
  for (var i = 0; i < marks.length; i++) {
    var s = marks[i].getAttribute('data-series');
    counts[s] = (counts[s] || 0) + 1;
  }
  var out = document.getElementById('self-check');
  out.setAttribute('data-charts', String(document.querySelectorAll('svg.chart').length));
  out.textContent = JSON.stringify(counts);
  document.body.setAttribute('data-report-ready', '1');
});
)js";

std::string Esc(const std::string& s) { return HtmlEscape(s); }
std::string Num(double v) { return FormatNumber(v); }
std::string Td(const std::string& html, bool num = false) {
  return std::string(num ? "<td class=\"num\">" : "<td>") + html + "</td>";
}
std::string TdOpt(const std::optional<double>& v, const std::string& why) {
  return v ? Td(Num(*v), true) : Td(AbsentHtml(why));
}
std::string TdBytes(const std::optional<uint64_t>& v, const std::string& why) {
  return v ? Td(FormatBytes(*v), true) : Td(AbsentHtml(why));
}
std::string Th(std::initializer_list<const char*> names) {
  std::string o = "<tr>";
  for (const char* n : names) o += std::string("<th>") + n + "</th>";
  return o + "</tr>\n";
}
// An id safe for attributes and CSS selectors.
std::string SeriesId(const std::string& s) {
  std::string o;
  for (char c : s) o += (std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
  return o;
}
double MiB(uint64_t b) { return double(b) / (1024.0 * 1024.0); }

std::string ContextSection(const ReportInput& in) {
  const auto& c = in.bench.context;
  std::string o = "<h2 id=\"context\">Run context</h2>\n<table>\n";
  auto row = [&](const char* k, const std::string& v) { o += "<tr><th>" + std::string(k) + "</th><td>" + v + "</td></tr>\n"; };
  row("run", std::to_string(in.run.run_id) + " (" + Esc(in.bench.status) + "), started " + Esc(c.date));
  row("command", "<code>" + Esc(c.command_line) + "</code>");
  row("edgelm", Esc(c.edgelm_version) + ", commit " + Esc(c.build_commit) + ", " + Esc(c.build_type) + " build, " +
                    Esc(c.compiler));
  row("build flags", Esc(c.build_flags));
  row("CPU", Esc(c.cpu_info) + ", " + std::to_string(c.n_cores) + " cores online, best ISA path " + Esc(c.isa_best));
  row("governor", c.governor ? Esc(*c.governor) : AbsentHtml("cpufreq not exposed on this machine"));
  row("memory", (c.mem_total_bytes ? FormatBytes(*c.mem_total_bytes) + " total" : AbsentHtml("MemTotal unreadable")) +
                    (c.mem_available_bytes ? ", " + FormatBytes(*c.mem_available_bytes) + " available at the start" : ""));
  row("load average", c.load_avg_1min ? Num(*c.load_avg_1min) : AbsentHtml("/proc/loadavg unreadable"));
  row("kernel", Esc(c.kernel));
  std::string models;
  for (const auto& m : c.models) {
    models += Esc(m.filename) + " (" + FormatBytes(m.size_bytes) + ", sha256 " +
              (m.sha256.empty() ? AbsentHtml("hashing skipped") : "<code>" + Esc(m.sha256.substr(0, 16)) + "…</code>") +
              ")<br>";
  }
  row("models", models.empty() ? AbsentHtml("no model files recorded") : models);
  if (const auto& s = in.study.settings) {
    row("study", Esc(s->name));
    row("device profile", Esc(s->device_profile) + (s->device_name.empty() ? "" : " — " + Esc(s->device_name)));
    row("energy", Esc(s->energy_source) + ": " + Esc(s->energy_note));
    if (!s->phase_seconds.empty()) {
      // Tenths of a second: a phase that did nothing reads 0.0 s, not 7.81e-07 s.
      auto secs = [](double v) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f s", v);
        return std::string(buf);
      };
      double total = 0;
      std::string parts;
      for (const auto& [phase, seconds] : s->phase_seconds) {
        total += seconds;
        parts += (parts.empty() ? "" : ", ") + Esc(phase) + " " + secs(seconds);
      }
      row("study time", secs(total) + " before the report (" + parts + ")");
    }
    row("memory budget", s->budget.memory_bytes ? FormatBytes(*s->budget.memory_bytes) + " (" + Esc(s->budget.memory_basis) + ")"
                                                : AbsentHtml("not given and not measured"));
  } else {
    row("study", AbsentHtml("this run was made by `edgelm bench`, not a study: no energy, quality or prices"));
  }
  o += "</table>\n";
  for (const auto& w : c.warnings) o += "<div class=\"warn\">Warning: " + Esc(w) + "</div>\n";
  if (!in.study.hooks.empty()) {
    o += "<h3>Hook commands (run by the study; edgelm itself never changes power settings)</h3>\n<table>" +
         Th({"configuration", "when", "command", "exit", "output"});
    for (const auto& h : in.study.hooks) {
      o += "<tr>" + Td(Esc(h.config_key)) + Td(Esc(h.when)) + Td("<code>" + Esc(h.command) + "</code>") +
           Td(std::to_string(h.exit_code), true) + Td("<pre>" + Esc(h.output) + "</pre>") + "</tr>\n";
    }
    o += "</table>\n";
  }
  return o;
}

// Measured decode against the roofline upper bound (issue #8 item 5 on the study's own
// device): the decode test with the most threads at the smallest context per model file.
std::string RooflineTable(const ReportInput& in) {
  if (!in.study.settings) return "";
  const StudySettings& s = *in.study.settings;
  std::string rows;
  for (const auto& v : s.variants) {
    const bench::ConfigRecord* best = nullptr;
    for (const auto& r : in.bench.records) {
      if (r.status != "ok" || r.config.kind != TestKind::kGen || r.config.model_path != v.model_path) continue;
      if (!best || r.config.n_threads > best->config.n_threads ||
          (r.config.n_threads == best->config.n_threads && r.n_ctx < best->n_ctx)) {
        best = &r;
      }
    }
    if (!best) continue;
    const auto d = bench::Derive(*best);
    std::string ratio = AbsentHtml(v.roofline_decode_tokens_per_s ? "no measured decode" : "no bound");
    if (d.ts.mean && v.roofline_decode_tokens_per_s && *v.roofline_decode_tokens_per_s > 0) {
      const double r = *d.ts.mean / *v.roofline_decode_tokens_per_s;
      ratio = Num(r * 100) + "%";
      // Above 100% the bound was wrong, not the engine faster than memory: say so.
      if (r > 1.0) {
        ratio += " <span class=\"note\">(above the bound: the bandwidth figure is too low, e.g. measured while "
                 "other work competed for memory, or caches served part of the weights)</span>";
      }
    }
    rows += "<tr>" + Td(Esc(v.label)) + Td(Esc(ConfigLabel(in, *best))) + TdOpt(d.ts.mean, "no measured repetition") +
            TdOpt(v.roofline_decode_tokens_per_s, "no bandwidth figure") + Td(ratio, true) + "</tr>\n";
  }
  if (rows.empty()) return "";
  return "<h3>Decode against the roofline bound</h3>\n<p class=\"note\">Bound = " +
         Esc(s.roofline_note.empty() ? "not computed" : s.roofline_note) +
         ": a prediction (upper bound), not a measurement. Far below it, decode is limited by compute or "
         "threading, not by memory.</p>\n<table>" +
         Th({"model", "measured configuration", "decode tokens/s", "roofline bound tokens/s", "measured / bound"}) + rows +
         "</table>\n";
}

std::string ThroughputSection(const ReportInput& in) {
  std::string o = "<h2 id=\"throughput\">Throughput per configuration</h2>\n";
  ChartSpec chart;
  chart.id = "chart-throughput";
  chart.title = "Prefill and decode tokens/s (mean ± sd), highest thread count per model";
  chart.y_label = "tokens/s";
  ChartSeries pp{"pp", "prefill (pp)"}, tg{"tg", "decode (tg)"};
  pp.bars = tg.bars = true;
  std::map<std::string, int> max_threads;
  for (const auto& r : in.bench.records) {
    if (r.status != "ok") continue;
    auto& t = max_threads[VariantLabel(in, r)];
    t = std::max(t, r.config.n_threads);
  }
  std::map<std::string, size_t> category;
  std::set<std::string> used;
  for (const auto& r : in.bench.records) {
    if (r.status != "ok" || r.config.n_threads != max_threads[VariantLabel(in, r)]) continue;
    if (r.config.kind != TestKind::kPrompt && r.config.kind != TestKind::kGen) continue;
    const std::string v = VariantLabel(in, r);
    const std::string slot = v + "|" + bench::TestKindName(r.config.kind);
    if (!used.insert(slot).second) continue;  // first context size only
    auto [it, inserted] = category.emplace(v, chart.x_categories.size());
    if (inserted) chart.x_categories.push_back(v);
    const auto d = bench::Derive(r);
    if (!d.ts.mean) continue;
    ChartPoint p{double(it->second), *d.ts.mean, ConfigLabel(in, r), d.ts.stddev};
    (r.config.kind == TestKind::kPrompt ? pp : tg).points.push_back(p);
  }
  chart.series = {pp, tg};
  if (chart.x_categories.empty()) {
    o += "<p>" + AbsentHtml("no successful prefill or decode test in this run") + "</p>\n";
  } else {
    o += RenderChart(chart);
  }
  o += "<table>" + Th({"configuration", "test", "threads", "ctx", "status", "tokens/s mean", "sd", "95% CI", "reps",
                       "warmups", "ISA", "load warm ms"});
  for (const auto& r : in.bench.records) {
    const auto d = bench::Derive(r);
    const bool ok = r.status == "ok";
    o += "<tr>" + Td(Esc(ConfigLabel(in, r))) + Td(Esc(r.config.TestName())) + Td(std::to_string(r.config.n_threads), true) +
         Td(std::to_string(r.n_ctx), true) + Td(ok ? "ok" : "error: " + Esc(r.error)) +
         TdOpt(d.ts.mean, ok ? "no measured repetition" : "configuration failed") +
         TdOpt(d.ts.stddev, "fewer than 2 repetitions") +
         (d.ts.ci95_low ? Td(Num(*d.ts.ci95_low) + " – " + Num(*d.ts.ci95_high), true)
                        : Td(AbsentHtml("fewer than 2 repetitions"))) +
         Td(std::to_string(d.ts.n), true) + Td(std::to_string(r.warmups), true) + Td(Esc(r.isa)) +
         TdOpt(r.load_warm_ms, r.load_note.empty() ? "not measured" : r.load_note) + "</tr>\n";
  }
  o += "</table>\n";
  return o + RooflineTable(in);
}

std::string EfficiencySection(const ReportInput& in) {
  std::string o = "<h2 id=\"efficiency\">Throughput–energy trade-off (decode)</h2>\n";
  const auto pts = DecodeEfficiency(in);
  if (pts.empty()) {
    const std::string why = in.study.settings ? in.study.settings->energy_note : "a plain bench run records no energy";
    return o + "<p>" + AbsentHtml("no decode configuration has an energy figure: " + why) + "</p>\n";
  }
  bool any_estimated = false;
  for (const auto& p : pts) any_estimated |= p.estimated;
  if (any_estimated) {
    o += "<p class=\"estimated\">Energy here is ESTIMATED from the device profile's power model (idle + busy × CPU "
         "utilisation), not measured: compare configurations with it, do not quote it as a measurement.</p>\n";
  }
  ChartSpec chart;
  chart.id = "chart-efficiency";
  chart.title = std::string("tokens/J vs tokens/s, Pareto front marked") + (any_estimated ? " (estimated energy)" : "");
  chart.x_label = "decode tokens/s";
  chart.y_label = any_estimated ? "tokens/J (estimated)" : "tokens/J";
  chart.x_from_zero = true;
  ChartSeries all{"efficiency", "configuration"}, front{"pareto", "Pareto front"};
  front.line = front.emphasised = true;
  front.color = "#D55E00";
  for (const auto& p : pts) {
    all.points.push_back({p.tokens_per_s, p.tokens_per_j, p.label});
    if (p.on_front) front.points.push_back({p.tokens_per_s, p.tokens_per_j, p.label});
  }
  std::sort(front.points.begin(), front.points.end(), [](const ChartPoint& a, const ChartPoint& b) { return a.x < b.x; });
  chart.series = {all, front};
  o += RenderChart(chart);
  o += "<table>" + Th({"configuration", "tokens/s", "tokens/J", "J/token", "avg W", "energy-delay J·s/token²",
                       "source", "Pareto"});
  for (const auto& p : pts) {
    o += "<tr>" + Td(Esc(p.label)) + Td(Num(p.tokens_per_s), true) + Td(Num(p.tokens_per_j), true) +
         Td(Num(p.joules_per_token), true) + TdOpt(p.avg_watts, "no power figure") + Td(Num(p.edp()), true) +
         Td(Esc(p.source) + (p.estimated ? " <span class=\"estimated\">(estimated)</span>" : " (measured)")) +
         Td(p.on_front ? "on the front" : "dominated") + "</tr>\n";
  }
  return o + "</table>\n";
}

std::string MemorySection(const ReportInput& in) {
  std::string o = "<h2 id=\"memory\">Memory vs context length</h2>\n";
  const auto rows = MemoryRows(in);
  if (rows.empty()) return o + "<p>" + AbsentHtml("no configuration reported its memory") + "</p>\n";
  std::optional<uint64_t> budget = in.study.settings && in.study.settings->budget.memory_bytes
                                       ? in.study.settings->budget.memory_bytes
                                       : in.bench.context.mem_available_bytes;
  ChartSpec chart;
  chart.id = "chart-memory";
  chart.title = "weights + KV cache + scratch (MiB) per context length";
  chart.x_label = "context length (tokens)";
  chart.y_label = "MiB";
  chart.x_from_zero = true;
  std::map<std::string, ChartSeries> by_variant;
  for (const auto& r : rows) {
    if (!r.total_bytes()) continue;
    auto& s = by_variant[r.variant];
    s.id = "mem-" + SeriesId(r.variant);
    s.name = r.variant;
    s.line = true;
    s.points.push_back({double(r.n_ctx), MiB(*r.total_bytes()),
                        "weights " + FormatBytes(*r.weights_bytes) + ", KV " + FormatBytes(*r.kv_bytes) + ", scratch " +
                            FormatBytes(*r.scratch_bytes)});
  }
  for (auto& [k, s] : by_variant) chart.series.push_back(s);
  // The budget line only when it is within sight of the models (a 64 GiB line would
  // flatten every model to the axis); the table always states it.
  double max_total = 0;
  for (const auto& r : rows) max_total = std::max(max_total, r.total_bytes() ? MiB(*r.total_bytes()) : 0.0);
  if (budget) {
    const double b = MiB(*budget);
    if (b <= max_total * 20) {
      chart.rules.push_back({b, "usable memory " + FormatBytes(*budget)});
    } else {
      o += "<p class=\"note\">Usable memory (" + FormatBytes(*budget) + ") is more than 20× the largest need (" +
           FormatBytes(static_cast<uint64_t>(max_total * 1024 * 1024)) + "); its line is left off the chart so the "
           "models stay readable.</p>\n";
    }
  }
  o += RenderChart(chart);
  // The breakdown at the largest context measured: what grows with context (KV cache,
  // scratch) next to what does not (weights).
  uint32_t largest = 0;
  for (const auto& r : rows) {
    if (r.total_bytes()) largest = std::max(largest, r.n_ctx);
  }
  ChartSpec parts;
  parts.id = "chart-memory-parts";
  parts.title = "memory breakdown (MiB) at context " + std::to_string(largest);
  parts.y_label = "MiB";
  ChartSeries weights{"memparts-weights", "weights"}, kv{"memparts-kv", "KV cache"}, scratch{"memparts-scratch", "scratch"};
  weights.bars = kv.bars = scratch.bars = true;
  for (const auto& r : rows) {
    if (r.n_ctx != largest || !r.total_bytes()) continue;
    const double x = double(parts.x_categories.size());
    parts.x_categories.push_back(r.variant);
    weights.points.push_back({x, MiB(*r.weights_bytes), r.variant + ": weights " + FormatBytes(*r.weights_bytes)});
    kv.points.push_back({x, MiB(*r.kv_bytes), r.variant + ": KV cache " + FormatBytes(*r.kv_bytes)});
    scratch.points.push_back({x, MiB(*r.scratch_bytes), r.variant + ": scratch " + FormatBytes(*r.scratch_bytes)});
  }
  parts.series = {weights, kv, scratch};
  if (!parts.x_categories.empty()) o += RenderChart(parts);
  o += "<table>" + Th({"model", "ctx", "weights", "KV cache", "scratch", "total", "peak RSS", "fits"});
  for (const auto& r : rows) {
    o += "<tr>" + Td(Esc(r.variant)) + Td(std::to_string(r.n_ctx), true) + TdBytes(r.weights_bytes, "not reported") +
         TdBytes(r.kv_bytes, "not reported") + TdBytes(r.scratch_bytes, "not reported") +
         TdBytes(r.total_bytes(), "a part is missing") + TdBytes(r.peak_rss_bytes, "VmHWM unreadable") +
         (r.fits ? Td(*r.fits ? "yes" : "<b>no</b>") : Td(AbsentHtml("no usable-memory figure"))) + "</tr>\n";
  }
  o += "</table>\n<p class=\"note\">Usable memory: " +
       (budget ? FormatBytes(*budget) + " (" +
                     Esc(in.study.settings && in.study.settings->budget.memory_bytes ? in.study.settings->budget.memory_basis
                                                                                    : "MemAvailable when the run started") +
                     ")"
               : AbsentHtml("unknown")) +
       ". The fit check adds weights, KV cache and scratch; the process's runtime overhead is the difference to "
       "peak RSS.</p>\n";
  return o;
}

// "[0.21, 0.35]" with its method, or why there is none.
std::string IntervalHtml(const QualityRecord& q) {
  if (q.ci_low && q.ci_high) {
    return "[" + Num(*q.ci_low) + ", " + Num(*q.ci_high) + "]" +
           (q.ci_method.empty() || q.ci_method == "none" ? "" : " <span class=\"note\">" + Esc(q.ci_method) + "</span>");
  }
  if (!q.value) return "";  // the value cell says why
  return AbsentHtml(q.ci_method == "none" ? "no interval for this metric" : "not recorded");
}

bool IsAccuracyMetric(const std::string& metric) {
  return metric == "acc" || metric == "acc_norm" || metric == "lambada_acc";
}

// Accuracy per task (rows) and model (columns): acc and acc_norm with their intervals.
std::string AccuracyTable(const ReportInput& in) {
  std::vector<std::string> tasks, models;
  for (const auto& q : in.study.quality) {
    if (!IsAccuracyMetric(q.metric)) continue;
    if (std::find(tasks.begin(), tasks.end(), q.task) == tasks.end()) tasks.push_back(q.task);
    if (std::find(models.begin(), models.end(), q.model_label) == models.end()) models.push_back(q.model_label);
  }
  if (tasks.empty()) return "";
  std::string o = "<h3>Accuracy per task</h3>\n<table id=\"quality-accuracy\"><tr><th>task</th>";
  for (const auto& m : models) o += "<th>" + Esc(m) + "</th>";
  o += "</tr>\n";
  for (const auto& t : tasks) {
    o += "<tr>" + Td(Esc(t));
    for (const auto& m : models) {
      std::string cell;
      for (const auto& q : in.study.quality) {
        if (q.task != t || q.model_label != m || !IsAccuracyMetric(q.metric)) continue;
        if (!cell.empty()) cell += "<br>";
        cell += Esc(q.metric) + " " + (q.value ? Num(*q.value) + " " + IntervalHtml(q) : AbsentHtml(q.reason));
        if (q.metric != "acc_norm" && q.n > 0) cell += " <span class=\"note\">n " + std::to_string(q.n) + "</span>";
      }
      o += cell.empty() ? Td(AbsentHtml("not evaluated")) : Td(cell);
    }
    o += "</tr>\n";
  }
  return o + "</table>\n<p class=\"note\">acc: the choice with the highest log-likelihood; acc_norm: per byte "
             "of the choice; 95% Wilson intervals. A random guess scores 1 / number of choices.</p>\n";
}

std::string QualitySection(const ReportInput& in) {
  std::string o = "<h2 id=\"quality\">Quality vs bits per weight</h2>\n";
  if (in.study.quality.empty()) {
    const std::string why = in.study.settings && !in.study.settings->quality_note.empty()
                                ? in.study.settings->quality_note
                                : "no quality evaluation in this run";
    return o + "<p>" + AbsentHtml(why) + "</p>\n";
  }
  for (const char* metric : {"ppl", "kld_mean"}) {
    ChartSpec chart;
    chart.id = std::string("chart-") + metric;
    chart.title = metric == std::string("ppl") ? "perplexity vs bits per weight (lower is better)"
                                               : "mean KL divergence from the highest-precision file vs bits per weight";
    chart.x_label = "bits per weight";
    chart.y_label = metric == std::string("ppl") ? "perplexity" : "KLD (nats)";
    ChartSeries s{metric, metric == std::string("ppl") ? "perplexity" : "KLD mean"};
    s.line = true;
    for (const auto& q : in.study.quality) {
      if (q.metric == metric && q.value && q.bits_per_weight) {
        s.points.push_back({*q.bits_per_weight, *q.value, q.model_label, q.stderr_value});
      }
    }
    std::sort(s.points.begin(), s.points.end(), [](const ChartPoint& a, const ChartPoint& b) { return a.x < b.x; });
    if (s.points.empty()) continue;
    chart.series = {s};
    o += RenderChart(chart);
  }
  // Every figure with its 95% interval and sample size.
  o += "<table id=\"quality-figures\">" +
       Th({"model", "weight type", "bits/weight", "task", "metric", "value", "95% interval", "± stderr", "n", "how"});
  for (const auto& q : in.study.quality) {
    o += "<tr>" + Td(Esc(q.model_label)) + Td(Esc(q.weight_type)) + TdOpt(q.bits_per_weight, "unknown") +
         Td(Esc(q.task)) + Td(Esc(q.metric)) + TdOpt(q.value, q.reason) + Td(IntervalHtml(q)) +
         TdOpt(q.stderr_value, "not computed for this metric") +
         (q.n > 0 ? Td(std::to_string(q.n) + (q.n_unit.empty() ? "" : " " + Esc(q.n_unit)), true)
                  : Td(q.value ? AbsentHtml("not recorded") : "")) +
         Td(Esc(q.detail)) + "</tr>\n";
  }
  o += "</table>\n";
  o += AccuracyTable(in);
  return o;
}

std::string SamplesSection(const ReportInput& in) {
  std::string o = "<h2 id=\"samples\">Samples</h2>\n";
  if (in.study.samples.empty()) {
    return o + "<p>" +
           AbsentHtml("no prompt suite was answered in this run ([quality] samples = true or --quality-samples, "
                      "with quality models)") +
           "</p>\n";
  }
  o += "<p class=\"note\">The fixed prompt suite answered by each quality model (greedy, fixed seed), side by side; "
       "the speed is the decode rate after the first token.</p>\n";
  std::vector<std::string> prompts;
  for (const auto& s : in.study.samples) {
    if (std::find(prompts.begin(), prompts.end(), s.prompt_id) == prompts.end()) prompts.push_back(s.prompt_id);
  }
  for (const auto& p : prompts) {
    o += "<h3>" + Esc(p) + "</h3>\n<div class=\"samples\">\n";
    for (const auto& s : in.study.samples) {
      if (s.prompt_id != p) continue;
      const std::string speed = s.decode_tokens_per_s ? Num(*s.decode_tokens_per_s) + " tokens/s"
                                                      : AbsentHtml("tokens/s: fewer than 2 tokens generated");
      o += "<div class=\"sample\"><div class=\"shead\"><b>" + Esc(s.model_label) + "</b> · " + speed + " · " +
           std::to_string(s.n_generated) + " tokens · stop: " + Esc(s.stop_reason) + " · format: " +
           Esc(s.prompt_format) + "</div><pre>" + Esc(s.text) + "</pre></div>\n";
    }
    o += "</div>\n";
  }
  return o;
}

std::string ThreadSection(const ReportInput& in) {
  std::string o = "<h2 id=\"threads\">Thread scaling (decode)</h2>\n";
  std::map<std::string, ChartSeries> by_variant;
  std::set<int> threads;
  std::string table;
  for (const auto& r : in.bench.records) {
    if (r.status != "ok" || r.config.kind != TestKind::kGen) continue;
    const auto d = bench::Derive(r);
    if (!d.ts.mean) continue;
    const std::string v = VariantLabel(in, r);
    auto& s = by_variant[v];
    // One context size per line: the first one measured.
    if (!s.points.empty() && s.id != "thr-" + SeriesId(v) + "-" + std::to_string(r.n_ctx)) continue;
    s.id = "thr-" + SeriesId(v) + "-" + std::to_string(r.n_ctx);
    s.name = v;
    s.line = true;
    s.points.push_back({double(r.config.n_threads), *d.ts.mean, ConfigLabel(in, r), d.ts.stddev});
    threads.insert(r.config.n_threads);
    table += "<tr>" + Td(Esc(v)) + Td(std::to_string(r.config.n_threads), true) + Td(Num(*d.ts.mean), true) +
             TdOpt(d.ts.stddev, "fewer than 2 repetitions") + "</tr>\n";
  }
  for (auto& s : by_variant) {
    std::sort(s.second.points.begin(), s.second.points.end(), [](const ChartPoint& a, const ChartPoint& b) { return a.x < b.x; });
  }
  if (threads.size() < 2) {
    return o + "<p>" + AbsentHtml(threads.empty() ? "no decode test in this run" : "the run measured one thread count") +
           "</p>\n";
  }
  ChartSpec chart;
  chart.id = "chart-threads";
  chart.title = "decode tokens/s vs threads";
  chart.x_label = "threads";
  chart.y_label = "tokens/s";
  chart.x_from_zero = true;
  chart.x_integer = true;
  for (auto& [k, s] : by_variant) chart.series.push_back(s);
  return o + RenderChart(chart) + "<table>" + Th({"model", "threads", "tokens/s", "sd"}) + table + "</table>\n";
}

std::string LatencySection(const ReportInput& in) {
  std::string o = "<h2 id=\"latency\">Inter-token latency</h2>\n";
  ChartSpec chart;
  chart.id = "chart-itl";
  chart.title = "inter-token latency distribution (quantile plot: ms at each percentile)";
  chart.x_label = "percentile";
  chart.y_label = "ms";
  chart.x_from_zero = true;
  std::string table;
  for (const auto& r : in.bench.records) {
    if (r.status != "ok" || r.config.kind != TestKind::kRequest || r.itl_ms.empty()) continue;
    std::vector<double> v = r.itl_ms;
    std::sort(v.begin(), v.end());
    ChartSeries s{"itl-" + SeriesId(VariantLabel(in, r) + "-t" + std::to_string(r.config.n_threads)),
                  VariantLabel(in, r) + " · " + std::to_string(r.config.n_threads) +
                      (r.config.n_threads == 1 ? " thread" : " threads")};
    s.line = true;
    // At most 100 points: the quantiles at even steps (every latency when fewer).
    const size_t n = std::min<size_t>(v.size(), 100);
    for (size_t i = 0; i < n; ++i) {
      const double q = n == 1 ? 0.5 : double(i) / double(n - 1);
      const size_t idx = static_cast<size_t>(std::lround(q * double(v.size() - 1)));
      s.points.push_back({q * 100, v[idx], ""});
    }
    chart.series.push_back(s);
    const auto d = bench::Derive(r);
    table += "<tr>" + Td(Esc(ConfigLabel(in, r))) + Td(std::to_string(v.size()), true) +
             TdOpt(d.itl_p50_ms, "no latencies") + TdOpt(d.itl_p90_ms, "no latencies") +
             TdOpt(d.itl_p99_ms, "no latencies") + TdOpt(d.ttft_ms, "no request") + TdOpt(d.e2e_ts, "no request") + "</tr>\n";
  }
  if (chart.series.empty()) return o + "<p>" + AbsentHtml("no request test (prompt in, tokens out) in this run") + "</p>\n";
  return o + RenderChart(chart) + "<table>" + Th({"configuration", "latencies", "p50 ms", "p90 ms", "p99 ms", "TTFT ms",
                                                 "end-to-end tokens/s"}) +
         table + "</table>\n";
}

std::string PowerSection(const ReportInput& in) {
  std::string o = "<h2 id=\"power\">Power over time</h2>\n";
  bool drew = false;
  for (size_t i = 0; i < in.study.power.size(); ++i) {
    const auto& t = in.study.power[i];
    if (t.samples.empty()) {
      o += "<p>" + AbsentHtml(t.source + ": " + t.reason) + "</p>\n";
      continue;
    }
    ChartSpec chart;
    chart.id = "chart-power-" + std::to_string(i);
    chart.title = "power (" + t.source + (t.estimated ? ", ESTIMATED" : ", measured") + ", mean over " + Num(t.window_s) +
                  " s windows), phases shaded";
    chart.x_label = "seconds since the study started";
    chart.y_label = t.estimated ? "W (estimated)" : "W";
    chart.x_from_zero = true;
    ChartSeries s{"power-" + std::to_string(i), t.source + (t.estimated ? " (estimated)" : "")};
    s.line = true;
    for (const auto& p : t.samples) s.points.push_back({p.t_s, p.watts, ""});
    chart.series = {s};
    for (const auto& ph : in.study.phases) chart.bands.push_back({ph.t0_s, ph.t1_s, ph.phase, ph.phase + ": " + ph.config_key});
    o += RenderChart(chart);
    o += "<p class=\"note\">Shaded: prefill (blue), decode (green), request test (orange), quality evaluation "
         "(pink); each band spans a configuration's measured repetitions.</p>\n";
    drew = true;
  }
  if (!drew && in.study.power.empty()) {
    o += "<p>" + AbsentHtml(in.study.settings ? "no power timeline: " + in.study.settings->energy_note
                                              : "a plain bench run records no power") + "</p>\n";
  }
  if (!in.study.energy.empty()) {
    o += "<table>" + Th({"configuration", "phase", "source", "tokens", "seconds", "joules", "J/token", "tokens/J", "avg W"});
    std::map<std::string, std::string> labels;
    for (const auto& r : in.bench.records) labels[r.config.Key()] = ConfigLabel(in, r);
    for (const auto& e : in.study.energy) {
      const auto tpj = e.tokens_per_joule();
      const std::string why = e.reason.empty() ? "not measured" : e.reason;
      o += "<tr>" + Td(Esc(labels.count(e.config_key) ? labels[e.config_key] : e.config_key)) + Td(Esc(e.phase)) +
           Td(Esc(e.source) + (e.estimated ? " <span class=\"estimated\">(estimated)</span>" : "")) +
           Td(std::to_string(e.tokens), true) + Td(Num(e.seconds), true);
      if (!e.joules) {
        // One reason for the four figures that depend on the joules, not four copies.
        o += "<td colspan=\"4\">" + AbsentHtml(why) + "</td></tr>\n";
        continue;
      }
      o += TdOpt(e.joules, why) + TdOpt(tpj ? std::optional<double>(1 / *tpj) : std::nullopt, why) + TdOpt(tpj, why) +
           TdOpt(e.avg_watts, why) + "</tr>\n";
    }
    o += "</table>\n";
  }
  return o;
}

std::string CostSection(const ReportInput& in) {
  std::string o = "<h2 id=\"cost\">Cost: edge vs cloud APIs</h2>\n";
  if (!in.study.settings) return o + "<p>" + AbsentHtml("no prices: this run was not made by a study") + "</p>\n";
  const Prices& prices = in.study.settings->prices;
  const auto pts = DecodeEfficiency(in);
  if (pts.empty()) return o + "<p>" + AbsentHtml("no decode configuration with an energy figure to cost") + "</p>\n";
  o += "<p class=\"note\">$/1M tokens at the edge = device price spread over the tokens generated in " +
       Num(prices.amortisation_years) + " years at a duty cycle of " + Num(prices.duty_cycle * 100) +
       "% + energy per token × electricity price (idle power off duty not counted). Cloud: output-token list "
       "prices from " + (prices.cloud_table.empty() ? std::string("the study") : Esc(prices.cloud_table)) +
       ", each dated with its source." + (prices.note.empty() ? "" : " Study note: " + Esc(prices.note) + ".") +
       (prices.overrides.empty() ? "" : " Overridden on the command line: " + Esc(prices.overrides) + ".") + "</p>\n";
  o += "<p class=\"note\">Prices used: device " +
       (prices.device_usd ? Num(*prices.device_usd) + " USD" : AbsentHtml("not given")) + ", lifetime " +
       Num(prices.amortisation_years) + " years, duty cycle " + Num(prices.duty_cycle) + ", electricity " +
       (prices.electricity_usd_per_kwh ? Num(*prices.electricity_usd_per_kwh) + " USD/kWh" : AbsentHtml("not given")) +
       " (flags --device-price, --lifetime-years, --duty-cycle, --electricity-price, --price-table of "
       "<code>edgelm study</code> and <code>edgelm report</code>).</p>\n";
  ChartSpec chart;
  chart.id = "chart-cost";
  chart.title = "$ per 1M generated tokens";
  chart.y_label = "USD / 1M tokens";
  ChartSeries edge{"cost-edge", "edge (this device)"}, cloud{"cost-cloud", "cloud API (output)"};
  edge.bars = cloud.bars = true;
  o += "<table>" + Th({"configuration", "tokens/s", "J/token", "device $/1M", "energy $/1M", "total $/1M"});
  for (const auto& p : pts) {
    const auto c = EdgeCost(prices, p.tokens_per_s, p.joules_per_token);
    o += "<tr>" + Td(Esc(p.label) + (p.on_front ? " (Pareto)" : "")) + Td(Num(p.tokens_per_s), true) +
         Td(Num(p.joules_per_token) + (p.estimated ? " (est.)" : ""), true) + TdOpt(c.capex_usd_per_1m, c.reason) +
         TdOpt(c.energy_usd_per_1m, c.reason) + TdOpt(c.total_usd_per_1m, c.reason) + "</tr>\n";
    if (c.total_usd_per_1m && p.on_front) {
      edge.points.push_back({double(chart.x_categories.size()), *c.total_usd_per_1m, p.label});
      chart.x_categories.push_back(p.label);
    }
  }
  o += "</table>\n";
  for (const auto& c : prices.cloud) {
    cloud.points.push_back({double(chart.x_categories.size()), c.output_usd_per_mtok, CloudLabel(c) + " (" + c.date + ")"});
    chart.x_categories.push_back(CloudLabel(c));
  }
  chart.series = {edge, cloud};
  if (!edge.points.empty()) o += RenderChart(chart);
  // Break-even for the most efficient configuration.
  const EfficiencyPoint* best = &pts.front();
  for (const auto& p : pts) {
    if (p.tokens_per_j > best->tokens_per_j) best = &p;
  }
  o += "<h3>Break-even of the most energy-efficient configuration (" + Esc(best->label) + ")</h3>\n<table>" +
       Th({"cloud API", "price date", "source", "output $/1M", "edge $/1M", "break-even (tokens/day)",
           "device capacity (tokens/day)", "verdict"});
  for (const auto& b : BreakEvens(prices, *best)) {
    o += "<tr>" + Td(Esc(b.cloud)) + Td(Esc(b.date)) + Td(Esc(b.source)) + Td(Num(b.cloud_usd_per_1m), true) +
         TdOpt(b.edge_usd_per_1m, "absent") +
         (b.tokens_per_day ? Td(FormatTokenCount(*b.tokens_per_day), true)
                           : Td(AbsentHtml(b.verdict.substr(0, b.verdict.find(':'))))) +
         Td(FormatTokenCount(b.capacity_tokens_per_day), true) + Td(Esc(b.verdict)) + "</tr>\n";
  }
  if (prices.cloud.empty()) {
    o += "<tr><td colspan=\"8\">" + AbsentHtml("no cloud prices (an empty price table)") + "</td></tr>";
  }
  return o + "</table>\n";
}

std::string RecommendationSection(const ReportInput& in) {
  std::string o = "<h2 id=\"recommendations\">Recommendations</h2>\n";
  for (const auto& r : Recommend(in)) {
    o += "<div class=\"rec\"><b>" + Esc(r.question) + ":</b> ";
    if (r.answer) {
      o += "<span class=\"answer\">" + Esc(*r.answer) + "</span><br><span class=\"note\">because: " + Esc(r.evidence) +
           "</span>";
    } else {
      o += AbsentHtml(r.absent_reason);
    }
    o += "</div>\n";
  }
  return o;
}

}  // namespace

std::string RenderHtml(const ReportInput& in) {
  const std::string title =
      "edgelm report — " + (in.study.settings ? in.study.settings->name : "bench run " + std::to_string(in.run.run_id));
  std::string o = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
                  Esc(title) + "</title>\n<style>" + kStyle + "</style>\n<script>" + kCheckScript + "</script>\n</head><body>\n";
  o += "<h1>" + Esc(title) + "</h1>\n<p class=\"note\">Self-contained: no network, no external files. Every figure is "
       "a measurement of this run unless it says <span class=\"estimated\">estimated</span>; a figure that was not "
       "measured is shown <span class=\"absent\">absent</span> with its reason.</p>\n";
  o += "<nav><a href=\"#context\">context</a> · <a href=\"#throughput\">throughput</a> · <a href=\"#efficiency\">energy</a> · "
       "<a href=\"#memory\">memory</a> · <a href=\"#quality\">quality</a> · <a href=\"#samples\">samples</a> · <a href=\"#threads\">threads</a> · "
       "<a href=\"#latency\">latency</a> · <a href=\"#power\">power</a> · <a href=\"#cost\">cost</a> · "
       "<a href=\"#recommendations\">recommendations</a></nav>\n";
  o += ContextSection(in);
  o += ThroughputSection(in);
  o += EfficiencySection(in);
  o += MemorySection(in);
  o += QualitySection(in);
  o += SamplesSection(in);
  o += ThreadSection(in);
  o += LatencySection(in);
  o += PowerSection(in);
  o += CostSection(in);
  o += RecommendationSection(in);
  o += "<div id=\"js-errors\" data-count=\"0\" hidden></div>\n<div id=\"self-check\" hidden></div>\n</body></html>\n";
  return o;
}

}  // namespace edgelm::report
