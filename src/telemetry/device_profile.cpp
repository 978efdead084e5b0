#include "telemetry/device_profile.h"

#include <cstdlib>

#include <toml++/toml.h>

namespace edgelm::telemetry {
namespace {

Result<PowerModel> ReadPowerModel(const toml::table& t, const std::string& where) {
  PowerModel m;
  auto idle = t["idle_watts"].value<double>();
  auto max = t["max_watts"].value<double>();
  if (!idle || !max) {
    return CorruptError(where + ": needs numbers idle_watts and max_watts");
  }
  if (!(*idle >= 0) || !(*max >= *idle) || *max > 100000) {
    return CorruptError(where + ": expected 0 <= idle_watts <= max_watts <= 100000, found idle " +
                        std::to_string(*idle) + " max " + std::to_string(*max));
  }
  m.idle_watts = *idle;
  m.max_watts = *max;
  return m;
}

std::string Stem(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.rfind('.');
  return dot == std::string::npos ? base : base.substr(0, dot);
}

}  // namespace

std::string DeviceProfileDir() {
  const char* env = std::getenv("EDGELM_DEVICE_DIR");
  if (env != nullptr && env[0] != '\0') return env;
  return EDGELM_DEVICE_DATA_DIR;
}

Result<DeviceProfile> LoadDeviceProfileFile(const std::string& path) {
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    return CorruptError("device profile '" + path + "' line " + std::to_string(src.begin.line) + ": " +
                        std::string(e.description()));
  } catch (const std::exception& e) {
    return IoError("cannot read device profile '" + path + "': " + e.what());
  }
  DeviceProfile p;
  p.path = path;
  p.id = doc["id"].value_or(std::string());
  if (p.id.empty()) p.id = Stem(path);
  p.name = doc["name"].value_or(p.id);
  if (const toml::array* arr = doc["match_model"].as_array()) {
    for (const auto& el : *arr) {
      if (auto s = el.value<std::string>()) p.match_model.push_back(*s);
    }
  }
  const toml::table* power = doc["power"].as_table();
  if (power == nullptr) return CorruptError("device profile '" + path + "' has no [power] table");
  p.power_basis = (*power)["basis"].value_or(std::string());
  if (p.power_basis.empty()) {
    return CorruptError("device profile '" + path + "': [power] needs a 'basis' saying where the numbers come from");
  }
  p.default_mode = (*power)["default_mode"].value_or(std::string());
  if (const toml::table* modes = (*power)["modes"].as_table()) {
    for (const auto& [key, node] : *modes) {
      const toml::table* mt = node.as_table();
      const std::string name(key.str());
      if (mt == nullptr) return CorruptError("device profile '" + path + "': power.modes." + name + " is not a table");
      EDGELM_ASSIGN_OR_RETURN(PowerModel m, ReadPowerModel(*mt, "device profile '" + path + "' power.modes." + name));
      p.modes[name] = m;
    }
  }
  if (!p.modes.empty()) {
    if (p.default_mode.empty() || !p.modes.count(p.default_mode)) {
      return CorruptError("device profile '" + path + "': power.default_mode must name one of its modes");
    }
    p.power = p.modes[p.default_mode];
  } else {
    EDGELM_ASSIGN_OR_RETURN(p.power, ReadPowerModel(*power, "device profile '" + path + "' [power]"));
  }
  return p;
}

Result<std::vector<DeviceProfile>> LoadDeviceProfiles(const std::string& dir) {
  SysfsRoot fs("/");
  std::vector<DeviceProfile> out;
  for (const std::string& name : fs.List(dir)) {
    if (name.size() < 6 || name.substr(name.size() - 5) != ".toml") continue;
    EDGELM_ASSIGN_OR_RETURN(DeviceProfile p, LoadDeviceProfileFile(dir + "/" + name));
    out.push_back(std::move(p));
  }
  if (out.empty()) {
    return NotFoundError("no device profiles (*.toml) in '" + dir +
                         "': set EDGELM_DEVICE_DIR to the edgelm data/devices directory");
  }
  return out;
}

std::string MachineModel(const SysfsRoot& root) {
  // The device-tree model ends with a NUL byte.
  if (auto text = root.ReadText("/proc/device-tree/model"); text.ok()) {
    std::string s = *text;
    while (!s.empty() && (s.back() == '\0' || s.back() == '\n')) s.pop_back();
    if (!s.empty()) return s;
  }
  if (auto dmi = root.ReadLineOrNull("/sys/class/dmi/id/product_name")) return *dmi;
  return "";
}

Result<DeviceProfile> SelectDeviceProfile(const std::string& spec, const std::string& dir,
                                          const SysfsRoot& root) {
  if (spec.find('/') != std::string::npos || (spec.size() > 5 && spec.substr(spec.size() - 5) == ".toml")) {
    return LoadDeviceProfileFile(spec);
  }
  EDGELM_ASSIGN_OR_RETURN(std::vector<DeviceProfile> all, LoadDeviceProfiles(dir));
  if (spec.empty() || spec == "auto") {
    const std::string model = MachineModel(root);
    if (!model.empty()) {
      for (const auto& p : all) {
        for (const auto& m : p.match_model) {
          if (!m.empty() && model.find(m) != std::string::npos) return p;
        }
      }
    }
    for (const auto& p : all) {
      if (p.id == "this-machine") return p;
    }
    return NotFoundError("no device profile matches '" + model + "' and there is no generic this-machine.toml in '" + dir + "'");
  }
  std::string ids;
  for (const auto& p : all) {
    if (p.id == spec) return p;
    ids += (ids.empty() ? "" : ", ") + p.id;
  }
  return NotFoundError("no device profile '" + spec + "' in '" + dir + "' (known: " + ids + ")");
}

Result<PowerModel> ProfilePowerModel(const DeviceProfile& p, const std::string& mode) {
  if (mode.empty()) return p.power;
  auto it = p.modes.find(mode);
  if (it == p.modes.end()) {
    std::string known;
    for (const auto& [k, v] : p.modes) known += (known.empty() ? "" : ", ") + k;
    return InvalidArgumentError("device profile '" + p.id + "' has no power mode '" + mode + "'" +
                                (known.empty() ? " (it has no modes)" : " (modes: " + known + ")"));
  }
  return it->second;
}

}  // namespace edgelm::telemetry
