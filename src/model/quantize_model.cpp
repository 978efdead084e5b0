#include "model/quantize_model.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <new>

#include "core/thread_pool.h"
#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "kernels/quantize.h"

namespace edgelm {
namespace {

struct TargetEntry {
  const char* name;
  GgmlType base;
  uint32_t file_type;
};

// general.file_type values are llama.cpp's llama_ftype.
constexpr TargetEntry kTargets[] = {
    {"F32", GgmlType::kF32, 0},       {"F16", GgmlType::kF16, 1},       {"BF16", GgmlType::kBF16, 32},
    {"Q4_0", GgmlType::kQ4_0, 2},     {"Q4_1", GgmlType::kQ4_1, 3},     {"Q5_0", GgmlType::kQ5_0, 8},
    {"Q5_1", GgmlType::kQ5_1, 9},     {"Q8_0", GgmlType::kQ8_0, 7},     {"Q2_K", GgmlType::kQ2_K, 10},
    {"Q3_K", GgmlType::kQ3_K, 11},    {"Q4_K_S", GgmlType::kQ4_K, 14},  {"Q4_K_M", GgmlType::kQ4_K, 15},
    {"Q5_K_S", GgmlType::kQ5_K, 16},  {"Q5_K_M", GgmlType::kQ5_K, 17},  {"Q6_K", GgmlType::kQ6_K, 18},
};

bool IsFloatType(GgmlType t) { return t == GgmlType::kF32 || t == GgmlType::kF16 || t == GgmlType::kBF16; }

// For rows that are not a multiple of 256, a K-quant falls back to the 32-element type of
// similar size, as llama-quantize does (Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0; it
// uses IQ4_NL for Q2_K/Q3_K, which this engine lacks, so those take Q5_0 as Q4_K). Rows
// that are not a multiple of 32 either end up F16.
GgmlType FallbackType(GgmlType t) {
  switch (t) {
    case GgmlType::kQ2_K:
    case GgmlType::kQ3_K:
    case GgmlType::kQ4_K: return GgmlType::kQ5_0;
    case GgmlType::kQ5_K: return GgmlType::kQ5_1;
    case GgmlType::kQ6_K: return GgmlType::kQ8_0;
    default: return GgmlType::kF16;
  }
}

// Layers that get more bits in the *_M mixes: the first and last eighth and every third
// layer in between (llama.cpp's use_more_bits), where quantization error hurts most.
bool UseMoreBits(int layer, int n_layer) {
  return layer < n_layer / 8 || layer >= 7 * n_layer / 8 || (layer - n_layer / 8) % 3 == 2;
}

// "blk.12.attn_v.weight" -> 12; -1 for other names.
int LayerOf(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  size_t end = name.find('.', 4);
  if (end == std::string::npos) return -1;
  try {
    return std::stoi(name.substr(4, end - 4));
  } catch (const std::exception&) {
    return -1;
  }
}

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// The type a matrix gets before the row-length fallback.
GgmlType MixType(const QuantizeTarget& target, const std::string& name, bool is_output_head, int n_layer,
                 std::string* reason) {
  const GgmlType base = target.base;
  if (IsFloatType(base)) return base;
  if (is_output_head && base != GgmlType::kQ8_0 && base != GgmlType::kQ6_K) {
    *reason = "output head -> Q6_K";
    return GgmlType::kQ6_K;
  }
  const int layer = LayerOf(name);
  const bool m_mix = target.file_type == 15 || target.file_type == 17;  // Q4_K_M, Q5_K_M
  if (m_mix && layer >= 0 && (EndsWith(name, ".attn_v.weight") || EndsWith(name, ".ffn_down.weight")) &&
      UseMoreBits(layer, n_layer)) {
    *reason = "attn_v/ffn_down of a sensitive layer -> Q6_K";
    return GgmlType::kQ6_K;
  }
  if (target.file_type == 14 && layer >= 0) {  // Q4_K_S
    if (EndsWith(name, ".attn_v.weight") && layer < 4) {
      *reason = "attn_v of the first 4 layers -> Q5_K";
      return GgmlType::kQ5_K;
    }
    if (EndsWith(name, ".ffn_down.weight") && layer < n_layer / 8) {
      *reason = "ffn_down of the first eighth of layers -> Q5_K";
      return GgmlType::kQ5_K;
    }
  }
  return base;
}

}  // namespace

Result<QuantizeTarget> ParseQuantizeTarget(const std::string& name) {
  std::string upper = name;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  if (upper == "Q4_K") upper = "Q4_K_S";
  if (upper == "Q5_K") upper = "Q5_K_S";
  for (const TargetEntry& e : kTargets) {
    if (upper == e.name) return QuantizeTarget{e.name, e.base, e.file_type};
  }
  return InvalidArgumentError("unknown quantization type '" + name + "' (supported: " + QuantizeTargetNames() + ")");
}

std::string QuantizeTargetNames() {
  std::string s;
  for (const TargetEntry& e : kTargets) {
    if (!s.empty()) s += ", ";
    s += e.name;
  }
  return s;
}

Result<std::vector<TensorPlan>> PlanQuantization(const GgufFile& input, const QuantizeTarget& target) {
  const bool has_output = input.FindTensorOrNull("output.weight") != nullptr;
  int n_layer = 0;
  for (const GgufTensorInfo& t : input.tensors()) n_layer = std::max(n_layer, LayerOf(t.name) + 1);
  std::vector<TensorPlan> plan;
  for (const GgufTensorInfo& t : input.tensors()) {
    TensorPlan p{t.name, t.type, t.type, ""};
    if (t.n_dims < 2) {
      // Norms, biases, rope factors: tiny, and the engine reads them as F32.
      if (!IsFloatType(t.type)) {
        return UnsupportedError("1-D tensor '" + t.name + "' has type " + GgmlTypeName(t.type) +
                                ", expected F32, F16 or BF16");
      }
      p.to = GgmlType::kF32;
      if (t.type != GgmlType::kF32) p.reason = "1-D tensors stay F32";
      plan.push_back(p);
      continue;
    }
    if (!IsFloatType(t.type)) {
      return UnsupportedError("tensor '" + t.name + "' is already quantized (" + GgmlTypeName(t.type) +
                              "); quantize from the F32, F16 or BF16 file instead (requantizing compounds the error)");
    }
    const bool is_output_head = t.name == "output.weight" || (!has_output && t.name == "token_embd.weight");
    p.to = MixType(target, t.name, is_output_head, n_layer, &p.reason);
    // Row length not a block multiple: the nearest type that fits.
    if (!GgmlRowBytes(p.to, static_cast<uint64_t>(t.ne[0]))) {
      const GgmlType wanted = p.to;
      p.to = FallbackType(wanted);
      if (!GgmlRowBytes(p.to, static_cast<uint64_t>(t.ne[0]))) p.to = GgmlType::kF16;
      p.reason = "rows of " + std::to_string(t.ne[0]) + " are not a multiple of " + GgmlTypeName(wanted) +
                 "'s block -> " + GgmlTypeName(p.to);
    }
    plan.push_back(p);
  }
  return plan;
}

Result<QuantizeStats> QuantizeModelFile(const std::string& input, const std::string& output,
                                        const QuantizeTarget& target, int n_threads,
                                        const std::function<void(size_t, size_t, const TensorPlan&)>& progress,
                                        const std::atomic<bool>* cancel) {
  EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> in, GgufFile::Open(input));
  EDGELM_ASSIGN_OR_RETURN(std::vector<TensorPlan> plan, PlanQuantization(*in, target));

