#include "model/kv_cache.h"

#include <cstring>
#include <new>

#include "core/checked_math.h"
#include "core/fp16.h"

namespace edgelm {

Status KvCache::Allocate(KvCacheType type, uint32_t n_layer, uint32_t n_ctx, uint32_t n_kv) {
  type_ = type;
  n_layer_ = n_layer;
  n_ctx_ = n_ctx;
  n_kv_ = n_kv;
  elem_bytes_ = type == KvCacheType::kF16 ? 2 : 4;
  std::optional<uint64_t> bytes = CheckedMul(2ull * n_layer, n_ctx);
  if (bytes) bytes = CheckedMul(*bytes, n_kv);
  if (bytes) bytes = CheckedMul(*bytes, elem_bytes_);
  if (!bytes || *bytes > (uint64_t{1} << 46)) {
    return ResourceExhaustedError("KV cache for n_ctx=" + std::to_string(n_ctx) + " would need more than 64 TiB");
  }
  try {
    data_.assign(*bytes, 0);
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("cannot allocate the KV cache: " + std::to_string(*bytes) + " bytes for n_ctx=" +
                                  std::to_string(n_ctx) + " (" + KvCacheTypeName(type) +
                                  "); use a smaller --ctx or the f16 cache type");
  }
  return Status::Ok();
}

void KvCache::Store(uint32_t layer, uint32_t pos, int64_t n_tokens, const float* k, const float* v) {
  uint8_t* base = data_.data();
  for (int64_t t = 0; t < n_tokens; ++t) {
    const uint32_t p = pos + static_cast<uint32_t>(t);
    const float* kt = k + t * n_kv_;
    const float* vt = v + t * n_kv_;
    uint8_t* krow = base + KeyOffset(layer, p);
    if (type_ == KvCacheType::kF32) {
      std::memcpy(krow, kt, n_kv_ * sizeof(float));
      for (uint32_t c = 0; c < n_kv_; ++c) {
        reinterpret_cast<float*>(base + ValueOffset(layer, c))[p] = vt[c];
      }
    } else {
      uint16_t* k16 = reinterpret_cast<uint16_t*>(krow);
      for (uint32_t c = 0; c < n_kv_; ++c) k16[c] = F32ToFp16(kt[c]);
      for (uint32_t c = 0; c < n_kv_; ++c) {
        reinterpret_cast<uint16_t*>(base + ValueOffset(layer, c))[p] = F32ToFp16(vt[c]);
      }
    }
  }
}

}  // namespace edgelm
