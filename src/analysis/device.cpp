#include "analysis/device.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <toml++/toml.h>

namespace edgelm::analysis {
namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Reads `key = { value = N, provenance = "...", source = "...", date = "..." }` from
// `table`, scaled by `scale`. Absent key: nullopt. Malformed: an error naming the key.
Result<std::optional<Figure>> ReadFigure(const toml::table* table, const char* key, double scale,
                                         const std::string& where) {
  if (table == nullptr) return std::optional<Figure>();
  const toml::node* node = table->get(key);
  if (node == nullptr) return std::optional<Figure>();
  const std::string here = where + " " + key;
  const toml::table* t = node->as_table();
  if (t == nullptr) {
    return CorruptError(here + ": expected an inline table { value = ..., provenance = ..., source = ... }");
  }
  auto value = (*t)["value"].value<double>();
  if (!value || !std::isfinite(*value) || !(*value > 0)) {
    return CorruptError(here + ": needs a number 'value' > 0");
  }
  auto prov = (*t)["provenance"].value<std::string>();
  if (!prov) return CorruptError(here + ": needs 'provenance' (published, measured or assumed)");
  auto parsed = ParseProvenance(*prov);
  if (!parsed.ok()) return parsed.status().WithContext(here);
  Figure f;
  f.value = *value * scale;
  f.provenance = *parsed;
  f.source = (*t)["source"].value_or(std::string());
  f.date = (*t)["date"].value_or(std::string());
  if (f.source.empty()) return CorruptError(here + ": needs a 'source' saying where the figure comes from");
  return std::optional<Figure>(f);
}

}  // namespace

Result<MemInfo> ReadMemInfo(const telemetry::SysfsRoot& root) {
  EDGELM_ASSIGN_OR_RETURN(std::string text, root.ReadText("/proc/meminfo"));
  MemInfo m;
  bool have_total = false, have_avail = false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string key, unit;
    long double kb = -1;
    ls >> key >> kb >> unit;
    if (kb < 0 || unit != "kB") continue;
    const uint64_t bytes = static_cast<uint64_t>(kb) * 1024;
    if (key == "MemTotal:") { m.total_bytes = bytes; have_total = true; }
    if (key == "MemAvailable:") { m.available_bytes = bytes; have_avail = true; }
  }
  if (!have_total || !have_avail || m.total_bytes == 0) {
    return CorruptError("'" + root.Resolve("/proc/meminfo") +
                        "' lacks 'MemTotal: N kB' or 'MemAvailable: N kB' (a kernel older than 3.14, or not procfs?)");
  }
  return m;
}

Result<DeviceSpec> LoadDeviceSpecFile(const std::string& path, const telemetry::SysfsRoot& root) {
  DeviceSpec d;
  EDGELM_ASSIGN_OR_RETURN(d.profile, telemetry::LoadDeviceProfileFile(path));
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const std::exception& e) {
    return CorruptError("device profile '" + path + "': " + e.what());
  }
  const std::string where = "device profile '" + path + "'";
  const toml::table* power = doc["power"].as_table();
  if (auto prov = (*power)["provenance"].value<std::string>()) {
    auto parsed = ParseProvenance(*prov);
    if (!parsed.ok()) return parsed.status().WithContext(where + " [power]");
    d.power_provenance = *parsed;
  }
  const toml::table* memory = doc["memory"].as_table();
  EDGELM_ASSIGN_OR_RETURN(d.total_memory_bytes, ReadFigure(memory, "total_gib", kGiB, where + " [memory]"));
  EDGELM_ASSIGN_OR_RETURN(d.usable_memory_bytes, ReadFigure(memory, "usable_gib", kGiB, where + " [memory]"));
  EDGELM_ASSIGN_OR_RETURN(d.memory_bandwidth_bytes_per_s,
                          ReadFigure(memory, "bandwidth_gb_per_s", 1e9, where + " [memory]"));
  if (memory != nullptr && (*memory)["measure"].value_or(std::string()) == "meminfo") {
    // A machine without a readable /proc/meminfo keeps its memory absent (with a note)
    // rather than failing every profile listing.
    auto mi = ReadMemInfo(root);
    if (mi.ok()) {
      const std::string src = root.Resolve("/proc/meminfo");
      d.total_memory_bytes = Figure{static_cast<double>(mi->total_bytes), Provenance::kMeasured, src + " MemTotal", ""};
      d.usable_memory_bytes =
          Figure{static_cast<double>(mi->available_bytes), Provenance::kMeasured, src + " MemAvailable", ""};
    } else {
      d.notes.push_back("memory not measured: " + mi.status().message());
    }
  }
  if (d.total_memory_bytes && d.usable_memory_bytes && d.usable_memory_bytes->value > d.total_memory_bytes->value) {
    return CorruptError(where + ": usable memory (" + std::to_string(d.usable_memory_bytes->value / kGiB) +
                        " GiB) exceeds total memory (" + std::to_string(d.total_memory_bytes->value / kGiB) + " GiB)");
  }
  EDGELM_ASSIGN_OR_RETURN(d.price_usd, ReadFigure(doc["price"].as_table(), "usd", 1.0, where + " [price]"));
  EDGELM_ASSIGN_OR_RETURN(d.compute_flops_per_s,
                          ReadFigure(doc["compute"].as_table(), "cpu_gflops", 1e9, where + " [compute]"));
  return d;
}

Result<std::vector<DeviceSpec>> LoadDeviceSpecs(const std::string& dir, const telemetry::SysfsRoot& root) {
  EDGELM_ASSIGN_OR_RETURN(std::vector<telemetry::DeviceProfile> profiles, telemetry::LoadDeviceProfiles(dir));
  std::vector<DeviceSpec> out;
  for (const auto& p : profiles) {
    EDGELM_ASSIGN_OR_RETURN(DeviceSpec d, LoadDeviceSpecFile(p.path, root));
    out.push_back(std::move(d));
  }
  std::sort(out.begin(), out.end(), [](const DeviceSpec& a, const DeviceSpec& b) { return a.id() < b.id(); });
  return out;
}

Result<DeviceSpec> FindDeviceSpec(const std::string& id_or_path, const std::string& dir,
                                  const telemetry::SysfsRoot& root) {
  if (id_or_path.find('/') != std::string::npos ||
      (id_or_path.size() > 5 && id_or_path.substr(id_or_path.size() - 5) == ".toml")) {
    return LoadDeviceSpecFile(id_or_path, root);
  }
  EDGELM_ASSIGN_OR_RETURN(std::vector<DeviceSpec> all, LoadDeviceSpecs(dir, root));
  std::string ids;
  for (auto& d : all) {
    if (d.id() == id_or_path) return std::move(d);
    ids += (ids.empty() ? "" : ", ") + d.id();
  }
  return NotFoundError("no device '" + id_or_path + "' in '" + dir + "' (known devices: " + ids + ")");
}

Result<PowerFigures> DevicePower(const DeviceSpec& d, const std::string& mode) {
  EDGELM_ASSIGN_OR_RETURN(telemetry::PowerModel m, telemetry::ProfilePowerModel(d.profile, mode));
  const std::string src = d.profile.path + " [power]" + (mode.empty() ? "" : " mode " + mode) + ": " + d.profile.power_basis;
  PowerFigures p;
  p.idle_watts = Figure{m.idle_watts, d.power_provenance, src, ""};
  p.peak_watts = Figure{m.max_watts, d.power_provenance, src, ""};
  return p;
}

}  // namespace edgelm::analysis