  GgufWriter w;
  for (const GgufKeyValue& kv : in->metadata()) {
    w.CopyKeyValue(kv);
  }
  w.SetU32("general.file_type", target.file_type);
  if (!IsFloatType(target.base)) w.SetU32("general.quantization_version", 2);
  for (size_t i = 0; i < plan.size(); ++i) {
    const GgufTensorInfo& t = in->tensors()[i];
    EDGELM_RETURN_IF_ERROR(w.AddTensor(t.name, plan[i].to, std::span<const int64_t>(t.ne, t.n_dims)));
  }
  EDGELM_RETURN_IF_ERROR(w.Begin(output));

  ThreadPool pool(std::max(1, n_threads));
  QuantizeStats stats;
  std::vector<float> rows_f32;
  std::vector<uint8_t> rows_out;
  // Rows converted per chunk: bounded memory (~64 MiB of floats) for any tensor size.
  constexpr uint64_t kChunkElements = 16ull << 20;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (cancel && cancel->load()) {
      return CancelledError("quantizing '" + input + "' into '" + output + "' interrupted after " + std::to_string(i) +
                            " of " + std::to_string(plan.size()) + " tensors; the partial file was removed");
    }
    const GgufTensorInfo& t = in->tensors()[i];
    const TensorPlan& p = plan[i];
    const int64_t n_per_row = t.ne[0];
    const int64_t n_rows = static_cast<int64_t>(t.n_elements / static_cast<uint64_t>(n_per_row));
    const uint64_t in_row_bytes = *GgmlRowBytes(t.type, n_per_row);
    const uint64_t out_row_bytes = *GgmlRowBytes(p.to, n_per_row);
    const int64_t chunk_rows = std::max<int64_t>(1, static_cast<int64_t>(kChunkElements / static_cast<uint64_t>(n_per_row)));
    for (int64_t r0 = 0; r0 < n_rows; r0 += chunk_rows) {
      const int64_t nr = std::min(chunk_rows, n_rows - r0);
      const uint8_t* src = t.data + static_cast<uint64_t>(r0) * in_row_bytes;
      if (p.to == t.type) {
        EDGELM_RETURN_IF_ERROR(w.Write(src, static_cast<uint64_t>(nr) * in_row_bytes));
        continue;
      }
      try {
        rows_f32.resize(static_cast<size_t>(nr * n_per_row));
        rows_out.resize(static_cast<size_t>(nr) * out_row_bytes);
      } catch (const std::bad_alloc&) {
        return ResourceExhaustedError("out of memory converting tensor '" + t.name + "'");
      }
      Status failed;
      std::mutex mu;
      pool.ParallelFor(nr, 1, [&](int64_t b, int64_t e) {
        Status st = DequantizeRows(t.type, src + static_cast<uint64_t>(b) * in_row_bytes,
                                   rows_f32.data() + b * n_per_row, e - b, n_per_row);
        if (st.ok()) {
          st = QuantizeRows(p.to, rows_f32.data() + b * n_per_row, rows_out.data() + static_cast<uint64_t>(b) * out_row_bytes,
                            e - b, n_per_row);
        }
        if (!st.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          if (failed.ok()) failed = st;
        }
      });
      EDGELM_RETURN_IF_ERROR(failed.WithContext("tensor '" + t.name + "'"));
      EDGELM_RETURN_IF_ERROR(w.Write(rows_out.data(), rows_out.size()));
    }
    stats.input_bytes += t.n_bytes;
    stats.output_bytes += static_cast<uint64_t>(n_rows) * out_row_bytes;
    if (progress) progress(i + 1, plan.size(), p);
  }
  EDGELM_RETURN_IF_ERROR(w.Finish());
  stats.file_bytes = w.file_size_bytes();
  return stats;
}

}  // namespace edgelm
