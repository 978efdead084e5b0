// A stand-in libnvidia-ml.so.1 for tests: implements the NVML calls edgelm uses with
// values the test scripts through FakeNvmlSet(), so edgelm's real dlopen/dlsym path runs
// on machines without an NVIDIA driver. Signatures follow NVIDIA's documented C API.
#include <cstdio>
#include <cstring>

namespace {

struct State {
  unsigned count = 1;
  bool energy_supported = true;
  unsigned long long energy_mj = 0;
  unsigned power_mw = 0;
  unsigned long long mem_total = 16ull << 30, mem_used = 1ull << 30;
  int init_calls = 0, shutdown_calls = 0;
  bool fail_init = false;
} g;

struct FakeDevice {
  unsigned index;
};
FakeDevice g_devices[8] = {{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}};

constexpr int kSuccess = 0, kUninitialized = 1, kInvalidArgument = 2, kNotSupported = 3;

}  // namespace

extern "C" {

struct nvmlMemory_st {
  unsigned long long total, free, used;
};

// Test control: the next reads return these values.
__attribute__((visibility("default"))) void FakeNvmlSet(unsigned count, int energy_supported,
                                                        unsigned long long energy_mj, unsigned power_mw,
                                                        int fail_init) {
  g.count = count > 8 ? 8 : count;
  g.energy_supported = energy_supported != 0;
  g.energy_mj = energy_mj;
  g.power_mw = power_mw;
  g.fail_init = fail_init != 0;
}
__attribute__((visibility("default"))) int FakeNvmlInitCalls() { return g.init_calls; }
__attribute__((visibility("default"))) int FakeNvmlShutdownCalls() { return g.shutdown_calls; }

int nvmlInit_v2() {
  ++g.init_calls;
  return g.fail_init ? 9 /* NVML_ERROR_DRIVER_NOT_LOADED */ : kSuccess;
}
int nvmlShutdown() {
  ++g.shutdown_calls;
  return kSuccess;
}
int nvmlDeviceGetCount_v2(unsigned* count) {
  if (!count) return kInvalidArgument;
  *count = g.count;
  return kSuccess;
}
int nvmlDeviceGetHandleByIndex_v2(unsigned index, void** device) {
  if (!device || index >= g.count) return kInvalidArgument;
  *device = &g_devices[index];
  return kSuccess;
}
int nvmlDeviceGetName(void* device, char* name, unsigned length) {
  if (!device || !name) return kInvalidArgument;
  std::snprintf(name, length, "Fake GPU %u", static_cast<FakeDevice*>(device)->index);
  return kSuccess;
}
int nvmlDeviceGetTotalEnergyConsumption(void* device, unsigned long long* mj) {
  if (!device || !mj) return kInvalidArgument;
  if (!g.energy_supported) return kNotSupported;
  // Each GPU reports the scripted counter plus 1000 mJ x its index, so tests can tell them apart.
  *mj = g.energy_mj + 1000ull * static_cast<FakeDevice*>(device)->index;
  return kSuccess;
}
int nvmlDeviceGetPowerUsage(void* device, unsigned* mw) {
  if (!device || !mw) return kInvalidArgument;
  *mw = g.power_mw;
  return kSuccess;
}
int nvmlDeviceGetMemoryInfo(void* device, nvmlMemory_st* mem) {
  if (!device || !mem) return kInvalidArgument;
  mem->total = g.mem_total;
  mem->used = g.mem_used;
  mem->free = g.mem_total - g.mem_used;
  return kSuccess;
}
const char* nvmlErrorString(int r) {
  switch (r) {
    case kSuccess: return "Success";
    case kUninitialized: return "Uninitialized";
    case kInvalidArgument: return "Invalid Argument";
    case kNotSupported: return "Not Supported";
    default: return "Unknown Error";
  }
}

}  // extern "C"
