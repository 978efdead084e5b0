// The KV cache of a session: for every layer the keys [n_ctx][n_kv] (one row per
// position) and the values transposed [n_kv][n_ctx] (one row per channel), in F32 or
// F16. Keys by position and values by channel make both attention products plain dot
// products that the kernel table's F32/F16 vec_dot computes — the same layout and
// rounding (query and attention weights converted to the cache type) as llama.cpp's
// non-flash attention, so an F16 cache matches its F16-cache results closely.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "edgelm/engine.h"
#include "gguf/ggml_types.h"

namespace edgelm {

class KvCache {
 public:
  // Allocates the cache; ResourceExhausted when the memory is not available.
  Status Allocate(KvCacheType type, uint32_t n_layer, uint32_t n_ctx, uint32_t n_kv);

  GgmlType element_type() const { return type_ == KvCacheType::kF16 ? GgmlType::kF16 : GgmlType::kF32; }
  KvCacheType type() const { return type_; }
  uint32_t n_ctx() const { return n_ctx_; }
  uint64_t bytes() const { return data_.size(); }
  size_t element_bytes() const { return elem_bytes_; }

  // Key row of `pos` in `layer`: n_kv elements.
  const void* KeyRow(uint32_t layer, uint32_t pos) const { return data_.data() + KeyOffset(layer, pos); }
  // Value channel c of `layer`: n_ctx elements (positions).
  const void* ValueChannel(uint32_t layer, uint32_t c) const { return data_.data() + ValueOffset(layer, c); }

  // Stores the keys/values of n_tokens positions starting at `pos` (rows of n_kv floats).
  void Store(uint32_t layer, uint32_t pos, int64_t n_tokens, const float* k, const float* v);

 private:
  uint64_t KeyOffset(uint32_t layer, uint32_t pos) const {
    return (static_cast<uint64_t>(layer) * 2 * n_ctx_ * n_kv_ + static_cast<uint64_t>(pos) * n_kv_) * elem_bytes_;
  }
  uint64_t ValueOffset(uint32_t layer, uint32_t c) const {
    return (static_cast<uint64_t>(layer) * 2 * n_ctx_ * n_kv_ + static_cast<uint64_t>(n_ctx_) * n_kv_ +
            static_cast<uint64_t>(c) * n_ctx_) * elem_bytes_;
  }

  KvCacheType type_ = KvCacheType::kF16;
  uint32_t n_layer_ = 0, n_ctx_ = 0, n_kv_ = 0;
  size_t elem_bytes_ = 2;
  std::vector<uint8_t> data_;
};

}  // namespace edgelm
