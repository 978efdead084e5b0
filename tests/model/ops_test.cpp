// The shared transformer ops against direct double-precision formulas (no files needed).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "core/cpu_features.h"
#include "core/fp16.h"
#include "model/ops.h"

namespace edgelm {
namespace {

HParams SmallHParams() {
  HParams hp;
  hp.arch = "llama";
  hp.n_embd = 32;
  hp.n_head = 4;
  hp.n_head_kv = 2;
  hp.head_dim = 8;
  hp.n_ff = 48;
  hp.n_layer = 2;
  hp.n_vocab = 10;
  hp.rms_norm_eps = 1e-5f;
  hp.rope_freq_base = 10000.0f;
  return hp;
}

std::vector<float> Random(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(Ops, RopeTablesFollowTheFormula) {
  HParams hp = SmallHParams();
  const float factors[4] = {1.0f, 2.0f, 1.0f, 8.0f};
  std::vector<float> c, s;
  ops::RopeTables(hp, factors, 5, 3, c, s);
  ASSERT_EQ(c.size(), 12u);
  for (int t = 0; t < 3; ++t) {
    for (int i = 0; i < 4; ++i) {
      const double theta = (5 + t) * std::pow(10000.0, -2.0 * i / 8) / factors[i];
      EXPECT_NEAR(c[t * 4 + i], std::cos(theta), 2e-6) << t << " " << i;
      EXPECT_NEAR(s[t * 4 + i], std::sin(theta), 2e-6) << t << " " << i;
    }
  }
  hp.rope_freq_scale = 0.25f;  // linear scaling: positions shrink by the factor
  ops::RopeTables(hp, nullptr, 8, 1, c, s);
  EXPECT_NEAR(c[0], std::cos(2.0), 2e-6);
}

TEST(Ops, RopeModesRotateTheirPairs) {
  HParams hp = SmallHParams();
  std::vector<float> c, s;
  ops::RopeTables(hp, nullptr, 3, 1, c, s);
  ForwardContext ctx;
  ctx.hp = &hp;
  ctx.n_tokens = 1;
  ctx.rope_cos = c.data();
  ctx.rope_sin = s.data();
  const std::vector<float> x = Random(8, 1);
  std::vector<float> adj = x, neox = x;
  ops::RopeAdjacentPairs(ctx, adj.data(), 1);
  ops::RopeSplitHalves(ctx, neox.data(), 1);
  for (int i = 0; i < 4; ++i) {
    // Adjacent: (x[2i], x[2i+1]); split halves: (x[i], x[i+4]).
    EXPECT_NEAR(adj[2 * i], x[2 * i] * c[i] - x[2 * i + 1] * s[i], 1e-6);
    EXPECT_NEAR(adj[2 * i + 1], x[2 * i] * s[i] + x[2 * i + 1] * c[i], 1e-6);
    EXPECT_NEAR(neox[i], x[i] * c[i] - x[i + 4] * s[i], 1e-6);
    EXPECT_NEAR(neox[i + 4], x[i] * s[i] + x[i + 4] * c[i], 1e-6);
  }
  EXPECT_NE(adj, neox);
}

TEST(Ops, RmsNormAndSwiGlu) {
  HParams hp = SmallHParams();
  ThreadPool pool(1);
  ForwardContext ctx;
  ctx.hp = &hp;
  ctx.pool = &pool;
  const std::vector<float> x = Random(2 * 32, 2), w = Random(32, 3);
  std::vector<float> y(64);
  ops::RmsNorm(ctx, x.data(), w.data(), 2, y.data());
  for (int r = 0; r < 2; ++r) {
    double ss = 0;
    for (int i = 0; i < 32; ++i) ss += double(x[r * 32 + i]) * x[r * 32 + i];
    const double scale = 1.0 / std::sqrt(ss / 32 + 1e-5);
    for (int i = 0; i < 32; ++i) EXPECT_NEAR(y[r * 32 + i], x[r * 32 + i] * scale * w[i], 1e-5);
  }
  std::vector<float> g = {-2.0f, 0.0f, 3.0f}, u = {1.0f, 5.0f, 0.5f};
  ops::SwiGlu(g.data(), u.data(), 3);
  EXPECT_NEAR(g[0], -2.0 / (1 + std::exp(2.0)), 1e-6);
  EXPECT_EQ(g[1], 0.0f);
  EXPECT_NEAR(g[2], 0.5 * 3.0 / (1 + std::exp(-3.0)), 1e-6);
}

// The shared feed-forward block in sub-batches: against a double-precision formula, and
// bit-identical to computing each token alone; gate/up hold only kFfnTokenBlock rows
// (AddressSanitizer catches a sub-batch that overruns them).
TEST(Ops, FeedForwardInSubBatchesMatchesFormula) {
  HParams hp = SmallHParams();
  const KernelTable kernels = MakeKernelTable(BestIsa(DetectCpuFeatures()));
  const int64_t n_tokens = 2 * kFfnTokenBlock + 3;
  const uint32_t e = hp.n_embd, f = hp.n_ff;
  const std::vector<float> x0 = Random(n_tokens * e, 7), norm = Random(e, 8), wg = Random(f * e, 9, 0.2f),
                           wu = Random(f * e, 10, 0.2f), wd = Random(e * f, 11, 0.2f);
  auto view = [](const std::vector<float>& w, int64_t n_in, int64_t n_out) {
    return WeightView{GgmlType::kF32, w.data(), n_in, n_out, static_cast<uint64_t>(n_in) * sizeof(float)};
  };
  LayerWeights l;
  l.ffn_norm = norm.data();
  l.w_gate = view(wg, e, f);
  l.w_up = view(wu, e, f);
  l.w_down = view(wd, f, e);
  auto run = [&](int64_t batch, int threads) {
    ThreadPool pool(threads);
    MatMulScratch mm;
    std::vector<float> x = x0, xn(n_tokens * e), proj(n_tokens * e);
    std::vector<float> gate(kFfnTokenBlock * f), up(kFfnTokenBlock * f);
    ForwardContext c;
    c.hp = &hp;
    c.kernels = &kernels;
    c.pool = &pool;
    c.matmul_scratch = &mm;
    for (int64_t t0 = 0; t0 < n_tokens; t0 += batch) {
      c.n_tokens = std::min(batch, n_tokens - t0);
      c.x = x.data() + t0 * e;
      c.xn = xn.data() + t0 * e;
      c.proj = proj.data() + t0 * e;
      c.gate = gate.data();
      c.up = up.data();
      ops::FeedForwardSwiGlu(c, l);
    }
    return x;
  };
  const std::vector<float> batched = run(n_tokens, 2);
  EXPECT_EQ(batched, run(1, 1));
  for (int64_t t = 0; t < n_tokens; t += 37) {
    const float* xt = x0.data() + t * e;
    double ss = 0;
    for (uint32_t i = 0; i < e; ++i) ss += double(xt[i]) * xt[i];
    const double scale = 1.0 / std::sqrt(ss / e + hp.rms_norm_eps);
    std::vector<double> h(f);
    for (uint32_t r = 0; r < f; ++r) {
      double g = 0, u = 0;
      for (uint32_t i = 0; i < e; ++i) {
        const double xn = xt[i] * scale * norm[i];
        g += wg[r * e + i] * xn;
        u += wu[r * e + i] * xn;
      }
      h[r] = g / (1 + std::exp(-g)) * u;
    }
    for (uint32_t i = 0; i < e; ++i) {
      double y = xt[i];
      for (uint32_t r = 0; r < f; ++r) y += wd[i * f + r] * h[r];
      EXPECT_NEAR(batched[t * e + i], y, 1e-4 * (1 + std::fabs(y))) << "token " << t << " element " << i;
    }
  }
}

TEST(Ops, CheckFiniteNamesWhere) {
  std::vector<float> x(10, 1.0f);
  EXPECT_TRUE(ops::CheckFinite(x.data(), 2, 5, 0, "layer 0").ok());
  x[7] = std::numeric_limits<float>::infinity();
  Status st = ops::CheckFinite(x.data(), 2, 5, 4, "layer 3 (blk.3)");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("layer 3 (blk.3) at position 5, element 2"), std::string::npos) << st.message();
}

TEST(KvCacheTest, StoresKeysByPositionAndValuesByChannel) {
  for (KvCacheType type : {KvCacheType::kF32, KvCacheType::kF16}) {
    KvCache kv;
    ASSERT_TRUE(kv.Allocate(type, 2, 6, 4).ok());
    EXPECT_EQ(kv.bytes(), 2ull * 2 * 6 * 4 * (type == KvCacheType::kF16 ? 2 : 4));
    const std::vector<float> k = {1, 2, 3, 4, 5, 6, 7, 8}, v = {-1, -2, -3, -4, -5, -6, -7, -8};
    kv.Store(1, 3, 2, k.data(), v.data());
    auto at = [&](const void* p, int i) {
      return type == KvCacheType::kF32 ? static_cast<const float*>(p)[i]
                                       : Fp16ToF32(static_cast<const uint16_t*>(p)[i]);
    };
    EXPECT_EQ(at(kv.KeyRow(1, 4), 2), 7.0f);
    EXPECT_EQ(at(kv.ValueChannel(1, 1), 3), -2.0f);
    EXPECT_EQ(at(kv.ValueChannel(1, 3), 4), -8.0f);
    EXPECT_EQ(at(kv.KeyRow(0, 4), 2), 0.0f);  // other layer untouched
  }
}

// A tile kernel for the attention's tile path, built from the table's own vec_dot so it
// meets the kernel-table contract (bit-identical to vec_dot per element) on every path.
VecDotFn g_tile_dot = nullptr;
int64_t g_tile_calls = 0;
void VecDotTile(int64_t n, const void* w, uint64_t w_row_bytes, const void* act, uint64_t act_row_bytes, float* y,
                int64_t y_stride) {
  ++g_tile_calls;
  for (int t = 0; t < 3; ++t) {
    for (int r = 0; r < 2; ++r) {
      g_tile_dot(n, static_cast<const uint8_t*>(w) + r * w_row_bytes, static_cast<const uint8_t*>(act) + t * act_row_bytes,
                 y + t * y_stride + r);
    }
  }
}

struct AttentionCase {
  uint32_t n_head, n_head_kv, head_dim;
  int64_t n_past, n_tokens;  // positions 0..n_past-1 are cached by a first call
  bool tile;                 // give the cache type a 2-row x 3-token tile kernel
  uint32_t key_block;        // keys per online-softmax block
};

// Runs ops::Attention in two calls (positions 0..n_past-1, then the rest) and returns the
// outputs of all positions.
std::vector<float> RunAttention(const HParams& hp, const KernelTable& kernels, KvCacheType type, int threads,
                                const AttentionCase& ac, const std::vector<float>& q, const std::vector<float>& k,
                                const std::vector<float>& v) {
  const int64_t n_pos = ac.n_past + ac.n_tokens;
  ThreadPool pool(threads);
  KvCache kv;
  EXPECT_TRUE(kv.Allocate(type, 1, static_cast<uint32_t>(n_pos + 3), hp.n_kv()).ok());
  std::vector<AttentionScratch> scratch(threads);
  for (auto& s : scratch) ResizeAttentionScratch(hp, kernels.For(kv.element_type()), s, ac.key_block);
  std::vector<float> out(n_pos * hp.n_q());
  ForwardContext c;
  c.hp = &hp;
  c.kernels = &kernels;
  c.pool = &pool;
  c.kv = &kv;
  c.attention_scratch = &scratch;
  for (auto [begin, count] : {std::pair<int64_t, int64_t>{0, ac.n_past}, {ac.n_past, ac.n_tokens}}) {
    if (count == 0) continue;
    c.n_past = static_cast<uint32_t>(begin);
    c.n_tokens = count;
    c.q = const_cast<float*>(q.data()) + begin * hp.n_q();
    c.k = const_cast<float*>(k.data()) + begin * hp.n_kv();
    c.v = const_cast<float*>(v.data()) + begin * hp.n_kv();
    c.attn = out.data() + begin * hp.n_q();
    ops::Attention(c, 0);
  }
  return out;
}

// Causal GQA attention against a double-precision reference, for both cache types, with
// and without a tile kernel, over several key blocks; 1, 2 and 3 threads must agree bit
// for bit, and so must position-by-position decoding.
class AttentionTest : public ::testing::TestWithParam<AttentionCase> {};

TEST_P(AttentionTest, MatchesReferenceForAnyThreadCount) {
  const AttentionCase ac = GetParam();
  HParams hp = SmallHParams();
  hp.n_head = ac.n_head;
  hp.n_head_kv = ac.n_head_kv;
  hp.head_dim = ac.head_dim;
  KernelTable kernels = MakeKernelTable(Isa::kScalar);
  const int64_t n_pos = ac.n_past + ac.n_tokens;
  const std::vector<float> q = Random(n_pos * hp.n_q(), 4), k = Random(n_pos * hp.n_kv(), 5),
                           v = Random(n_pos * hp.n_kv(), 6);
  for (KvCacheType type : {KvCacheType::kF32, KvCacheType::kF16}) {
    SCOPED_TRACE(KvCacheTypeName(type));
    const GgmlType elem_type = type == KvCacheType::kF32 ? GgmlType::kF32 : GgmlType::kF16;
    TypeKernels& tk = kernels.types[static_cast<uint32_t>(elem_type)];
    if (ac.tile) {
      g_tile_dot = tk.vec_dot;
      tk.gemm_tile = VecDotTile;
      tk.gemm_rows = 2;
      tk.gemm_tokens = 3;
    }
    std::vector<float> first;
    for (int threads : {1, 2, 3}) {
      SCOPED_TRACE(threads);
      g_tile_calls = 0;
      const std::vector<float> out = RunAttention(hp, kernels, type, threads, ac, q, k, v);
      if (ac.tile && threads == 1) {
        EXPECT_GT(g_tile_calls, 0);
      }
      if (first.empty()) {
        first = out;
      } else {
        EXPECT_EQ(first, out);
      }
    }
    // One position per call (decode) gives the same bits as the batch.
    const std::vector<float> decoded = [&] {
      std::vector<float> out(n_pos * hp.n_q());
      ThreadPool pool(2);
      KvCache kv;
      EXPECT_TRUE(kv.Allocate(type, 1, static_cast<uint32_t>(n_pos + 3), hp.n_kv()).ok());
      std::vector<AttentionScratch> scratch(2);
      for (auto& s : scratch) ResizeAttentionScratch(hp, tk, s, ac.key_block);
      ForwardContext c;
      c.hp = &hp;
      c.kernels = &kernels;
      c.pool = &pool;
      c.kv = &kv;
      c.attention_scratch = &scratch;
      c.n_tokens = 1;
      for (int64_t p = 0; p < n_pos; ++p) {
        c.n_past = static_cast<uint32_t>(p);
        c.q = const_cast<float*>(q.data()) + p * hp.n_q();
        c.k = const_cast<float*>(k.data()) + p * hp.n_kv();
        c.v = const_cast<float*>(v.data()) + p * hp.n_kv();
        c.attn = out.data() + p * hp.n_q();
        ops::Attention(c, 0);
      }
      return out;
    }();
    EXPECT_EQ(first, decoded);

    const double tol = type == KvCacheType::kF32 ? 1e-5 : 5e-3;
    const uint32_t group = hp.n_head / hp.n_head_kv;
    int bad = 0;
    for (int64_t t = 0; t < n_pos; ++t) {
      for (uint32_t h = 0; h < hp.n_head; ++h) {
        const uint32_t kvh = h / group;
        std::vector<double> w(t + 1);
        double max_w = -1e300, sum = 0;
        for (int64_t j = 0; j <= t; ++j) {
          double dot = 0;
          for (uint32_t d = 0; d < hp.head_dim; ++d) {
            dot += double(q[t * hp.n_q() + h * hp.head_dim + d]) * k[j * hp.n_kv() + kvh * hp.head_dim + d];
          }
          w[j] = dot / std::sqrt(double(hp.head_dim));
          max_w = std::max(max_w, w[j]);
        }
        for (double& x : w) sum += (x = std::exp(x - max_w));
        for (uint32_t d = 0; d < hp.head_dim; ++d) {
          double o = 0;
          for (int64_t j = 0; j <= t; ++j) o += w[j] / sum * v[j * hp.n_kv() + kvh * hp.head_dim + d];
          const float got = first[t * hp.n_q() + h * hp.head_dim + d];
          if (std::fabs(got - o) > tol && ++bad <= 5) {
            ADD_FAILURE() << "t=" << t << " h=" << h << " d=" << d << ": " << got << " vs " << o;
          }
        }
      }
    }
    EXPECT_EQ(bad, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AttentionTest,
    ::testing::Values(AttentionCase{4, 2, 8, 2, 5, false, kKeyBlock},  // GQA, one short block
                      AttentionCase{4, 2, 8, 2, 5, true, 4},           // tile path, blocks of 4
                      AttentionCase{7, 1, 16, 30, 40, false, 16},      // group of 7 (qwen2.5-0.5b), 5 blocks
                      AttentionCase{7, 1, 16, 30, 40, true, 16},       // tile rows/tokens leave remainders
                      AttentionCase{6, 6, 12, 0, 33, true, 32},        // MHA, one key past a full block
                      AttentionCase{7, 1, 16, 200, 60, false, kKeyBlock},  // the default block, twice
                      AttentionCase{3, 1, 128, 9, 12, true, 8}));  // wide heads: Q.K^T on tiles too

// The attention work split: items cover every (token, group, head) once, in order, and
// the threads' shares of the causal cost differ by at most one item.
TEST(AttentionSplitTest, CoversItemsWithBalancedCost) {
  HParams hp = SmallHParams();
  for (auto [n_head, n_head_kv] : {std::pair<uint32_t, uint32_t>{14, 2}, {4, 2}, {6, 6}, {8, 1}}) {
    hp.n_head = n_head;
    hp.n_head_kv = n_head_kv;
    for (auto [n_tokens, n_past] : {std::pair<int64_t, uint32_t>{512, 0}, {1, 2047}, {3, 100}, {64, 4000}}) {
      for (int nth : {1, 2, 3, 5, 16}) {
        SCOPED_TRACE(testing::Message() << n_head << "/" << n_head_kv << " tokens " << n_tokens << " past " << n_past
                                        << " threads " << nth);
        const AttentionSplit split(hp, n_tokens, n_past, nth);
        // Every head of every token exactly once.
        std::vector<int> seen(static_cast<size_t>(n_tokens) * n_head, 0);
        uint64_t max_cost = 0, sum = 0;
        for (int64_t i = 0; i < split.n_items(); ++i) {
          auto [first, last] = split.heads(i);
          ASSERT_LT(first, last);
          EXPECT_EQ(first / (n_head / n_head_kv), split.group(i));
          EXPECT_EQ((last - 1) / (n_head / n_head_kv), split.group(i));
          for (uint32_t h = first; h < last; ++h) ++seen[split.token(i) * n_head + h];
          EXPECT_EQ(split.PrefixCost(i), sum);
          EXPECT_EQ(split.cost(i), uint64_t{split.n_seen(i)} * (last - first));
          sum += split.cost(i);
          max_cost = std::max(max_cost, split.cost(i));
        }
        EXPECT_EQ(split.PrefixCost(split.n_items()), sum);
        EXPECT_TRUE(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
        int64_t next = 0;
        uint64_t heaviest = 0;
        for (int ith = 0; ith < nth; ++ith) {
          auto [begin, end] = split.Range(ith, nth);
          EXPECT_EQ(begin, next);
          EXPECT_LE(begin, end);
          next = end;
          const uint64_t share = split.PrefixCost(end) - split.PrefixCost(begin);
          heaviest = std::max(heaviest, share);
        }
        EXPECT_EQ(next, split.n_items());
        EXPECT_LE(heaviest, sum / nth + max_cost);
        // Decode on many threads cuts groups into slices so that each thread has work.
        if (n_tokens == 1 && nth > 1) {
          EXPECT_GE(split.n_items(), std::min<int64_t>(nth, n_head));
        }
      }
    }
  }
}

// With 2 threads, a causal 512-token prefill splits into halves of equal cost (a plain
// split by item count gives the second thread 3/4 of the work).
TEST(AttentionSplitTest, CausalPrefillHalvesHaveEqualCost) {
  HParams hp = SmallHParams();
  hp.n_head = 14;
  hp.n_head_kv = 2;
  const AttentionSplit split(hp, 512, 0, 2);
  const auto [b0, e0] = split.Range(0, 2);
  const auto [b1, e1] = split.Range(1, 2);
  const double c0 = static_cast<double>(split.PrefixCost(e0) - split.PrefixCost(b0));
  const double c1 = static_cast<double>(split.PrefixCost(e1) - split.PrefixCost(b1));
  EXPECT_NEAR(c0 / (c0 + c1), 0.5, 0.002);
  EXPECT_GT(e0 - b0, e1 - b1);  // the first thread takes more (cheaper) items
}

}  // namespace
}  // namespace edgelm
