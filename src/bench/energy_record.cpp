#include "bench/energy_record.h"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace edgelm::bench {
namespace {

using nlohmann::json;

json Opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json Opt(const std::optional<bool>& v) { return v ? json(*v) : json(nullptr); }

template <typename T>
std::optional<T> GetOpt(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}

}  // namespace

const PhaseEnergyFigures* EnergyRecord::Primary(const std::string& phase) const {
  const PhaseEnergyFigures* any_value = nullptr;
  const PhaseEnergyFigures* first = nullptr;
  for (const auto& f : energy) {
    if (f.phase != phase) continue;
    if (!first) first = &f;
    if (f.joules && !f.estimated) return &f;
    if (f.joules && !any_value) any_value = &f;
  }
  return any_value ? any_value : first;
}

json EnergyRecordToJson(const EnergyRecord& e) {
  json energy = json::array();
  for (const auto& f : e.energy) {
    energy.push_back({{"phase", f.phase},
                      {"source", f.source},
                      {"sensor", f.sensor},
                      {"coverage", f.coverage},
                      {"estimated", f.estimated},
                      {"tokens", f.tokens},
                      {"n_spans", f.n_spans},
                      {"duration_s", f.duration_s},
                      {"joules", Opt(f.joules)},
                      {"avg_watts", Opt(f.avg_watts)},
                      {"baseline_watts", Opt(f.baseline_watts)},
                      {"net_joules", Opt(f.net_joules)},
                      {"joules_per_token", Opt(f.joules_per_token)},
                      {"net_joules_per_token", Opt(f.net_joules_per_token)},
                      {"tokens_per_joule", Opt(f.tokens_per_joule)},
                      {"method", f.method},
                      {"n_samples", f.n_samples},
                      {"sample_interval_ms", f.sample_interval_ms},
                      {"reason", f.reason}});
  }
  json system = json::array();
  for (const auto& s : e.system) {
    system.push_back({{"phase", s.phase},
                      {"max_temp_c", Opt(s.max_temp_c)},
                      {"mean_freq_mhz", Opt(s.mean_freq_mhz)},
                      {"throttling", Opt(s.throttling)},
                      {"throttling_reason", s.throttling_reason},
                      {"temp_reason", s.temp_reason},
                      {"freq_reason", s.freq_reason},
                      {"cycles", Opt(s.cycles)},
                      {"instructions", Opt(s.instructions)},
                      {"cache_references", Opt(s.cache_references)},
                      {"cache_misses", Opt(s.cache_misses)},
                      {"counters_reason", s.counters_reason}});
  }
  return {{"mode", e.mode}, {"note", e.note}, {"energy", energy}, {"system", system}};
}

Result<EnergyRecord> EnergyRecordFromJson(const json& j) {
  EnergyRecord e;
  try {
    j.at("mode").get_to(e.mode);
    j.at("note").get_to(e.note);
    for (const json& x : j.at("energy")) {
      PhaseEnergyFigures f;
      x.at("phase").get_to(f.phase);
      x.at("source").get_to(f.source);
      x.at("sensor").get_to(f.sensor);
      x.at("coverage").get_to(f.coverage);
      x.at("estimated").get_to(f.estimated);
      x.at("tokens").get_to(f.tokens);
      x.at("n_spans").get_to(f.n_spans);
      x.at("duration_s").get_to(f.duration_s);
      f.joules = GetOpt<double>(x, "joules");
      f.avg_watts = GetOpt<double>(x, "avg_watts");
      f.baseline_watts = GetOpt<double>(x, "baseline_watts");
      f.net_joules = GetOpt<double>(x, "net_joules");
      f.joules_per_token = GetOpt<double>(x, "joules_per_token");
      f.net_joules_per_token = GetOpt<double>(x, "net_joules_per_token");
      f.tokens_per_joule = GetOpt<double>(x, "tokens_per_joule");
      x.at("method").get_to(f.method);
      x.at("n_samples").get_to(f.n_samples);
      x.at("sample_interval_ms").get_to(f.sample_interval_ms);
      x.at("reason").get_to(f.reason);
      e.energy.push_back(std::move(f));
    }
    for (const json& x : j.at("system")) {
      PhaseSystemFigures s;
      x.at("phase").get_to(s.phase);
      s.max_temp_c = GetOpt<double>(x, "max_temp_c");
      s.mean_freq_mhz = GetOpt<double>(x, "mean_freq_mhz");
      s.throttling = GetOpt<bool>(x, "throttling");
      x.at("throttling_reason").get_to(s.throttling_reason);
      x.at("temp_reason").get_to(s.temp_reason);
      x.at("freq_reason").get_to(s.freq_reason);
      s.cycles = GetOpt<double>(x, "cycles");
      s.instructions = GetOpt<double>(x, "instructions");
      s.cache_references = GetOpt<double>(x, "cache_references");
      s.cache_misses = GetOpt<double>(x, "cache_misses");
      x.at("counters_reason").get_to(s.counters_reason);
      e.system.push_back(std::move(s));
    }
  } catch (const json::exception& ex) {
    return CorruptError(std::string("energy object of a benchmark record is malformed: ") + ex.what());
  }
  return e;
}

