// Kernel micro-benchmarks, registered for every ISA path this CPU runs so that scalar and
// SIMD numbers come from one binary and one machine:
//   vec_dot/<type>/<isa>        one 4096-element row (cache-resident): compute throughput,
//                               reported as GFLOP/s (2 flops per element) and weight GB/s;
//   matmul_decode/<type>/<isa>  2048x2048 weights, 1 token, 1 thread: weight GB/s;
//   matmul_prefill/<type>/<isa> 2048x2048 weights, 64 tokens, 1 thread: GFLOP/s;
//   matmul_prefill_vecdot/...   the same without the prefill tile kernel (one vec_dot per
//                               output, the path before tiles), to show what tiles gain;
//   gemm_tile/<type>/<isa>      one tile call on cache-resident rows: MAC rate of the tile
//                               kernel itself (GMAC/s), to compare with `edgelm probe`;
//   pool_run/<threads>          ThreadPool::Run of an empty job: per-operation overhead;
//   matmul_threads/<type>/<op>/<threads>  best ISA, decode and prefill, 1..N threads.
// Kernel benchmarks are single-threaded on purpose: the ratios compare kernels, not the
// machine's core count; the *_threads ones measure scaling.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/fp16.h"
#include "core/thread_pool.h"
#include "kernels/blocks.h"
#include "kernels/matmul.h"
#include "kernels/quantize.h"

