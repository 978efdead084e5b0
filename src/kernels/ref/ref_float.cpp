// F32, F16 and BF16 rows. As in ggml's scalar path, each product is formed in float and
// the sum is accumulated in double, so long rows do not lose the small terms.
#include <cstring>

#include "core/fp16.h"
#include "core/status.h"
#include "kernels/blocks.h"
#include "kernels/ref/ref_rows.h"
#include "kernels/ref/strict_fp.h"  // last: affects the code below

namespace edgelm::ref {

void ConvertRowF32(const float* x, void* out, int64_t n) {
  std::memcpy(out, x, static_cast<size_t>(n) * sizeof(float));
}

void DequantizeRowF32(const void* row, float* out, int64_t n) {
  std::memcpy(out, row, static_cast<size_t>(n) * sizeof(float));
}

void VecDotF32(int64_t n, const void* w, const void* a, float* out) {
  const float* wf = static_cast<const float*>(w);
  const float* af = static_cast<const float*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(wf[i] * af[i]);
  *out = static_cast<float>(sum);
}

void ConvertRowF16(const float* x, void* out, int64_t n) {
  fp16_t* h = static_cast<fp16_t*>(out);
  for (int64_t i = 0; i < n; ++i) h[i] = F32ToFp16(x[i]);
}

void DequantizeRowF16(const void* row, float* out, int64_t n) {
  const fp16_t* h = static_cast<const fp16_t*>(row);
  for (int64_t i = 0; i < n; ++i) out[i] = Fp16ToF32(h[i]);
}

void VecDotF16(int64_t n, const void* w, const void* a, float* out) {
  const fp16_t* wh = static_cast<const fp16_t*>(w);
  const fp16_t* ah = static_cast<const fp16_t*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(Fp16ToF32(wh[i]) * Fp16ToF32(ah[i]));
  *out = static_cast<float>(sum);
}

void ConvertRowBF16(const float* x, void* out, int64_t n) {
  bf16_t* b = static_cast<bf16_t*>(out);
  for (int64_t i = 0; i < n; ++i) b[i] = F32ToBf16(x[i]);
}

void DequantizeRowBF16(const void* row, float* out, int64_t n) {
  const bf16_t* b = static_cast<const bf16_t*>(row);
  for (int64_t i = 0; i < n; ++i) out[i] = Bf16ToF32(b[i]);
}

void VecDotBF16(int64_t n, const void* w, const void* a, float* out) {
  const bf16_t* wb = static_cast<const bf16_t*>(w);
  const bf16_t* ab = static_cast<const bf16_t*>(a);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(Bf16ToF32(wb[i]) * Bf16ToF32(ab[i]));
  *out = static_cast<float>(sum);
}

}  // namespace edgelm::ref