const std::vector<std::string>& EnergyFlatColumns() {
  static const std::vector<std::string> cols = {
      "energy_source",         "energy_estimated",       "energy_reason",        "prefill_j_per_token",
      "decode_j_per_token",    "prefill_net_j_per_token", "decode_net_j_per_token", "prefill_tokens_per_j",
      "decode_tokens_per_j",   "prefill_avg_w",          "decode_avg_w",         "baseline_w",
      "max_temp_c",            "mean_freq_mhz",          "throttling",           "cycles",
      "instructions",          "cache_references",       "cache_misses"};
  return cols;
}

json EnergyFlatFields(const std::optional<EnergyRecord>& e) {
  json f = json::object();
  for (const auto& c : EnergyFlatColumns()) f[c] = nullptr;
  if (!e) {
    f["energy_reason"] = "energy not measured (--energy none)";
    return f;
  }
  const PhaseEnergyFigures* pre = e->Primary("prefill");
  const PhaseEnergyFigures* dec = e->Primary("decode");
  const PhaseEnergyFigures* shown = dec && dec->joules ? dec : pre && pre->joules ? pre : dec ? dec : pre;
  if (shown) {
    f["energy_source"] = shown->source;
    f["energy_estimated"] = shown->estimated;
    f["baseline_w"] = Opt(shown->baseline_watts);
  }
  std::string reason;
  for (const PhaseEnergyFigures* p : {pre, dec}) {
    if (p && !p->joules) reason += (reason.empty() ? "" : "; ") + p->phase + ": " + p->reason;
  }
  if (!pre && !dec) reason = e->note.empty() ? "no energy source" : e->note;
  f["energy_reason"] = reason;
  if (pre) {
    f["prefill_j_per_token"] = Opt(pre->joules_per_token);
    f["prefill_net_j_per_token"] = Opt(pre->net_joules_per_token);
    f["prefill_tokens_per_j"] = Opt(pre->tokens_per_joule);
    f["prefill_avg_w"] = Opt(pre->avg_watts);
  }
  if (dec) {
    f["decode_j_per_token"] = Opt(dec->joules_per_token);
    f["decode_net_j_per_token"] = Opt(dec->net_joules_per_token);
    f["decode_tokens_per_j"] = Opt(dec->tokens_per_joule);
    f["decode_avg_w"] = Opt(dec->avg_watts);
  }
  // System figures: the decode phase when there is one (the longer, steady phase).
  const PhaseSystemFigures* sys = nullptr;
  for (const auto& s : e->system) {
    if (!sys || s.phase == "decode") sys = &s;
  }
  if (sys) {
    f["max_temp_c"] = Opt(sys->max_temp_c);
    f["mean_freq_mhz"] = Opt(sys->mean_freq_mhz);
    f["throttling"] = Opt(sys->throttling);
    f["cycles"] = Opt(sys->cycles);
    f["instructions"] = Opt(sys->instructions);
    f["cache_references"] = Opt(sys->cache_references);
    f["cache_misses"] = Opt(sys->cache_misses);
  }
  return f;
}

std::string EnergyCell(const PhaseEnergyFigures* f) {
  if (!f || !f->joules_per_token) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", *f->joules_per_token);
  return std::string(buf) + (f->estimated ? " (est.)" : "");
}

}  // namespace edgelm::bench
