// The shared transformer ops against direct double-precision formulas (no files needed).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

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

// Causal GQA attention against a double-precision reference, for both cache types and
// for 1 and 3 threads (which must agree bit for bit).
TEST(Ops, AttentionMatchesReference) {
  const HParams hp = SmallHParams();
  const KernelTable kernels = MakeKernelTable(Isa::kScalar);
  const int64_t n_past = 2, n_tokens = 5, n_pos = n_past + n_tokens;
  const std::vector<float> q = Random(n_pos * hp.n_q(), 4), k = Random(n_pos * hp.n_kv(), 5),
                           v = Random(n_pos * hp.n_kv(), 6);
  for (KvCacheType type : {KvCacheType::kF32, KvCacheType::kF16}) {
    std::vector<float> first;
    for (int threads : {1, 3}) {
      ThreadPool pool(threads);
      KvCache kv;
      ASSERT_TRUE(kv.Allocate(type, 1, 16, hp.n_kv()).ok());
      std::vector<AttentionScratch> scratch(threads);
      for (auto& s : scratch) {
        s.q_act.resize(hp.head_dim * 4);
        s.scores.resize(16);
        s.p_act.resize(16 * 4);
      }
      std::vector<float> out(n_pos * hp.n_q());
      ForwardContext c;
      c.hp = &hp;
      c.kernels = &kernels;
      c.pool = &pool;
      c.kv = &kv;
      c.attention_scratch = &scratch;
      // Two calls: positions 0..1, then 2..6 on top of the cached ones.
      for (auto [begin, count] : {std::pair<int64_t, int64_t>{0, n_past}, {n_past, n_tokens}}) {
        c.n_past = static_cast<uint32_t>(begin);
        c.n_tokens = count;
        c.q = const_cast<float*>(q.data()) + begin * hp.n_q();
        c.k = const_cast<float*>(k.data()) + begin * hp.n_kv();
        c.v = const_cast<float*>(v.data()) + begin * hp.n_kv();
        c.attn = out.data() + begin * hp.n_q();
        ops::Attention(c, 0);
      }
      const double tol = type == KvCacheType::kF32 ? 1e-5 : 5e-3;
      for (int64_t t = 0; t < n_pos; ++t) {
        for (uint32_t h = 0; h < hp.n_head; ++h) {
          const uint32_t kvh = h / (hp.n_head / hp.n_head_kv);
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
            EXPECT_NEAR(out[t * hp.n_q() + h * hp.head_dim + d], o, tol) << "t=" << t << " h=" << h << " d=" << d;
          }
        }
      }
      if (first.empty()) {
        first = out;
      } else {
        EXPECT_EQ(first, out);
      }
    }
  }
}

}  // namespace
}  // namespace edgelm
