#include "report/study_data.h"

#include <cmath>
#include <cstdio>

#include <sqlite3.h>

#include <nlohmann/json.hpp>

namespace edgelm::report {
namespace {

using nlohmann::json;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS study_items(
  item_id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  config_key TEXT NOT NULL,
  json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS study_items_run ON study_items(run_id, kind);
)sql";

template <typename T>
void PutOpt(json& j, const char* name, const std::optional<T>& v) {
  j[name] = v ? json(*v) : json(nullptr);
}
template <typename T>
std::optional<T> GetOpt(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::nullopt;
  return it->get<T>();
}
std::string Str(const json& j, const char* name) { return j.value(name, std::string()); }

json ToJson(const VariantInfo& v) {
  json j{{"model_path", v.model_path}, {"label", v.label}, {"origin", v.origin}, {"weight_type", v.weight_type}};
  PutOpt(j, "bits_per_weight", v.bits_per_weight);
  PutOpt(j, "roofline_decode_tokens_per_s", v.roofline_decode_tokens_per_s);
  return j;
}
VariantInfo VariantFrom(const json& j) {
  VariantInfo v;
  v.model_path = Str(j, "model_path");
  v.label = Str(j, "label");
  v.origin = Str(j, "origin");
  v.weight_type = Str(j, "weight_type");
  v.bits_per_weight = GetOpt<double>(j, "bits_per_weight");
  v.roofline_decode_tokens_per_s = GetOpt<double>(j, "roofline_decode_tokens_per_s");
  return v;
}

json ToJson(const StudySettings& s) {
  json cloud = json::array();
  for (const auto& c : s.prices.cloud) {
    cloud.push_back({{"provider", c.provider}, {"model", c.model}, {"input_usd_per_mtok", c.input_usd_per_mtok},
                     {"output_usd_per_mtok", c.output_usd_per_mtok}, {"date", c.date}, {"source", c.source},
                     {"note", c.note}});
  }
  json prices{{"amortisation_years", s.prices.amortisation_years}, {"duty_cycle", s.prices.duty_cycle},
              {"cloud", cloud}, {"cloud_table", s.prices.cloud_table}, {"note", s.prices.note},
              {"overrides", s.prices.overrides}};
  PutOpt(prices, "device_usd", s.prices.device_usd);
  PutOpt(prices, "electricity_usd_per_kwh", s.prices.electricity_usd_per_kwh);
  json budget{{"memory_basis", s.budget.memory_basis}};
  PutOpt(budget, "memory_bytes", s.budget.memory_bytes);
  PutOpt(budget, "power_watts", s.budget.power_watts);
  json variants = json::array();
  for (const auto& v : s.variants) variants.push_back(ToJson(v));
  json timing = json::array();
  for (const auto& [phase, seconds] : s.phase_seconds) timing.push_back({{"phase", phase}, {"seconds", seconds}});
  return {{"name", s.name}, {"config_text", s.config_text}, {"device_profile", s.device_profile},
          {"device_name", s.device_name}, {"energy_source", s.energy_source}, {"energy_note", s.energy_note},
          {"quality_note", s.quality_note}, {"cli_flags_json", s.cli_flags_json}, {"budget", budget}, {"prices", prices}, {"variants", variants},
          {"phase_seconds", timing}, {"roofline_note", s.roofline_note}};
}

StudySettings SettingsFrom(const json& j) {
  StudySettings s;
  s.name = Str(j, "name");
  s.config_text = Str(j, "config_text");
  s.device_profile = Str(j, "device_profile");
  s.device_name = Str(j, "device_name");
  s.energy_source = Str(j, "energy_source");
  s.energy_note = Str(j, "energy_note");
  s.quality_note = Str(j, "quality_note");
  s.cli_flags_json = Str(j, "cli_flags_json");
  const json& b = j.at("budget");
  s.budget.memory_bytes = GetOpt<uint64_t>(b, "memory_bytes");
  s.budget.memory_basis = Str(b, "memory_basis");
  s.budget.power_watts = GetOpt<double>(b, "power_watts");
  const json& p = j.at("prices");
  s.prices.device_usd = GetOpt<double>(p, "device_usd");
  s.prices.electricity_usd_per_kwh = GetOpt<double>(p, "electricity_usd_per_kwh");
  s.prices.amortisation_years = p.value("amortisation_years", 3.0);
  s.prices.duty_cycle = p.value("duty_cycle", 0.5);
  s.prices.note = Str(p, "note");
  s.prices.cloud_table = Str(p, "cloud_table");
  s.prices.overrides = Str(p, "overrides");
  for (const auto& c : p.value("cloud", json::array())) {
    CloudPrice cp;
    if (c.contains("model")) {
      cp.provider = Str(c, "provider");
      cp.model = Str(c, "model");
      cp.input_usd_per_mtok = c.value("input_usd_per_mtok", 0.0);
      cp.output_usd_per_mtok = c.value("output_usd_per_mtok", 0.0);
      cp.date = Str(c, "date");
      cp.note = Str(c, "note");
    } else {
      // Stores written before the price table: one "name" and "as_of".
      cp.model = Str(c, "name");
      cp.input_usd_per_mtok = c.value("input_usd_per_1m", 0.0);
      cp.output_usd_per_mtok = c.value("output_usd_per_1m", 0.0);
      cp.date = Str(c, "as_of");
    }
    cp.source = Str(c, "source");
    s.prices.cloud.push_back(cp);
  }
  for (const auto& v : j.value("variants", json::array())) s.variants.push_back(VariantFrom(v));
  s.roofline_note = Str(j, "roofline_note");
  for (const auto& t : j.value("phase_seconds", json::array())) {
    s.phase_seconds.emplace_back(Str(t, "phase"), t.value("seconds", 0.0));
  }
  return s;
}

}  // namespace

Status ApplyPriceOverrides(const PriceOverrides& o, Prices* prices) {
  std::string done;
  auto check = [&](const std::optional<double>& v, const char* flag, double lo, bool lo_open, double hi,
                   const char* expected, auto apply) -> Status {
    if (!v) return Status::Ok();
    const bool ok = std::isfinite(*v) && (lo_open ? *v > lo : *v >= lo) && *v <= hi;
    if (!ok) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%g", *v);
      return InvalidArgumentError(std::string(flag) + ": expected " + expected + ", got " + buf);
    }
    apply(*v);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%s%s %g", done.empty() ? "" : ", ", flag, *v);
    done += buf;
    return Status::Ok();
  };
  EDGELM_RETURN_IF_ERROR(check(o.device_usd, "--device-price", 0, false, 1e9, "a price in USD >= 0",
                               [&](double v) { prices->device_usd = v; }));
  EDGELM_RETURN_IF_ERROR(check(o.lifetime_years, "--lifetime-years", 0, true, 100, "years in (0, 100]",
                               [&](double v) { prices->amortisation_years = v; }));
  EDGELM_RETURN_IF_ERROR(check(o.duty_cycle, "--duty-cycle", 0, true, 1,
                               "a fraction of the day in (0, 1] (0.5 = generating 12 h a day)",
                               [&](double v) { prices->duty_cycle = v; }));
  EDGELM_RETURN_IF_ERROR(check(o.electricity_usd_per_kwh, "--electricity-price", 0, false, 1e3, "USD per kWh >= 0",
                               [&](double v) { prices->electricity_usd_per_kwh = v; }));
  if (!o.cloud_table.empty()) {
    EDGELM_ASSIGN_OR_RETURN(prices->cloud, analysis::LoadCloudPrices(o.cloud_table));
    prices->cloud_table = o.cloud_table;
    done += (done.empty() ? "" : ", ") + std::string("--price-table ") + o.cloud_table;
  }
  if (!done.empty()) prices->overrides = prices->overrides.empty() ? done : prices->overrides + "; then " + done;
  return Status::Ok();
}

