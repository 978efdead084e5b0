// NVIDIA GPUs through NVML, loaded with dlopen("libnvidia-ml.so.1") at run time, so
// edgelm builds and runs without the driver. Energy: nvmlDeviceGetTotalEnergyConsumption
// (mJ counter, Volta and newer) where supported, else nvmlDeviceGetPowerUsage (mW)
// integrated. The library path can be overridden (EDGELM_NVML_LIBRARY) for tests.
#include <dlfcn.h>

#include <memory>

#include "telemetry/nvml_api.h"
#include "telemetry/sources.h"

namespace edgelm::telemetry {
namespace {

// Both the energy counter and the power reading refresh about every 20-100 ms
// depending on the GPU; 20 ms is the fastest useful read.
constexpr int64_t kNvmlMinIntervalNs = 20'000'000;

struct NvmlLib {
  void* handle = nullptr;
  nvml::InitFn init = nullptr;
  nvml::ShutdownFn shutdown = nullptr;
  nvml::GetCountFn get_count = nullptr;
  nvml::GetHandleFn get_handle = nullptr;
  nvml::GetEnergyFn get_energy = nullptr;
  nvml::GetPowerFn get_power = nullptr;
  nvml::GetMemoryFn get_memory = nullptr;
  nvml::GetNameFn get_name = nullptr;
  nvml::ErrorStringFn error_string = nullptr;
  bool initialised = false;

  ~NvmlLib() {
    if (initialised && shutdown) shutdown();
    if (handle) dlclose(handle);
  }
  std::string Error(nvml::Return r) const {
    std::string s = "NVML error " + std::to_string(r);
    if (error_string) {
      const char* text = error_string(r);
      if (text) s += " (" + std::string(text) + ")";
    }
    return s;
  }
};

template <typename Fn>
bool Sym(void* h, const char* name, Fn* out) {
  *out = reinterpret_cast<Fn>(dlsym(h, name));
  return *out != nullptr;
}

Result<std::shared_ptr<NvmlLib>> LoadNvml(const std::string& path) {
  auto lib = std::make_shared<NvmlLib>();
  lib->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (lib->handle == nullptr) {
    const char* err = dlerror();
    return NotFoundError("cannot load '" + path + "': " + (err ? err : "unknown dlopen error"));
  }
  void* h = lib->handle;
  if (!Sym(h, "nvmlInit_v2", &lib->init) || !Sym(h, "nvmlShutdown", &lib->shutdown) ||
      !Sym(h, "nvmlDeviceGetCount_v2", &lib->get_count) ||
      !Sym(h, "nvmlDeviceGetHandleByIndex_v2", &lib->get_handle)) {
    return UnsupportedError("'" + path + "' lacks nvmlInit_v2/nvmlDeviceGetCount_v2/"
                            "nvmlDeviceGetHandleByIndex_v2: driver too old (NVML before R418?)");
  }
  Sym(h, "nvmlDeviceGetTotalEnergyConsumption", &lib->get_energy);
  Sym(h, "nvmlDeviceGetPowerUsage", &lib->get_power);
  Sym(h, "nvmlDeviceGetMemoryInfo", &lib->get_memory);
  Sym(h, "nvmlDeviceGetName", &lib->get_name);
  Sym(h, "nvmlErrorString", &lib->error_string);
  nvml::Return r = lib->init();
  if (r != nvml::kSuccess) {
    return IoError("nvmlInit_v2 failed: " + lib->Error(r) + " (is the NVIDIA driver loaded? nvidia-smi shows it)");
  }
  lib->initialised = true;
  return lib;
}

struct Gpu {
  unsigned index = 0;
  nvml::Device device = nullptr;
  bool energy_counter = false;
  std::string name;
};

class NvmlSensor : public Sensor {
 public:
  NvmlSensor(std::shared_ptr<NvmlLib> lib, std::vector<Gpu> gpus, std::string path)
      : lib_(std::move(lib)), gpus_(std::move(gpus)), path_(std::move(path)) {
    for (const Gpu& g : gpus_) {
      ChannelInfo c;
      c.name = "gpu" + std::to_string(g.index) + (g.name.empty() ? "" : " (" + g.name + ")");
      if (g.energy_counter) {
        c.quantity = Quantity::kEnergyCounter;
        c.native_unit = "mJ";
        c.to_si = 1e-3;
        c.origin = path_ + ": nvmlDeviceGetTotalEnergyConsumption(" + std::to_string(g.index) + ")";
      } else {
        c.quantity = Quantity::kPower;
        c.native_unit = "mW";
        c.to_si = 1e-3;
        c.origin = path_ + ": nvmlDeviceGetPowerUsage(" + std::to_string(g.index) + ")";
      }
      channels_.push_back(c);
    }
  }
  std::string name() const override { return "nvml"; }
  std::string source() const override { return "nvml"; }
  std::string coverage() const override {
    return "GPU board power of " + std::to_string(gpus_.size()) + " NVIDIA GPU(s) as reported by the driver (not the host)";
  }
  int64_t min_update_interval_ns() const override { return kNvmlMinIntervalNs; }
  const std::vector<ChannelInfo>& channels() const override { return channels_; }
  Status Open() override {
    std::vector<Sample> probe;
    return Read(0, &probe);
  }
  Status Read(int64_t now_ns, std::vector<Sample>* out) override {
    Sample s;
    s.t_ns = now_ns;
    for (const Gpu& g : gpus_) {
      if (g.energy_counter) {
        unsigned long long mj = 0;
        nvml::Return r = lib_->get_energy(g.device, &mj);
        if (r != nvml::kSuccess) return IoError("nvmlDeviceGetTotalEnergyConsumption(gpu" + std::to_string(g.index) + "): " + lib_->Error(r));
        s.values.push_back(double(mj));
      } else {
        unsigned int mw = 0;
        nvml::Return r = lib_->get_power(g.device, &mw);
        if (r != nvml::kSuccess) return IoError("nvmlDeviceGetPowerUsage(gpu" + std::to_string(g.index) + "): " + lib_->Error(r));
        s.values.push_back(double(mw));
      }
    }
    out->push_back(std::move(s));
    return Status::Ok();
  }

