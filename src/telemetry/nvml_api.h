// The few NVML declarations edgelm uses, written from NVIDIA's documented C API so that
// no CUDA/NVML headers are needed at build time; the library is dlopen'ed at run time.
#pragma once

namespace edgelm::telemetry::nvml {

using Return = int;  // nvmlReturn_t
inline constexpr Return kSuccess = 0;
inline constexpr Return kErrorNotSupported = 3;
inline constexpr Return kErrorNoPermission = 4;
inline constexpr Return kErrorDriverNotLoaded = 9;
using Device = struct DeviceOpaque*;  // nvmlDevice_t

struct Memory {  // nvmlMemory_t
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

using InitFn = Return (*)();
using ShutdownFn = Return (*)();
using GetCountFn = Return (*)(unsigned int*);
using GetHandleFn = Return (*)(unsigned int, Device*);
using GetEnergyFn = Return (*)(Device, unsigned long long*);  // mJ since driver load
using GetPowerFn = Return (*)(Device, unsigned int*);         // mW
using GetMemoryFn = Return (*)(Device, Memory*);
using GetNameFn = Return (*)(Device, char*, unsigned int);
using ErrorStringFn = const char* (*)(Return);

}  // namespace edgelm::telemetry::nvml
