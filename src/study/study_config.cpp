#include "study/study_config.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>
#include <type_traits>

#include <toml++/toml.h>

#include "analysis/cost.h"
#include "eval/task_data.h"

namespace edgelm::study {
namespace {

// Reads one table's keys, remembering which were used so the rest can be reported as
// unknown; every error names the file, the key and what was expected.
class Reader {
 public:
  Reader(const toml::table& t, std::string where, std::string origin)
      : t_(t), where_(std::move(where)), origin_(std::move(origin)) {}

  Status Error(const std::string& key, const std::string& expected) const {
    return InvalidArgumentError(origin_ + ": " + Path(key) + ": expected " + expected);
  }
  std::string Path(const std::string& key) const { return where_.empty() ? key : where_ + "." + key; }

  template <typename T>
  Status Get(const std::string& key, T* out, const std::string& expected) {
    used_.insert(key);
    const toml::node* n = t_.get(key);
    if (!n) return Status::Ok();
    auto v = n->value<T>();
    if (!v || (n->type() == toml::node_type::floating_point && std::is_integral_v<T>)) return Error(key, expected);
    *out = *v;
    return Status::Ok();
  }
  Status GetString(const std::string& key, std::string* out) { return Get(key, out, "a string"); }
  Status GetBool(const std::string& key, bool* out) { return Get(key, out, "true or false"); }
  Status GetDouble(const std::string& key, double* out, double lo, double hi) {
    used_.insert(key);
    const toml::node* n = t_.get(key);
    if (!n) return Status::Ok();
    auto v = n->value<double>();
    if (!v || *v < lo || *v > hi) return Error(key, "a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    *out = *v;
    return Status::Ok();
  }
  Status GetInt(const std::string& key, int64_t* out, int64_t lo, int64_t hi) {
    used_.insert(key);
    const toml::node* n = t_.get(key);
    if (!n) return Status::Ok();
    auto v = n->is_integer() ? n->value<int64_t>() : std::nullopt;
    if (!v || *v < lo || *v > hi) return Error(key, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    *out = *v;
    return Status::Ok();
  }
  Status GetStrings(const std::string& key, std::vector<std::string>* out) {
    used_.insert(key);
    const toml::node* n = t_.get(key);
    if (!n) return Status::Ok();
    const toml::array* a = n->as_array();
    if (!a) return Error(key, "an array of strings");
    out->clear();
    for (const auto& e : *a) {
      auto s = e.value<std::string>();
      if (!s) return Error(key, "an array of strings");
      out->push_back(*s);
    }
    return Status::Ok();
  }
  Status GetInts(const std::string& key, std::vector<int64_t>* out, int64_t lo, int64_t hi) {
    used_.insert(key);
    const toml::node* n = t_.get(key);
    if (!n) return Status::Ok();
    const toml::array* a = n->as_array();
    if (!a || a->empty()) return Error(key, "a non-empty array of integers");
    out->clear();
    for (const auto& e : *a) {
      auto v = e.is_integer() ? e.value<int64_t>() : std::nullopt;
      if (!v || *v < lo || *v > hi) {
        return Error(key, "integers in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      }
      out->push_back(*v);
    }
    return Status::Ok();
  }
  // Keys of this table that no Get asked for.
  Status CheckUnknown(const std::set<std::string>& also_known = {}) const {
    for (const auto& [k, v] : t_) {
      const std::string key(k.str());
      if (!used_.count(key) && !also_known.count(key)) {
        return InvalidArgumentError(origin_ + ": unknown key '" + Path(key) + "' (a typo? docs/REPORT.md lists the keys)");
      }
    }
    return Status::Ok();
  }

 private:
  const toml::table& t_;
  std::string where_, origin_;
  std::set<std::string> used_;
};

const toml::table* SubTable(const toml::table& root, const std::string& name, Status* error, const std::string& origin) {
  const toml::node* n = root.get(name);
  if (!n) return nullptr;
  if (!n->is_table()) *error = InvalidArgumentError(origin + ": '" + name + "' must be a table ([" + name + "])");
  return n->as_table();
}

}  // namespace

Result<QualityTask> ParseQualityTask(const std::string& spec, const std::string& where) {
  QualityTask t{spec, 0};
  const size_t colon = spec.find(':');
  if (colon != std::string::npos) {
    t.name = spec.substr(0, colon);
    const std::string digits = spec.substr(colon + 1);
    const bool numeric = !digits.empty() && digits.size() <= 9 &&
                         std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (numeric) t.limit = std::stoul(digits);
    if (!numeric || t.limit == 0) {
      return InvalidArgumentError(where + ": bad task '" + spec +
                                  "': expected NAME or NAME:LIMIT with LIMIT an integer > 0 (e.g. \"hellaswag:200\")");
    }
  }
  const auto& known = KnownTaskNames();
  if (std::find(known.begin(), known.end(), t.name) == known.end()) {
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    return InvalidArgumentError(where + ": unknown task '" + t.name + "' in '" + spec + "' (known: " + list + ")");
  }
  return t;
}

Result<std::string> QualityDataDir(const StudyConfig& config) {
  if (!config.quality_data_dir.empty()) {
    if (!std::filesystem::is_directory(config.quality_data_dir)) {
      return NotFoundError("quality data directory '" + config.quality_data_dir +
                           "' does not exist ([quality] data_dir or --quality-data)");
    }
    return config.quality_data_dir;
  }
  // The project's shared data when run from a checkout beside ../shared, as `edgelm eval`.
  for (const char* dir : {"../shared/data", "shared/data"}) {
    if (std::filesystem::is_directory(dir)) return std::string(dir);
  }
  return NotFoundError("no data directory for the quality tasks: neither ../shared/data nor shared/data exists "
                       "(set [quality] data_dir or --quality-data DIR, laid out like ../shared/data)");
}

Result<std::string> QualityPromptsDir(const StudyConfig& config) {
  if (!config.quality_prompts_dir.empty()) {
    if (!std::filesystem::is_directory(config.quality_prompts_dir)) {
      return NotFoundError("prompt suite directory '" + config.quality_prompts_dir +
                           "' does not exist ([quality] prompts_dir)");
    }
    return config.quality_prompts_dir;
  }
  // The suite ships in the source tree beside the studies (data/prompts).
  for (const std::string& d : {std::string(EDGELM_STUDIES_DIR) + "/../prompts", std::string("data/prompts")}) {
    if (std::filesystem::is_directory(d)) return std::filesystem::path(d).lexically_normal().string();
  }
  return NotFoundError("no prompt suite found for [quality] samples: set [quality] prompts_dir");
}

Result<StudyConfig> ParseStudyConfig(const std::string& text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return InvalidArgumentError(origin + ":" + std::to_string(e.source().begin.line) + ":" +
                                std::to_string(e.source().begin.column) + ": not valid TOML: " +
                                std::string(e.description()));
  }
  StudyConfig c;
  Status err = Status::Ok();
  Reader top(root, "", origin);
  EDGELM_RETURN_IF_ERROR(top.GetString("name", &c.name));
  EDGELM_RETURN_IF_ERROR(top.GetString("cache_dir", &c.cache_dir));
  EDGELM_RETURN_IF_ERROR(top.CheckUnknown({"models", "bench", "quality", "energy", "budget", "prices", "hooks"}));
  if (c.name.empty()) c.name = origin;

  if (const toml::table* t = SubTable(root, "models", &err, origin)) {
    Reader r(*t, "models", origin);
    EDGELM_RETURN_IF_ERROR(r.GetStrings("list", &c.models));
    EDGELM_RETURN_IF_ERROR(r.GetStrings("weight_types", &c.weight_types));
    EDGELM_RETURN_IF_ERROR(r.CheckUnknown());
  }
  EDGELM_RETURN_IF_ERROR(err);
  if (c.models.empty()) return InvalidArgumentError(origin + ": models.list is empty: name at least one model "
                                                    "(\"synth:PRESET\" or a GGUF path)");

  c.threads = {0};
  c.contexts = {128};
  if (const toml::table* t = SubTable(root, "bench", &err, origin)) {
    Reader r(*t, "bench", origin);
    std::vector<int64_t> threads, contexts;
    EDGELM_RETURN_IF_ERROR(r.GetInts("threads", &threads, 0, 4096));
    EDGELM_RETURN_IF_ERROR(r.GetInts("contexts", &contexts, 16, 1 << 20));
    if (!threads.empty()) c.threads.assign(threads.begin(), threads.end());
    if (!contexts.empty()) c.contexts.assign(contexts.begin(), contexts.end());
    int64_t v = c.n_prompt;
    EDGELM_RETURN_IF_ERROR(r.GetInt("n_prompt", &v, 1, 1 << 16));
    c.n_prompt = static_cast<uint32_t>(v);
    v = c.n_gen;
    EDGELM_RETURN_IF_ERROR(r.GetInt("n_gen", &v, 1, 1 << 16));
    c.n_gen = static_cast<uint32_t>(v);
    v = c.repetitions;
    EDGELM_RETURN_IF_ERROR(r.GetInt("repetitions", &v, 1, 1000));
    c.repetitions = static_cast<int>(v);
    v = c.warmups;
    EDGELM_RETURN_IF_ERROR(r.GetInt("warmups", &v, 0, 100));
    c.warmups = static_cast<int>(v);
    EDGELM_RETURN_IF_ERROR(r.GetBool("request", &c.request));
    v = c.request_tokens;
    EDGELM_RETURN_IF_ERROR(r.GetInt("request_tokens", &v, 2, 1 << 16));
    c.request_tokens = static_cast<uint32_t>(v);
    EDGELM_RETURN_IF_ERROR(r.CheckUnknown());
  }
  EDGELM_RETURN_IF_ERROR(err);

  if (const toml::table* t = SubTable(root, "quality", &err, origin)) {
    Reader r(*t, "quality", origin);
    EDGELM_RETURN_IF_ERROR(r.GetStrings("models", &c.quality_models));
    EDGELM_RETURN_IF_ERROR(r.GetString("text", &c.quality_text));
    int64_t v = c.quality_ctx;
    EDGELM_RETURN_IF_ERROR(r.GetInt("n_ctx", &v, 16, 1 << 16));
    c.quality_ctx = static_cast<uint32_t>(v);
    v = c.quality_chunks;
    EDGELM_RETURN_IF_ERROR(r.GetInt("chunks", &v, 1, 1 << 20));
    c.quality_chunks = static_cast<uint32_t>(v);
    EDGELM_RETURN_IF_ERROR(r.GetBool("kld", &c.quality_kld));
    std::vector<std::string> tasks;
    EDGELM_RETURN_IF_ERROR(r.GetStrings("tasks", &tasks));
    for (const auto& spec : tasks) {
      auto task = ParseQualityTask(spec, origin + ": quality.tasks");
      if (!task.ok()) return task.status();
      c.quality_tasks.push_back(*task);
    }
    EDGELM_RETURN_IF_ERROR(r.GetString("data_dir", &c.quality_data_dir));
    v = c.quality_shots;
    EDGELM_RETURN_IF_ERROR(r.GetInt("shots", &v, 0, 5));
    c.quality_shots = static_cast<int>(v);
    EDGELM_RETURN_IF_ERROR(r.GetBool("samples", &c.quality_samples));
    EDGELM_RETURN_IF_ERROR(r.GetString("prompts_dir", &c.quality_prompts_dir));
    EDGELM_RETURN_IF_ERROR(r.CheckUnknown());
  }
  EDGELM_RETURN_IF_ERROR(err);

  if (const toml::table* t = SubTable(root, "energy", &err, origin)) {
    Reader r(*t, "energy", origin);
    EDGELM_RETURN_IF_ERROR(r.GetString("source", &c.energy_source));
    EDGELM_RETURN_IF_ERROR(r.GetString("power_cmd", &c.power_cmd));
    EDGELM_RETURN_IF_ERROR(r.GetString("device_profile", &c.device_profile));
    EDGELM_RETURN_IF_ERROR(r.GetDouble("interval_ms", &c.energy_interval_ms, 1, 10000));
    EDGELM_RETURN_IF_ERROR(r.GetDouble("idle_baseline_s", &c.idle_baseline_s, 0, 600));
    EDGELM_RETURN_IF_ERROR(r.CheckUnknown());
  }
  EDGELM_RETURN_IF_ERROR(err);
  static const std::set<std::string> kSources = {"auto", "none", "rapl", "hwmon", "jetson", "rpi5-pmic", "nvml", "external", "estimate"};
  if (!kSources.count(c.energy_source)) {
    return InvalidArgumentError(origin + ": energy.source '" + c.energy_source +
                                "' is not one of auto, none, rapl, hwmon, jetson, rpi5-pmic, nvml, external, estimate");
  }

  if (const toml::table* t = SubTable(root, "budget", &err, origin)) {
    Reader r(*t, "budget", origin);
    double mib = -1, watts = -1;
    EDGELM_RETURN_IF_ERROR(r.GetDouble("memory_mib", &mib, 1, 1 << 30));
    EDGELM_RETURN_IF_ERROR(r.GetDouble("power_watts", &watts, 0.001, 1e6));
    if (mib > 0) c.memory_budget_bytes = static_cast<uint64_t>(mib * 1024 * 1024);
    if (watts > 0) c.power_budget_watts = watts;
    EDGELM_RETURN_IF_ERROR(r.CheckUnknown());
  }
  EDGELM_RETURN_IF_ERROR(err);

  if (const toml::table* t = SubTable(root, "prices", &err, origin)) {
    Reader r(*t, "prices", origin);
    double device = -1, kwh = -1;
    EDGELM_RETURN_IF_ERROR(r.GetDouble("device_usd", &device, 0, 1e9));
    EDGELM_RETURN_IF_ERROR(r.GetDouble("electricity_usd_per_kwh", &kwh, 0, 1e3));
    if (device >= 0) c.prices.device_usd = device;
    if (kwh >= 0) c.prices.electricity_usd_per_kwh = kwh;
    EDGELM_RETURN_IF_ERROR(r.GetDouble("amortisation_years", &c.prices.amortisation_years, 0.01, 100));
    EDGELM_RETURN_IF_ERROR(r.GetDouble("duty_cycle", &c.prices.duty_cycle, 0.0001, 1));
    EDGELM_RETURN_IF_ERROR(r.GetString("note", &c.prices.note));
    EDGELM_RETURN_IF_ERROR(r.GetString("cloud_table", &c.cloud_table));
    EDGELM_RETURN_IF_ERROR(r.CheckUnknown({"cloud"}));
    if (const toml::node* n = t->get("cloud")) {
      if (!n->is_array_of_tables()) {
        return InvalidArgumentError(origin + ": prices.cloud must be an array of tables ([[prices.cloud]])");
      }
      if (!c.cloud_table.empty()) {
        return InvalidArgumentError(origin + ": give either prices.cloud_table or [[prices.cloud]] entries, not both");
      }
      // The entries have the price table's format (data/prices/README.md) and its checks.
      toml::table doc;
      doc.insert("price", *n->as_array());
      std::ostringstream entries;
      entries << doc;
      auto cloud = analysis::ParseCloudPrices(entries.str(), origin + " [[prices.cloud]]");
      if (!cloud.ok()) return InvalidArgumentError(cloud.status().message());
      c.prices.cloud = *cloud;
      c.prices.cloud_table = origin + " ([[prices.cloud]])";
    }
  }
  EDGELM_RETURN_IF_ERROR(err);

  if (const toml::table* t = SubTable(root, "hooks", &err, origin)) {
    Reader r(*t, "hooks", origin);
    EDGELM_RETURN_IF_ERROR(r.GetString("before", &c.hook_before));
    EDGELM_RETURN_IF_ERROR(r.CheckUnknown());
  }
  EDGELM_RETURN_IF_ERROR(err);
  return c;
}

void ApplyQuick(StudyConfig* c) {
  // One small model of a real shape family (stories15M: 15M parameters, 30 MB at F16)
  // keeps every section of the report populated in well under a minute.
  std::vector<std::string> models;
  for (const auto& m : c->models) {
    if (m.rfind("synth:", 0) != 0) models.push_back(m);
  }
  if (models.size() != c->models.size()) models.insert(models.begin(), "synth:stories15m");
  c->models = models;
  c->name += " — quick setting (stories15M shape, one thread, short tests)";
  // One thread: a CI machine shares its cores with other jobs, and a thread pool with
  // more threads than free cores waits a scheduler slice at every barrier, which would
  // make the reduced setting slow without measuring anything useful. Thread scaling is
  // in the full study.
  c->threads = {1};
  c->contexts = {128, 256};
  c->n_prompt = 32;
  // The energy of a decode test is measured over its repetitions back to back, and a
  // window shorter than three sampling intervals of a 100 ms sensor (the estimate's) has
  // no figure. A 15M model decodes ~1000 tokens/s on one modern core: 5 x 128 tokens
  // (~0.65 s there) keeps the window resolvable on machines up to twice that fast.
  c->n_gen = 128;
  c->repetitions = 5;
  c->warmups = 1;
  c->request_tokens = 32;
  c->quality_chunks = std::min<uint32_t>(c->quality_chunks, 2);
}

Result<std::string> CacheDir(const StudyConfig& config) {
  if (!config.cache_dir.empty()) return config.cache_dir;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/edgelm";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/edgelm";
  return NotFoundError("no cache directory: neither XDG_CACHE_HOME nor HOME is set (set one, or cache_dir in the study)");
}

}  // namespace edgelm::study