 private:
  std::shared_ptr<NvmlLib> lib_;
  std::vector<Gpu> gpus_;
  std::string path_;
  std::vector<ChannelInfo> channels_;
};

}  // namespace

void DiscoverNvml(const ToolPaths& tools, Discovery* out) {
  const std::string path = tools.ResolvedNvml();
  Result<std::shared_ptr<NvmlLib>> lib = LoadNvml(path);
  if (!lib.ok()) {
    bool absent = lib.status().code() == StatusCode::kNotFound;
    out->findings.push_back({"nvml", path, absent ? SourceFinding::State::kAbsent : SourceFinding::State::kUnreadable,
                             lib.status().ToString(),
                             absent ? "no NVIDIA driver here (only needed for NVIDIA GPUs: install the driver, "
                                      "which ships libnvidia-ml.so.1)"
                                    : "check the NVIDIA driver with nvidia-smi"});
    return;
  }
  unsigned int count = 0;
  nvml::Return r = (*lib)->get_count(&count);
  if (r != nvml::kSuccess || count == 0) {
    out->findings.push_back({"nvml", path, SourceFinding::State::kAbsent,
                             r != nvml::kSuccess ? "nvmlDeviceGetCount_v2: " + (*lib)->Error(r) : "NVML reports no GPU",
                             "no NVIDIA GPU visible to this process (check CUDA_VISIBLE_DEVICES and nvidia-smi)"});
    return;
  }
  std::vector<Gpu> gpus;
  for (unsigned i = 0; i < count && i < 64; ++i) {
    Gpu g;
    g.index = i;
    SourceFinding f{"nvml", "gpu" + std::to_string(i), SourceFinding::State::kReadable, "", ""};
    r = (*lib)->get_handle(i, &g.device);
    if (r != nvml::kSuccess) {
      f.state = SourceFinding::State::kUnreadable;
      f.detail = "nvmlDeviceGetHandleByIndex_v2: " + (*lib)->Error(r);
      f.fix = r == nvml::kErrorNoPermission ? "the GPU device node is not accessible: add the user to the 'video' group"
                                            : "check nvidia-smi";
      out->findings.push_back(f);
      continue;
    }
    if ((*lib)->get_name) {
      char name[96] = {0};
      if ((*lib)->get_name(g.device, name, sizeof(name) - 1) == nvml::kSuccess) g.name = name;
    }
    unsigned long long mj = 0;
    unsigned int mw = 0;
    nvml::Return re = (*lib)->get_energy ? (*lib)->get_energy(g.device, &mj) : nvml::kErrorNotSupported;
    nvml::Return rp = (*lib)->get_power ? (*lib)->get_power(g.device, &mw) : nvml::kErrorNotSupported;
    if (re == nvml::kSuccess) {
      g.energy_counter = true;
      f.detail = g.name + ": energy counter " + std::to_string(mj) + " mJ";
    } else if (rp == nvml::kSuccess) {
      f.detail = g.name + ": no energy counter (" + (*lib)->Error(re) + "), power " + std::to_string(mw) + " mW integrated";
    } else {
      f.state = SourceFinding::State::kUnreadable;
      f.detail = g.name + ": neither energy (" + (*lib)->Error(re) + ") nor power (" + (*lib)->Error(rp) + ") readable";
      f.fix = "this GPU does not report power through NVML (some consumer and embedded GPUs): use --power-cmd with an external meter";
      out->findings.push_back(f);
      continue;
    }
    if ((*lib)->get_memory) {
      nvml::Memory mem{};
      if ((*lib)->get_memory(g.device, &mem) == nvml::kSuccess) {
        f.detail += "; memory " + std::to_string(mem.used >> 20) + " MiB used of " + std::to_string(mem.total >> 20) + " MiB";
      }
    }
    out->findings.push_back(f);
    gpus.push_back(g);
  }
  if (gpus.empty()) return;
  auto sensor = std::make_unique<NvmlSensor>(*lib, gpus, path);
  Status s = sensor->Open();
  if (!s.ok()) {
    out->findings.push_back({"nvml", path, SourceFinding::State::kUnreadable, s.ToString(), "check nvidia-smi"});
    return;
  }
  out->sensors.push_back(std::move(sensor));
}

}  // namespace edgelm::telemetry