namespace edgelm {
namespace {

// Realistic weights: Gaussian values quantized by the reference quantizer (random bytes
// would also do for speed, but real scales keep the F16 path free of denormals).
std::vector<uint8_t> MakeWeights(GgmlType type, int64_t n_in, int64_t n_out) {
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> f(static_cast<size_t>(n_in * n_out));
  for (auto& v : f) v = normal(rng);
  std::vector<uint8_t> out(*GgmlRowBytes(type, static_cast<uint64_t>(n_in)) * static_cast<uint64_t>(n_out));
  if (type == GgmlType::kF32) {
    std::memcpy(out.data(), f.data(), out.size());
    return out;
  }
  const Status s = QuantizeRows(type, f.data(), out.data(), n_out, n_in);
  if (!s.ok()) std::abort();
  return out;
}

std::vector<float> MakeActivations(int64_t n) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = normal(rng);
  return x;
}

void BM_VecDot(benchmark::State& state, Isa isa, GgmlType type) {
  constexpr int64_t kN = 4096;
  const KernelTable table = MakeKernelTable(isa);
  const TypeKernels& k = table.For(type);
  const auto w = MakeWeights(type, kN, 1);
  const auto x = MakeActivations(kN);
  std::vector<uint8_t> act;
  if (k.act_type == GgmlType::kF32) {
    act.resize(kN * sizeof(float));
    std::memcpy(act.data(), x.data(), act.size());
  } else {
    act.resize(*GgmlRowBytes(k.act_type, kN));
    k.quantize_act(x.data(), act.data(), kN);
  }
  float out = 0.0f;
  for (auto _ : state) {
    k.vec_dot(kN, w.data(), act.data(), &out);
    benchmark::DoNotOptimize(out);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * kN * static_cast<double>(state.iterations()) / 1e9,
                                                 benchmark::Counter::kIsRate);
}

void BM_MatMul(benchmark::State& state, Isa isa, GgmlType type, int64_t n_tokens, bool tiles,
               int n_threads) {
  constexpr int64_t kDim = 2048;
  KernelTable table = MakeKernelTable(isa);
  if (!tiles) table.types[static_cast<uint32_t>(type)].gemm_tile = nullptr;
  const auto w = MakeWeights(type, kDim, kDim);
  const auto x = MakeActivations(kDim * n_tokens);
  std::vector<float> y(static_cast<size_t>(kDim * n_tokens));
  const WeightView view{type, w.data(), kDim, kDim, *GgmlRowBytes(type, kDim)};
  ThreadPool pool(n_threads);
  MatMulScratch scratch;
  for (auto _ : state) {
    MatMul(table, pool, view, x.data(), n_tokens, y.data(), scratch);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(w.size()));
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * kDim * kDim * static_cast<double>(n_tokens * state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

void BM_GemmTile(benchmark::State& state, Isa isa, GgmlType type) {
  constexpr int64_t kN = 4096;
  const KernelTable table = MakeKernelTable(isa);
  const TypeKernels& k = table.For(type);
  const int64_t rows = k.gemm_rows, tokens = k.gemm_tokens;
  const auto w = MakeWeights(type, kN, rows);
  const auto x = MakeActivations(kN * tokens);
  const uint64_t act_bytes = *GgmlRowBytes(k.act_type, kN);
  std::vector<uint8_t> act(act_bytes * static_cast<uint64_t>(tokens));
  for (int64_t t = 0; t < tokens; ++t) k.quantize_act(x.data() + t * kN, act.data() + t * act_bytes, kN);
  std::vector<float> y(static_cast<size_t>(rows * tokens));
  const uint64_t row_bytes = *GgmlRowBytes(type, kN);
  for (auto _ : state) {
    k.gemm_tile(kN, w.data(), row_bytes, act.data(), act_bytes, y.data(), rows);
    benchmark::ClobberMemory();
  }
  state.counters["GMAC/s"] = benchmark::Counter(static_cast<double>(kN * rows * tokens) *
                                                    static_cast<double>(state.iterations()) / 1e9,
                                                benchmark::Counter::kIsRate);
}

// Per-operation cost of the pool: a forward pass issues a few hundred Runs per token.
void BM_PoolRun(benchmark::State& state) {
  ThreadPool pool(static_cast<int>(state.range(0)));
  const std::function<void(int, int)> job = [](int, int) {};
  for (auto _ : state) pool.Run(job);
}

void RegisterAll() {
  const std::vector<Isa> isas = AvailableIsas(DetectCpuFeatures());
  const KernelTable scalar = MakeKernelTable(Isa::kScalar);
  const GgmlType hot[] = {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0,
                          GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ4_K, GgmlType::kQ6_K};
  for (uint32_t id = 0; id < kMaxGgmlTypeId; ++id) {
    if (!scalar.types[id].supported) continue;
    const auto type = static_cast<GgmlType>(id);
    for (Isa isa : isas) {
      benchmark::RegisterBenchmark(("vec_dot/" + GgmlTypeName(type) + "/" + IsaName(isa)).c_str(),
                                   BM_VecDot, isa, type);
    }
  }
  for (GgmlType type : hot) {
    for (Isa isa : isas) {
      benchmark::RegisterBenchmark(("matmul_decode/" + GgmlTypeName(type) + "/" + IsaName(isa)).c_str(),
                                   BM_MatMul, isa, type, int64_t{1}, true, 1)->Unit(benchmark::kMicrosecond);
    }
  }
  for (GgmlType type : hot) {
    for (Isa isa : isas) {
      benchmark::RegisterBenchmark(("matmul_prefill/" + GgmlTypeName(type) + "/" + IsaName(isa)).c_str(),
                                   BM_MatMul, isa, type, int64_t{64}, true, 1)->Unit(benchmark::kMillisecond);
      if (MakeKernelTable(isa).For(type).gemm_tile != nullptr) {
        benchmark::RegisterBenchmark(("matmul_prefill_vecdot/" + GgmlTypeName(type) + "/" + IsaName(isa)).c_str(),
                                     BM_MatMul, isa, type, int64_t{64}, false, 1)->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("gemm_tile/" + GgmlTypeName(type) + "/" + IsaName(isa)).c_str(), BM_GemmTile,
                                     isa, type);
      }
    }
  }
  const int n_cpu = AvailableCpuCount();
  benchmark::RegisterBenchmark("pool_run", BM_PoolRun)->DenseRange(1, std::max(2, n_cpu))->UseRealTime();
  const Isa best = BestIsa(DetectCpuFeatures());
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K}) {
    for (int t = 1; t <= n_cpu; ++t) {
      benchmark::RegisterBenchmark(("matmul_threads/" + GgmlTypeName(type) + "/decode/" + std::to_string(t)).c_str(),
                                   BM_MatMul, best, type, int64_t{1}, true, t)
          ->Unit(benchmark::kMicrosecond)->UseRealTime();
      benchmark::RegisterBenchmark(("matmul_threads/" + GgmlTypeName(type) + "/prefill/" + std::to_string(t)).c_str(),
                                   BM_MatMul, best, type, int64_t{64}, true, t)
          ->Unit(benchmark::kMillisecond)->UseRealTime();
    }
  }
}

}  // namespace
}  // namespace edgelm

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  edgelm::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
