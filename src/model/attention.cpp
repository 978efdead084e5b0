#include "model/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "gguf/ggml_types.h"
#include "model/ops.h"

namespace edgelm {
namespace {

// Fewer (token, group) items than this many per thread: cut the groups into slices of
// heads, so that decode on many threads still has work for each.
constexpr int64_t kItemsPerThread = 4;
// Q.K^T goes through the tile kernel only for heads at least this wide: its rows are
// head_dim long, and at 64 the F16 tile's per-call work (horizontal sums of every output)
// made attention slower than one vec_dot per key (1.05x vs 1.11x over the previous code
// at 2048 positions), while at 128 it was faster (1.10x vs 1.07x). P.V rows are key
// blocks (256 long), where the tile always helped.
constexpr uint32_t kMinTiledKeyDim = 128;

uint32_t TileTokens(const TypeKernels& tk) { return tk.gemm_tile != nullptr ? static_cast<uint32_t>(tk.gemm_tokens) : 1u; }

uint32_t RoundUp(uint32_t n, uint32_t m) { return (n + m - 1) / m * m; }

}  // namespace

void ResizeAttentionScratch(const HParams& hp, const TypeKernels& tk, AttentionScratch& s, uint32_t key_block) {
  EDGELM_CHECK(key_block > 0);
  const uint32_t group = hp.n_head / hp.n_head_kv;
  s.rows = RoundUp(group, TileTokens(tk));
  s.key_block = key_block;
  const size_t rows = s.rows, hd = hp.head_dim;
  // Room for either cache type's rows (F32 is the larger).
  s.q_act.assign(rows * hd * sizeof(float), 0);
  s.scores.assign(rows * key_block, 0.0f);
  s.p_act.assign(rows * key_block * sizeof(float), 0);
  s.acc.assign(rows * hd, 0.0f);
  s.pv.assign(rows * hd, 0.0f);
  s.row_max.assign(rows, 0.0f);
  s.alpha.assign(rows, 0.0f);
  s.row_sum.assign(rows, 0.0);
}

AttentionSplit::AttentionSplit(const HParams& hp, int64_t n_tokens, uint32_t n_past, int nth)
    : n_tokens_(n_tokens), n_past_(n_past), n_head_kv_(hp.n_head_kv), group_(hp.n_head / hp.n_head_kv) {
  const int64_t base = n_tokens * n_head_kv_;
  int64_t slices = 1;
  if (nth > 1 && base % nth != 0 && base < kItemsPerThread * nth) {
    slices = std::min<int64_t>(group_, (kItemsPerThread * nth + base - 1) / base);
  }
  heads_per_slice_ = (group_ + static_cast<uint32_t>(slices) - 1) / static_cast<uint32_t>(slices);
  n_slices_ = (group_ + heads_per_slice_ - 1) / heads_per_slice_;  // no empty slice
}

std::pair<uint32_t, uint32_t> AttentionSplit::heads(int64_t item) const {
  const uint32_t slice = static_cast<uint32_t>(item % n_slices_);
  const uint32_t first = group(item) * group_ + slice * heads_per_slice_;
  return {first, std::min(first + heads_per_slice_, (group(item) + 1) * group_)};
}

uint64_t AttentionSplit::cost(int64_t item) const {
  auto [first, last] = heads(item);
  return static_cast<uint64_t>(n_seen(item)) * (last - first);
}

uint64_t AttentionSplit::PrefixCost(int64_t item) const {
  const int64_t per_token = static_cast<int64_t>(n_head_kv_) * n_slices_;
  const uint64_t t = static_cast<uint64_t>(item / per_token);
  const int64_t r = item % per_token;
  // Keys seen by tokens 0..t-1: sum of (n_past + i + 1).
  const uint64_t keys_before = t * (n_past_ + 1ull) + t * (t - (t > 0 ? 1 : 0)) / 2;
  const uint64_t heads_in_token = static_cast<uint64_t>(r / n_slices_) * group_ +
                                  std::min<uint64_t>(static_cast<uint64_t>(r % n_slices_) * heads_per_slice_, group_);
  return keys_before * group_ * n_head_kv_ + (n_past_ + t + 1) * heads_in_token;
}

std::pair<int64_t, int64_t> AttentionSplit::Range(int ith, int nth) const {
  const int64_t n = n_items();
  const uint64_t total = PrefixCost(n);
  // First item whose midpoint lies in share k or later: (2 P(i) + c(i)) / 2 >= total k / nth.
  auto boundary = [&](int k) -> int64_t {
    if (k <= 0) return 0;
    if (k >= nth) return n;
    const uint64_t target = 2 * total * static_cast<uint64_t>(k);
    int64_t lo = 0, hi = n;  // answer in [lo, hi]
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if ((2 * PrefixCost(mid) + cost(mid)) * static_cast<uint64_t>(nth) >= target) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  };
  return {boundary(ith), boundary(ith + 1)};
}

namespace ops {
namespace {

// The rows of one item: heads [h0, h0 + rows) of token t, reading KV head kvh.
struct ItemRows {
  int64_t t;
  uint32_t kvh, h0, rows;
  uint32_t n_seen;
};

// Computes the attention output of one item into c.attn (see attention.h).
void AttendItem(const ForwardContext& c, uint32_t layer, const TypeKernels& tk, const ItemRows& it,
                AttentionScratch& s) {
  const HParams& hp = *c.hp;
  const KvCache& kv = *c.kv;
  const uint32_t hd = hp.head_dim;
  const uint64_t n_q = hp.n_q();
  const size_t elem = kv.element_bytes();
  const bool convert = tk.act_type != GgmlType::kF32;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const bool tiled = tk.gemm_tile != nullptr;
  const uint32_t tile_rows = tiled ? static_cast<uint32_t>(tk.gemm_rows) : 1u;
  const uint32_t tile_tokens = TileTokens(tk);
  const uint32_t rows_padded = RoundUp(it.rows, tile_tokens);
  const uint32_t block = s.key_block;
  EDGELM_CHECK_MSG(rows_padded <= s.rows, "attention scratch sized for " + std::to_string(s.rows) + " rows, need " +
                                              std::to_string(rows_padded));

  // Queries in the cache type; padding rows are zero so a tile's extra outputs stay finite.
  const uint64_t q_stride = hd * elem;
  for (uint32_t r = 0; r < rows_padded; ++r) {
    uint8_t* dst = s.q_act.data() + r * q_stride;
    if (r >= it.rows) {
      std::memset(dst, 0, q_stride);
      continue;
    }
    const float* qh = c.q + it.t * n_q + static_cast<uint64_t>(it.h0 + r) * hd;
    if (convert) {
      tk.quantize_act(qh, dst, hd);
    } else {
      std::memcpy(dst, qh, q_stride);
    }
  }
  const uint64_t p_stride = static_cast<uint64_t>(block) * elem;
  if (convert) std::memset(s.p_act.data() + it.rows * p_stride, 0, (rows_padded - it.rows) * p_stride);
  for (uint32_t r = 0; r < rows_padded; ++r) {
    s.row_max[r] = -std::numeric_limits<float>::infinity();
    s.row_sum[r] = 0.0;
  }
  // Padding rows of the weights (F32 cache: the scores buffer itself) feed the tile's
  // extra outputs, which are discarded: zero keeps them finite.
  std::fill(s.scores.begin() + static_cast<size_t>(it.rows) * block,
            s.scores.begin() + static_cast<size_t>(rows_padded) * block, 0.0f);

  const uint8_t* key_base = static_cast<const uint8_t*>(kv.KeyRow(layer, 0)) + static_cast<uint64_t>(it.kvh) * hd * elem;
  const uint64_t key_stride = static_cast<uint64_t>(hp.n_kv()) * elem;
  const uint8_t* value_base = static_cast<const uint8_t*>(kv.ValueChannel(layer, it.kvh * hd));
  const uint64_t value_stride = static_cast<uint64_t>(kv.n_ctx()) * elem;
  const uint8_t* p_rows = convert ? s.p_act.data() : reinterpret_cast<const uint8_t*>(s.scores.data());

  for (uint32_t j0 = 0; j0 < it.n_seen; j0 += block) {
    const uint32_t nb = std::min(block, it.n_seen - j0);
    // Scores of the block: scores[r][j] = q_r . k_{j0 + j}.
    const uint8_t* keys = key_base + j0 * key_stride;
    uint32_t j = 0;
    if (tiled && hd >= kMinTiledKeyDim) {
      for (; j + tile_rows <= nb; j += tile_rows) {
        for (uint32_t r = 0; r < rows_padded; r += tile_tokens) {
          tk.gemm_tile(hd, keys + j * key_stride, key_stride, s.q_act.data() + r * q_stride, q_stride,
                       s.scores.data() + static_cast<size_t>(r) * block + j, block);
        }
      }
    }
    for (; j < nb; ++j) {
      for (uint32_t r = 0; r < it.rows; ++r) {
        tk.vec_dot(hd, keys + j * key_stride, s.q_act.data() + r * q_stride, &s.scores[r * block + j]);
      }
    }
    // Online softmax: rescale what came before when the maximum grows.
    float* alpha = s.alpha.data();
    for (uint32_t r = 0; r < it.rows; ++r) {
      float* sr = s.scores.data() + static_cast<size_t>(r) * block;
      float block_max = -std::numeric_limits<float>::infinity();
      for (uint32_t i = 0; i < nb; ++i) {
        sr[i] *= scale;
        block_max = std::max(block_max, sr[i]);
      }
      const float new_max = std::max(s.row_max[r], block_max);
      alpha[r] = std::exp(s.row_max[r] - new_max);  // 0 on the first block
      s.row_max[r] = new_max;
      double sum = 0.0;
      for (uint32_t i = 0; i < nb; ++i) {
        const float e = std::exp(sr[i] - new_max);
        sr[i] = e;
        sum += e;
      }
      s.row_sum[r] = s.row_sum[r] * alpha[r] + sum;
      if (convert) tk.quantize_act(sr, s.p_act.data() + r * p_stride, nb);
    }
    // pv[r][d] = sum_j p[r][j] v_{j0 + j}[d]: values are stored by channel, so each
    // output is a dot product over the block's positions.
    const uint8_t* values = value_base + j0 * elem;
    uint32_t d = 0;
    if (tiled) {
      for (; d + tile_rows <= hd; d += tile_rows) {
        for (uint32_t r = 0; r < rows_padded; r += tile_tokens) {
          tk.gemm_tile(nb, values + d * value_stride, value_stride, p_rows + r * p_stride, p_stride,
                       s.pv.data() + static_cast<size_t>(r) * hd + d, hd);
        }
      }
    }
    for (; d < hd; ++d) {
      for (uint32_t r = 0; r < it.rows; ++r) {
        tk.vec_dot(nb, values + d * value_stride, p_rows + r * p_stride, &s.pv[r * hd + d]);
      }
    }
    for (uint32_t r = 0; r < it.rows; ++r) {
      float* acc = s.acc.data() + static_cast<size_t>(r) * hd;
      const float* pv = s.pv.data() + static_cast<size_t>(r) * hd;
      if (j0 == 0) {
        std::memcpy(acc, pv, hd * sizeof(float));
      } else if (alpha[r] == 1.0f) {
        for (uint32_t i = 0; i < hd; ++i) acc[i] += pv[i];
      } else {
        for (uint32_t i = 0; i < hd; ++i) acc[i] = acc[i] * alpha[r] + pv[i];
      }
    }
  }
  for (uint32_t r = 0; r < it.rows; ++r) {
    const float inv_sum = static_cast<float>(1.0 / s.row_sum[r]);
    const float* acc = s.acc.data() + static_cast<size_t>(r) * hd;
    float* out = c.attn + it.t * n_q + static_cast<uint64_t>(it.h0 + r) * hd;
    for (uint32_t i = 0; i < hd; ++i) out[i] = acc[i] * inv_sum;
  }
}

}  // namespace

void Attention(const ForwardContext& c, uint32_t layer) {
  const HParams& hp = *c.hp;
  KvCache& kv = *c.kv;
  kv.Store(layer, c.n_past, c.n_tokens, c.k, c.v);
  const TypeKernels& tk = c.kernels->For(kv.element_type());
  const int nth = c.pool->size();
  const AttentionSplit split(hp, c.n_tokens, c.n_past, nth);

  auto work = [&](int ith, int n_chunks) {
    auto [begin, end] = split.Range(ith, n_chunks);
    AttentionScratch& s = (*c.attention_scratch)[ith];
    for (int64_t item = begin; item < end; ++item) {
      auto [first, last] = split.heads(item);
      const ItemRows rows{split.token(item), split.group(item), first, last - first, split.n_seen(item)};
      AttendItem(c, layer, tk, rows, s);
    }
  };
  if (nth == 1 || split.n_items() == 1) {
    work(0, 1);
  } else {
    c.pool->Run(work);
  }
}

}  // namespace ops
}  // namespace edgelm