std::optional<double> EnergyRecord::tokens_per_joule() const {
  if (!joules || *joules <= 0 || tokens <= 0) return std::nullopt;
  return double(tokens) / *joules;
}

Result<std::unique_ptr<StudyStore>> StudyStore::Open(const std::string& path) {
  std::unique_ptr<StudyStore> s(new StudyStore());
  s->path_ = path;
  if (sqlite3_open_v2(path.c_str(), &s->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    return IoError("results store '" + path + "': cannot open: " + (s->db_ ? sqlite3_errmsg(s->db_) : "out of memory"));
  }
  sqlite3_busy_timeout(s->db_, 5000);
  // WAL with synchronous=NORMAL: a record survives a crash of edgelm (the bench rows,
  // written FULL by the bench store, survive a power cut too); a fsync per energy or
  // phase row would cost more than the configurations it describes.
  sqlite3_exec(s->db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", nullptr, nullptr, nullptr);
  char* err = nullptr;
  if (sqlite3_exec(s->db_, kSchema, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string m = err ? err : "unknown";
    sqlite3_free(err);
    return IoError("results store '" + path + "': cannot create the study table: " + m +
                   " (not an SQLite file, or read-only?)");
  }
  return s;
}

StudyStore::~StudyStore() { sqlite3_close(db_); }

Status StudyStore::Put(int64_t run_id, const std::string& kind, const std::string& key, const std::string& text) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, "INSERT INTO study_items(run_id, kind, config_key, json) VALUES(?,?,?,?)", -1, &st,
                         nullptr) != SQLITE_OK) {
    return IoError("results store '" + path_ + "': " + sqlite3_errmsg(db_));
  }
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_text(st, 2, kind.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, key.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 4, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return IoError("results store '" + path_ + "': cannot add a " + kind + " record: " + sqlite3_errmsg(db_));
  return Status::Ok();
}

Status StudyStore::Clear(int64_t run_id, const std::string& kind) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, "DELETE FROM study_items WHERE run_id = ? AND kind = ?", -1, &st, nullptr) != SQLITE_OK) {
    return IoError("results store '" + path_ + "': " + sqlite3_errmsg(db_));
  }
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_text(st, 2, kind.c_str(), -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return IoError("results store '" + path_ + "': " + sqlite3_errmsg(db_));
  return Status::Ok();
}

