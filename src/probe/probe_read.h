// Read loops of the bandwidth probe, one per instruction set (internal to the probe).
#pragma once

#include <cstdint>

namespace edgelm::probe_internal {

// Reads n_bytes from p (64-byte aligned) and returns a value depending on all of them.
uint64_t ReadBytesPortable(const uint8_t* p, uint64_t n_bytes);
#if defined(__x86_64__)
uint64_t ReadBytesAvx2(const uint8_t* p, uint64_t n_bytes);
#endif

}  // namespace edgelm::probe_internal
