// MatMul: prepare the activations once, then one vec_dot per output element.
//
// Goals: the activation row of each token is quantized exactly once per call (not once per
// output row); output rows are split across the pool in contiguous chunks so that every
// output element is produced by one vec_dot call whatever the thread count (bit-identical
// results for 1..N threads); for prefill a tile of weight rows is dotted with all tokens
// before moving on, so those rows are read from memory once and then served from cache;
// where the type has a tile kernel (kernel_table.h) prefill runs it on gemm_rows x
// gemm_tokens tiles, reusing every loaded weight block across tokens, with vec_dot for
// the rows and tokens left over (the tile kernel is bit-identical to vec_dot, so the
// split does not change any value). Non-goals: tiling over n_in (kernels see whole rows).
#include "kernels/matmul.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/status.h"
#include "gguf/ggml_types.h"

namespace edgelm {
namespace {

// Granularity of the row split. ChunkRange hands each thread one contiguous range, so
// the grain only rounds the range bounds: it costs nothing per row, and a coarse one
// unbalances small matrices on many cores (896 rows in groups of 8 over 64 threads:
// 1 or 2 groups each, 88 % efficiency). Decode and untiled prefill call vec_dot per
// row and split at any row (grain 1); the tile path splits at tile multiples.
constexpr int64_t kRowGrain = 1;
// Weight rows kept hot while every token of a prefill batch is dotted with them. 8 rows of
// a 4096-wide Q4_K matrix are 18 KiB, of F16 64 KiB: within L1/L2 on the targeted CPUs.
constexpr int64_t kRowTile = 8;
// Tokens whose prepared activations are kept hot while a thread's rows pass over them
// with the tile kernel: 64 tokens of a 4096-wide Q8_0 row are 272 KiB, an L2's worth.
constexpr int64_t kTokenBlock = 64;

// Prefill with a tile kernel over rows [r0, r1) of all tokens.
void TiledRows(const TypeKernels& k, const uint8_t* wdata, uint64_t row_bytes, const uint8_t* act,
               uint64_t act_row_bytes, int64_t n_in, int64_t n_out, int64_t n_tokens, float* y, int64_t r0,
               int64_t r1) {
  const int64_t rm = k.gemm_rows, rn = k.gemm_tokens;
  const int64_t r_tiled = r0 + (r1 - r0) / rm * rm;
  for (int64_t t0 = 0; t0 < n_tokens; t0 += kTokenBlock) {
    const int64_t t1 = std::min(n_tokens, t0 + kTokenBlock);
    const int64_t t_tiled = t0 + (t1 - t0) / rn * rn;
    for (int64_t r = r0; r < r_tiled; r += rm) {
      const uint8_t* w = wdata + static_cast<uint64_t>(r) * row_bytes;
      for (int64_t t = t0; t < t_tiled; t += rn) {
        k.gemm_tile(n_in, w, row_bytes, act + static_cast<uint64_t>(t) * act_row_bytes, act_row_bytes,
                    y + t * n_out + r, n_out);
      }
      for (int64_t t = t_tiled; t < t1; ++t) {
        for (int64_t i = 0; i < rm; ++i) {
          k.vec_dot(n_in, w + static_cast<uint64_t>(i) * row_bytes, act + static_cast<uint64_t>(t) * act_row_bytes,
                    y + t * n_out + r + i);
        }
      }
    }
    for (int64_t r = r_tiled; r < r1; ++r) {
      for (int64_t t = t0; t < t1; ++t) {
        k.vec_dot(n_in, wdata + static_cast<uint64_t>(r) * row_bytes, act + static_cast<uint64_t>(t) * act_row_bytes,
                  y + t * n_out + r);
      }
    }
  }
}

}  // namespace

void MatMul(const KernelTable& kernels, ThreadPool& pool, const WeightView& w, const float* x,
            int64_t n_tokens, float* y, MatMulScratch& scratch) {
  if (n_tokens <= 0 || w.n_out <= 0) return;
  const TypeKernels& k = kernels.For(w.type);
  EDGELM_CHECK_MSG(k.supported && k.vec_dot != nullptr,
                   "MatMul: no kernel for weight type " + GgmlTypeName(w.type) +
                       " (the model loader must reject unsupported types)");
  const auto expect_row_bytes = GgmlRowBytes(w.type, static_cast<uint64_t>(w.n_in));
  EDGELM_CHECK_MSG(expect_row_bytes.has_value() && *expect_row_bytes <= w.row_bytes,
                   "MatMul: row of " + std::to_string(w.n_in) + " " + GgmlTypeName(w.type) +
                       " elements does not fit row_bytes " + std::to_string(w.row_bytes));
  const auto act_row_bytes_opt = GgmlRowBytes(k.act_type, static_cast<uint64_t>(w.n_in));
  EDGELM_CHECK_MSG(act_row_bytes_opt.has_value(),
                   "MatMul: n_in " + std::to_string(w.n_in) + " is not a block multiple of " +
                       GgmlTypeName(k.act_type));

  // Prepared activations: F32 activations are used in place; every other format is
  // produced once per token into the caller's scratch.
  const uint8_t* act = reinterpret_cast<const uint8_t*>(x);
  uint64_t act_row_bytes = static_cast<uint64_t>(w.n_in) * sizeof(float);
  if (k.act_type != GgmlType::kF32) {
    EDGELM_CHECK(k.quantize_act != nullptr);
    act_row_bytes = *act_row_bytes_opt;
    const uint64_t need = act_row_bytes * static_cast<uint64_t>(n_tokens);
    if (scratch.act.size() < need) scratch.act.resize(need);
    uint8_t* dst = scratch.act.data();
    const int64_t n_in = w.n_in;
    // Each token row is quantized independently, so splitting tokens across threads
    // gives the same bytes as doing it on one.
    pool.ParallelFor(n_tokens, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        k.quantize_act(x + t * n_in, dst + static_cast<uint64_t>(t) * act_row_bytes, n_in);
      }
    });
    act = dst;
  }

  const auto* wdata = static_cast<const uint8_t*>(w.data);
  const VecDotFn vec_dot = k.vec_dot;
  const int64_t n_in = w.n_in;
  const int64_t n_out = w.n_out;
  const uint64_t row_bytes = w.row_bytes;
  if (n_tokens > 1 && k.gemm_tile != nullptr) {
    // Chunks are multiples of the tile height so that only the last one is ragged.
    const int64_t grain = std::max<int64_t>(kRowGrain, k.gemm_rows);
    pool.ParallelFor(n_out, grain, [&](int64_t r0, int64_t r1) {
      TiledRows(k, wdata, row_bytes, act, act_row_bytes, n_in, n_out, n_tokens, y, r0, r1);
    });
    return;
  }
  pool.ParallelFor(n_out, kRowGrain, [&](int64_t r0, int64_t r1) {
    if (n_tokens == 1) {
      int64_t r = r0;
      if (k.gemv_tile != nullptr) {
        // Several rows per call share the activation loads; same values as vec_dot.
        for (; r + k.gemv_rows <= r1; r += k.gemv_rows) {
          k.gemv_tile(n_in, wdata + static_cast<uint64_t>(r) * row_bytes, row_bytes, act, act_row_bytes, y + r, n_out);
        }
      }
      for (; r < r1; ++r) {
        vec_dot(n_in, wdata + static_cast<uint64_t>(r) * row_bytes, act, y + r);
      }
      return;
    }
    for (int64_t tile = r0; tile < r1; tile += kRowTile) {
      const int64_t tile_end = std::min(tile + kRowTile, r1);
      for (int64_t t = 0; t < n_tokens; ++t) {
        const uint8_t* a = act + static_cast<uint64_t>(t) * act_row_bytes;
        float* yt = y + t * n_out;
        for (int64_t r = tile; r < tile_end; ++r) {
          vec_dot(n_in, wdata + static_cast<uint64_t>(r) * row_bytes, a, yt + r);
        }
      }
    }
  });
}

}  // namespace edgelm