Status StudyStore::PutSettings(int64_t run_id, const StudySettings& s) {
  EDGELM_RETURN_IF_ERROR(Clear(run_id, "settings"));
  return Put(run_id, "settings", "", ToJson(s).dump());
}

Status StudyStore::AddEnergy(int64_t run_id, const EnergyRecord& r) {
  json j{{"phase", r.phase}, {"source", r.source}, {"basis", r.basis}, {"estimated", r.estimated},
         {"tokens", r.tokens}, {"seconds", r.seconds}, {"reason", r.reason}};
  PutOpt(j, "joules", r.joules);
  PutOpt(j, "avg_watts", r.avg_watts);
  return Put(run_id, "energy", r.config_key, j.dump());
}

Status StudyStore::AddPower(int64_t run_id, const PowerTimeline& t) {
  json samples = json::array();
  for (const auto& s : t.samples) samples.push_back({s.t_s, s.watts});
  json j{{"source", t.source}, {"estimated", t.estimated}, {"window_s", t.window_s}, {"samples", samples},
         {"reason", t.reason}};
  return Put(run_id, "power", "", j.dump());
}

Status StudyStore::AddPhase(int64_t run_id, const PhaseSpan& p) {
  return Put(run_id, "phase", p.config_key, json{{"phase", p.phase}, {"t0_s", p.t0_s}, {"t1_s", p.t1_s}}.dump());
}

