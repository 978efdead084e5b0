// Overflow-checked size arithmetic for parsing untrusted files: every multiply and add
// that sizes an allocation or an offset goes through these.
#pragma once

#include <cstdint>
#include <optional>

namespace edgelm {

inline std::optional<uint64_t> CheckedMul(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

inline std::optional<uint64_t> CheckedAdd(uint64_t a, uint64_t b) {
  uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

// Rounds up to a multiple of `alignment` (a power of two); nullopt on overflow.
inline std::optional<uint64_t> CheckedAlignUp(uint64_t v, uint64_t alignment) {
  auto r = CheckedAdd(v, alignment - 1);
  if (!r) return std::nullopt;
  return *r & ~(alignment - 1);
}

inline bool IsPowerOfTwo(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }

}  // namespace edgelm
