#include "bench/compare.h"

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

namespace edgelm::bench {
namespace {

std::string Params(const ConfigRecord& r, bool with_model) {
  const BenchConfig& c = r.config;
  std::string s = "t=" + std::to_string(c.n_threads) + " b=" + std::to_string(c.n_batch) + " ctk=" + c.type_k +
                  " isa=" + c.isa;
  if (c.n_ctx != 0) s += " c=" + std::to_string(c.n_ctx);
  if (c.cpu_mask != "0x0") s += " mask=" + c.cpu_mask;
  if (c.priority != 0) s += " prio=" + std::to_string(c.priority);
  if (with_model) s = r.model_filename + " " + s;
  return s;
}

bool ManyModels(const BenchReport& r) {
  std::set<std::string> models;
  for (const auto& rec : r.records) models.insert(rec.config.model_path);
  return models.size() > 1;
}

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

Comparison CompareReports(const BenchReport& a, const BenchReport& b) {
  const bool with_model = ManyModels(a) || ManyModels(b);
  auto key = [&](const ConfigRecord& r) { return r.config.TestName() + " | " + Params(r, with_model); };
  std::map<std::string, const ConfigRecord*> in_b;
  for (const auto& r : b.records) in_b[key(r)] = &r;
  std::set<std::string> matched;
  Comparison out;
  for (const auto& ra : a.records) {
    const std::string k = key(ra);
    auto it = in_b.find(k);
    if (it == in_b.end()) {
      out.only_in_a.push_back(k);
      continue;
    }
    matched.insert(k);
    const ConfigRecord& rb = *it->second;
    CompareRow row;
    row.test = ra.config.TestName();
    row.params = Params(ra, with_model);
    row.a_ts = Summarize(ra.samples_ts).mean;
    row.b_ts = Summarize(rb.samples_ts).mean;
    if (row.a_ts && row.b_ts && *row.a_ts != 0) row.ratio = *row.b_ts / *row.a_ts;
    row.welch = WelchTTest(ra.samples_ts, rb.samples_ts);
    if (ra.status != "ok" || rb.status != "ok") row.note = "a configuration failed";
    else if (!row.welch) row.note = "fewer than 2 repetitions on a side: no test";
    out.rows.push_back(std::move(row));
  }
  for (const auto& rb : b.records) {
    if (!matched.count(key(rb))) out.only_in_b.push_back(key(rb));
  }
  return out;
}

std::string FormatComparison(const BenchReport& a, const BenchReport& b, const Comparison& c) {
  std::ostringstream out;
  auto describe = [&](const char* name, const BenchReport& r) {
    out << "- " << name << ": run " << (r.run_id ? std::to_string(*r.run_id) : "?") << ", " << r.context.date
        << ", edgelm " << r.context.edgelm_version << " commit " << r.context.build_commit << " ("
        << r.context.build_type << "), " << r.context.cpu_info << ", status " << r.status << "\n";
  };
  describe("A", a);
  describe("B", b);
  out << "\n| test | params | A t/s | B t/s | B/A | p-value | significant |\n";
  out << "| ------ | ------ | ------: | ------: | ------: | ------: | ------ |\n";
  for (const auto& row : c.rows) {
    out << "| " << row.test << " | " << row.params << " | " << (row.a_ts ? Fmt("%.2f", *row.a_ts) : "-") << " | "
        << (row.b_ts ? Fmt("%.2f", *row.b_ts) : "-") << " | " << (row.ratio ? Fmt("%.3f", *row.ratio) : "-") << " | "
        << (row.welch ? Fmt("%.4g", row.welch->p_value) : "-") << " | ";
    if (row.welch) out << (row.welch->significant ? "yes" : "no");
    else out << "- (" << row.note << ")";
    out << " |\n";
  }
  out << "\nSignificance: Welch's t-test (unequal variances), two-sided, alpha = 0.05, on the raw "
         "per-repetition t/s samples of each configuration.\n";
  for (const auto& k : c.only_in_a) out << "- only in A: " << k << "\n";
  for (const auto& k : c.only_in_b) out << "- only in B: " << k << "\n";
  return out.str();
}

}  // namespace edgelm::bench