Status StudyStore::AddQuality(int64_t run_id, const QualityRecord& r) {
  json j{{"model_label", r.model_label}, {"weight_type", r.weight_type}, {"metric", r.metric},
         {"detail", r.detail}, {"reason", r.reason}};
  PutOpt(j, "bits_per_weight", r.bits_per_weight);
  PutOpt(j, "value", r.value);
  PutOpt(j, "stderr", r.stderr_value);
  return Put(run_id, "quality", r.model_label, j.dump());
}

Status StudyStore::AddHook(int64_t run_id, const HookRecord& r) {
  json j{{"when", r.when}, {"command", r.command}, {"exit_code", r.exit_code}, {"output", r.output}};
  return Put(run_id, "hook", r.config_key, j.dump());
}

Result<StudyData> StudyStore::Load(int64_t run_id) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, "SELECT kind, config_key, json FROM study_items WHERE run_id = ? ORDER BY item_id", -1,
                         &st, nullptr) != SQLITE_OK) {
    return IoError("results store '" + path_ + "': " + sqlite3_errmsg(db_));
  }
  sqlite3_bind_int64(st, 1, run_id);
  StudyData d;
  Status status = Status::Ok();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    auto text = [&](int c) {
      const unsigned char* t = sqlite3_column_text(st, c);
      return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
    };
    const std::string kind = text(0), key = text(1);
    json j = json::parse(text(2), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      status = CorruptError("results store '" + path_ + "': a study record of kind '" + kind + "' of run " +
                            std::to_string(run_id) + " is not valid JSON (edited by hand?)");
      break;
    }
    try {
      if (kind == "settings") {
        d.settings = SettingsFrom(j);
      } else if (kind == "energy") {
        EnergyRecord r;
        r.config_key = key;
        r.phase = Str(j, "phase");
        r.source = Str(j, "source");
        r.basis = Str(j, "basis");
        r.estimated = j.value("estimated", false);
        r.tokens = j.value("tokens", int64_t{0});
        r.seconds = j.value("seconds", 0.0);
        r.joules = GetOpt<double>(j, "joules");
        r.avg_watts = GetOpt<double>(j, "avg_watts");
        r.reason = Str(j, "reason");
        d.energy.push_back(r);
      } else if (kind == "power") {
        PowerTimeline t;
        t.source = Str(j, "source");
        t.estimated = j.value("estimated", false);
        t.window_s = j.value("window_s", 0.0);
        t.reason = Str(j, "reason");
        for (const auto& s : j.at("samples")) t.samples.push_back({s.at(0).get<double>(), s.at(1).get<double>()});
        d.power.push_back(t);
      } else if (kind == "phase") {
        d.phases.push_back({key, Str(j, "phase"), j.value("t0_s", 0.0), j.value("t1_s", 0.0)});
      } else if (kind == "quality") {
        QualityRecord r;
        r.model_label = Str(j, "model_label");
        r.weight_type = Str(j, "weight_type");
        r.metric = Str(j, "metric");
        r.detail = Str(j, "detail");
        r.reason = Str(j, "reason");
        r.bits_per_weight = GetOpt<double>(j, "bits_per_weight");
        r.value = GetOpt<double>(j, "value");
        r.stderr_value = GetOpt<double>(j, "stderr");
        d.quality.push_back(r);
      } else if (kind == "hook") {
        d.hooks.push_back({key, Str(j, "when"), Str(j, "command"), j.value("exit_code", 0), Str(j, "output")});
      }
    } catch (const json::exception& e) {
      status = CorruptError("results store '" + path_ + "': a study record of kind '" + kind + "' of run " +
                            std::to_string(run_id) + " has a field of the wrong type: " + e.what());
      break;
    }
  }
  if (status.ok() && rc != SQLITE_DONE && rc != SQLITE_ROW) status = IoError("results store '" + path_ + "': " + sqlite3_errmsg(db_));
  sqlite3_finalize(st);
  if (!status.ok()) return status;
  return d;
}

}  // namespace edgelm::report
