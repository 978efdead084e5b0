// `edgelm doctor`: what this machine offers for running and measuring, and the exact
// fix for each missing or unreadable sensor. The work is in telemetry/doctor.h.
#include <cstdio>
#include <memory>
#include <string>

#include "command_registry.h"
#include "telemetry/doctor.h"

namespace edgelm::cli {
namespace {

struct DoctorFlags {
  std::string sysfs_root;
  std::string device_profile = "auto";
  bool json = false;
};

CommandRunner AddDoctor(CLI::App& root) {
  auto flags = std::make_shared<DoctorFlags>();
  CLI::App* sub = root.add_subcommand(
      "doctor", "Check what this machine offers for running and measuring: ISA, cores, memory, "
                "energy sensors (and how to fix unreadable ones), governor, thermal zones, counters");
  sub->add_option("--sysfs-root", flags->sysfs_root,
                  "Read /sys and /proc under this directory (a fixture tree or a mounted image); "
                  "default: env EDGELM_SYSFS_ROOT, else /");
  sub->add_option("--device-profile", flags->device_profile,
                  "Device profile for the labelled estimate: auto, an id from data/devices, or a .toml path");
  sub->add_flag("--json", flags->json, "Print JSON instead of text");
  return [flags]() {
    telemetry::DoctorOptions o;
    o.sysfs_root = flags->sysfs_root;
    o.device_profile = flags->device_profile;
    if (!o.sysfs_root.empty()) {
      telemetry::SysfsRoot r(o.sysfs_root);
      if (!r.IsDirectory("/")) return UsageError("--sysfs-root '" + o.sysfs_root + "' is not a directory");
    }
    telemetry::DoctorReport report = telemetry::RunDoctor(o);
    const std::string text = flags->json ? telemetry::DoctorJson(report) + "\n" : telemetry::DoctorText(report);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return kExitOk;
  };
}

EDGELM_REGISTER_COMMAND(90, AddDoctor);

}  // namespace
}  // namespace edgelm::cli
