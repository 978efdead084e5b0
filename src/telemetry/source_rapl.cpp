// RAPL through powercap: /sys/class/powercap/intel-rapl:N[:M]/{name,energy_uj,
// max_energy_range_uj}. AMD Zen exposes the same layout (driver intel_rapl on AMD, and
// "amd-rapl" naming on some kernels).
//
// Domains: package-N (cores + uncore of a socket), core and uncore (inside their
// package), dram (NOT inside package), psys (the whole platform on laptops/desktops:
// contains packages and DRAM). Totals: psys alone, or packages + DRAM, never both.
// intel-rapl-mmio:* repeats the package domain through MMIO and is skipped.
#include <cstdio>

#include "telemetry/sources.h"

namespace edgelm::telemetry {
namespace {

constexpr const char* kPowercap = "/sys/class/powercap";

struct RaplZone {
  std::string dir;   // /sys/class/powercap/intel-rapl:0:1
  std::string id;    // intel-rapl:0:1
  std::string name;  // package-0, core, uncore, dram, psys
  uint64_t max_range_uj = 0;
  bool top_level = false;
};

class RaplSensor : public Sensor {
 public:
  RaplSensor(SysfsRoot root, std::vector<RaplZone> zones, bool use_psys)
      : root_(std::move(root)), zones_(std::move(zones)), use_psys_(use_psys) {}

  std::string name() const override { return "rapl"; }
  std::string source() const override { return "rapl"; }
  std::string coverage() const override {
    return use_psys_ ? "platform (psys domain: SoC, DRAM and more as the firmware defines it); "
                       "package and DRAM domains reported, not added"
                     : "CPU packages + DRAM (no psys domain); core/uncore reported, inside package";
  }
  // The counters update about every 1 ms; reading faster only returns repeats.
  int64_t min_update_interval_ns() const override { return 1'000'000; }

  Status Open() override {
    channels_.clear();
    files_.clear();
    for (const RaplZone& z : zones_) {
      ChannelInfo c;
      c.name = z.name + (z.name.rfind("package", 0) == 0 ? "" : "@" + z.id);
      c.quantity = Quantity::kEnergyCounter;
      c.native_unit = "uJ";
      c.to_si = 1e-6;
      // energy_uj counts from 0 to max_energy_range_uj and starts over.
      c.wrap_range = double(z.max_range_uj);
      const bool is_package = z.name.rfind("package", 0) == 0;
      if (use_psys_) {
        c.in_total = z.name == "psys";
      } else {
        c.in_total = is_package || z.name == "dram";
      }
      c.origin = root_.Resolve(z.dir + "/energy_uj");
      channels_.push_back(c);
      EDGELM_ASSIGN_OR_RETURN(PolledFile f, root_.OpenPolled(z.dir + "/energy_uj"));
      Result<uint64_t> v = f.ReadUint64();
      if (!v.ok()) return v.status();
      files_.push_back(std::move(f));
    }
    return Status::Ok();
  }
  const std::vector<ChannelInfo>& channels() const override { return channels_; }

  Status Read(int64_t now_ns, std::vector<Sample>* out) override {
    Sample s;
    s.t_ns = now_ns;
    s.values.reserve(files_.size());
    for (const PolledFile& f : files_) {
      EDGELM_ASSIGN_OR_RETURN(uint64_t v, f.ReadUint64());
      s.values.push_back(double(v));
    }
    out->push_back(std::move(s));
    return Status::Ok();
  }

