// Matrix multiplication of a (possibly quantized) weight matrix with f32 activations:
// the hot path of prefill (many tokens) and decode (one token).
#pragma once

#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/kernel_table.h"

namespace edgelm {

// A weight matrix in place in the model file: n_out rows of n_in elements (ggml ne0 = n_in).
struct WeightView {
  GgmlType type = GgmlType::kF32;
  const void* data = nullptr;
  int64_t n_in = 0;
  int64_t n_out = 0;
  uint64_t row_bytes = 0;
};

// Reusable buffers (the prepared activations), owned by the caller so that a session's
// scratch memory is allocated once and reported.
struct MatMulScratch {
  std::vector<uint8_t> act;
  uint64_t capacity_bytes() const { return act.capacity(); }
};

// y[t * n_out + r] = dot(row r of w, x[t * n_in ... + n_in]) for t in [0, n_tokens).
// Work is split by output rows across the pool, so y does not depend on its size.
void MatMul(const KernelTable& kernels, ThreadPool& pool, const WeightView& w, const float* x,
            int64_t n_tokens, float* y, MatMulScratch& scratch);

// Builds the kernel table for an ISA path: the scalar kernels, then the path's SIMD
// kernels over them. The ISA must be available (core/cpu_features.h IsaAvailable).
KernelTable MakeKernelTable(Isa isa);

}  // namespace edgelm
