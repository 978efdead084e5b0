// ggml tensor type ids and their block geometry: facts of the GGUF container, needed to
// size tensors. Whether the engine can compute with a type is the kernels layer's
// business (kernels/type_traits.h), not this file's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace edgelm {

enum class GgmlType : uint32_t {
  kF32 = 0, kF16 = 1, kQ4_0 = 2, kQ4_1 = 3, kQ5_0 = 6, kQ5_1 = 7, kQ8_0 = 8, kQ8_1 = 9,
  kQ2_K = 10, kQ3_K = 11, kQ4_K = 12, kQ5_K = 13, kQ6_K = 14, kQ8_K = 15,
  kIQ2_XXS = 16, kIQ2_XS = 17, kIQ3_XXS = 18, kIQ1_S = 19, kIQ4_NL = 20, kIQ3_S = 21,
  kIQ2_S = 22, kIQ4_XS = 23, kI8 = 24, kI16 = 25, kI32 = 26, kI64 = 27, kF64 = 28,
  kIQ1_M = 29, kBF16 = 30, kTQ1_0 = 34, kTQ2_0 = 35, kMXFP4 = 39,
};

struct GgmlTypeInfo {
  GgmlType type;
  const char* name;      // "Q4_K", as ggml and llama.cpp spell it
  uint32_t block_size;   // elements per block (1 for plain types)
  uint32_t block_bytes;  // bytes per block
};

// Geometry of a type id known to ggml, or nullptr for an id no ggml version defines.
const GgmlTypeInfo* FindGgmlTypeInfo(uint32_t id);
inline const GgmlTypeInfo* FindGgmlTypeInfo(GgmlType t) { return FindGgmlTypeInfo(static_cast<uint32_t>(t)); }
// "Q4_K", or "type 123" for an unknown id.
std::string GgmlTypeName(uint32_t id);
inline std::string GgmlTypeName(GgmlType t) { return GgmlTypeName(static_cast<uint32_t>(t)); }
// Case-insensitive "q4_k" / "Q4_K" / "f16" -> type.
std::optional<GgmlType> ParseGgmlTypeName(const std::string& name);
// Bytes of a row of n elements (n a multiple of the block size), nullopt otherwise.
std::optional<uint64_t> GgmlRowBytes(GgmlType t, uint64_t n);

}  // namespace edgelm