 private:
  SysfsRoot root_;
  std::vector<RaplZone> zones_;
  bool use_psys_;
  std::vector<ChannelInfo> channels_;
  std::vector<PolledFile> files_;
};

bool IsRaplZoneName(const std::string& entry) {
  return entry.rfind("intel-rapl:", 0) == 0 || entry.rfind("amd-rapl:", 0) == 0;
}

}  // namespace

std::string RaplPermissionFix(const std::string& zone_dir) {
  (void)zone_dir;
  return "energy_uj is readable only by root since Linux 5.10 (CVE-2020-8694). "
         "For this boot: sudo chmod o+r /sys/class/powercap/intel-rapl:*/energy_uj "
         "/sys/class/powercap/intel-rapl:*:*/energy_uj . "
         "Permanently, for a group 'power': sudo groupadd -f power && sudo usermod -aG power $USER, "
         "then create /etc/udev/rules.d/99-edgelm-rapl.rules containing "
         "ACTION==\"add\", SUBSYSTEM==\"powercap\", RUN+=\"/bin/chgrp power /sys%p/energy_uj\", "
         "RUN+=\"/bin/chmod g+r /sys%p/energy_uj\" "
         "and run sudo udevadm control --reload && sudo udevadm trigger --subsystem-match=powercap "
         "(log in again for the group). Or run edgelm as root.";
}

void DiscoverRapl(const SysfsRoot& root, bool prefer_psys, Discovery* out) {
  std::vector<RaplZone> zones;
  bool skipped_mmio = false;
  for (const std::string& entry : root.List(kPowercap)) {
    if (entry.rfind("intel-rapl-mmio", 0) == 0) {
      skipped_mmio = true;
      continue;
    }
    if (!IsRaplZoneName(entry)) continue;
    const std::string dir = std::string(kPowercap) + "/" + entry;
    RaplZone z;
    z.dir = dir;
    z.id = entry;
    z.top_level = entry.find(':') == entry.rfind(':');
    z.name = root.ReadLineOrNull(dir + "/name").value_or(entry);
    if (!root.Exists(dir + "/energy_uj")) continue;  // the bare "intel-rapl" control type dir
    SourceFinding f;
    f.source = "rapl";
    f.what = entry + " (" + z.name + ")";
    Result<uint64_t> range = root.ReadUint64(dir + "/max_energy_range_uj");
    int err = root.ReadableErrno(dir + "/energy_uj");
    if (err == EACCES || err == EPERM) {
      f.state = SourceFinding::State::kUnreadable;
      f.detail = root.Resolve(dir + "/energy_uj") + ": " + ErrnoText(err);
      f.fix = RaplPermissionFix(dir);
      out->findings.push_back(f);
      continue;
    }
    Result<uint64_t> energy = root.ReadUint64(dir + "/energy_uj");
    if (!energy.ok() || !range.ok() || *range == 0) {
      f.state = SourceFinding::State::kUnreadable;
      f.detail = !energy.ok() ? energy.status().ToString()
                 : !range.ok() ? range.status().ToString()
                               : "max_energy_range_uj is 0: cannot handle wrap-around";
      f.fix = "the powercap driver returned an error: check dmesg for intel_rapl messages "
              "(a VM or firmware may expose the zone without a working counter)";
      out->findings.push_back(f);
      continue;
    }
    z.max_range_uj = *range;
    f.state = SourceFinding::State::kReadable;
    f.detail = "energy_uj " + std::to_string(*energy) + " uJ, range " + std::to_string(*range) + " uJ";
    out->findings.push_back(f);
    zones.push_back(z);
  }
  if (skipped_mmio) {
    out->findings.push_back({"rapl", "intel-rapl-mmio", SourceFinding::State::kReadable,
                             "skipped: repeats the package domain through MMIO (would count twice)", ""});
  }
  if (zones.empty()) {
    bool any_unreadable = false;
    for (const auto& f : out->findings) any_unreadable |= f.source == "rapl" && f.state == SourceFinding::State::kUnreadable;
    if (!any_unreadable) {
      out->findings.push_back({"rapl", std::string(kPowercap) + "/intel-rapl:*", SourceFinding::State::kAbsent,
                               "no RAPL powercap zones (not an Intel/AMD x86 CPU, a VM without RAPL, "
                               "or the intel_rapl_common module not loaded)",
                               "on x86 hardware: sudo modprobe intel_rapl_msr (and intel_rapl_common); "
                               "in a VM or on ARM there is no RAPL"});
    }
    return;
  }
  bool has_psys = false;
  for (const auto& z : zones) has_psys |= z.name == "psys";
  auto sensor = std::make_unique<RaplSensor>(root, zones, prefer_psys && has_psys);
  Status s = sensor->Open();
  if (!s.ok()) {
    out->findings.push_back({"rapl", kPowercap, SourceFinding::State::kUnreadable, s.ToString(),
                             s.code() == StatusCode::kPermissionDenied ? RaplPermissionFix("") : "check dmesg"});
    return;
  }
  out->sensors.push_back(std::move(sensor));
}

}  // namespace edgelm::telemetry
