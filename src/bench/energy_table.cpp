#include "bench/energy_table.h"

#include <cstdio>
#include <set>
#include <sstream>

namespace edgelm::bench {
namespace {

std::string Num(const char* fmt, const std::optional<double>& v) {
  if (!v) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, *v);
  return buf;
}

std::string Cell(std::string s) {
  for (auto& ch : s) {
    if (ch == '|' || ch == '\n') ch = ' ';
  }
  return s;
}

}  // namespace

std::string FormatEnergyMarkdown(const std::vector<ConfigRecord>& records) {
  bool any = false;
  for (const auto& r : records) any |= r.energy.has_value();
  if (!any) return "";
  std::ostringstream out;
  out << "| model | threads | test | source | J/tok pp | J/tok dec | tok/J dec | W dec | net J/tok dec | max °C | MHz |"
         " throttling |\n";
  out << "| ------ | ------: | ------: | ------ | ------: | ------: | ------: | ------: | ------: | ------: | ------: |"
         " ------ |\n";
  std::set<std::string> notes, coverage;
  for (const auto& r : records) {
    if (!r.energy) continue;
    const EnergyRecord& e = *r.energy;
    const PhaseEnergyFigures* pre = e.Primary("prefill");
    const PhaseEnergyFigures* dec = e.Primary("decode");
    const PhaseEnergyFigures* shown = dec && dec->joules ? dec : pre && pre->joules ? pre : dec ? dec : pre;
    const PhaseSystemFigures* sys = nullptr;
    for (const auto& s : e.system) {
      if (!sys || s.phase == "decode") sys = &s;
    }
    std::string tpj = dec ? Num("%.4g", dec->tokens_per_joule) : "-";
    if (dec && dec->tokens_per_joule && dec->estimated) tpj += " (est.)";
    out << "| " << Cell(r.model_type.empty() ? r.model_filename : r.model_type) << " | "
        << (r.n_threads ? r.n_threads : r.config.n_threads) << " | " << r.config.TestName() << " | "
        << (shown ? shown->source + (shown->estimated ? " (est.)" : "") : "-") << " | " << EnergyCell(pre) << " | "
        << EnergyCell(dec) << " | " << tpj << " | " << (dec ? Num("%.3g", dec->avg_watts) : "-") << " | "
        << (dec ? Num("%.4g", dec->net_joules_per_token) : "-") << " | "
        << (sys ? Num("%.1f", sys->max_temp_c) : "-") << " | " << (sys ? Num("%.0f", sys->mean_freq_mhz) : "-")
        << " | " << (sys && sys->throttling ? (*sys->throttling ? "suspected" : "no") : "-") << " |\n";
    if (!e.note.empty()) notes.insert(e.note);
    for (const PhaseEnergyFigures* p : {pre, dec}) {
      if (p && !p->joules) notes.insert(r.config.TestName() + " " + p->phase + " (" + p->source + "): " + p->reason);
      if (p && p->joules) coverage.insert(p->source + (p->estimated ? " (est.)" : "") + ": " + p->coverage);
    }
    if (sys && !sys->throttling_reason.empty() && sys->throttling.value_or(false)) {
      notes.insert(r.config.TestName() + " throttling: " + sys->throttling_reason);
    }
  }
  out << "\nJ/tok pp: joules per prompt token over the measured prefills; J/tok dec: per generated token over the "
         "measured decodes (gross; net subtracts the idle baseline). (est.) marks an estimate, not a measurement.\n";
  for (const auto& c : coverage) out << "- source " << Cell(c) << "\n";
  for (const auto& n : notes) out << "- " << Cell(n) << "\n";
  return out.str();
}

}  // namespace edgelm::bench
