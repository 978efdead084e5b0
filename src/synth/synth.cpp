#include "synth/synth.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/checked_math.h"
#include "kernels/quantize.h"
#include "synth/random.h"

namespace edgelm {
namespace {

// Bounds that keep every size computation far from overflow while covering any real
// model (the largest open models have n_embd 16384, n_vocab ~260k, n_ff ~53k, 126 layers).
constexpr uint32_t kMaxDim = 1u << 20;
constexpr uint32_t kMaxLayers = 1024;

// Floats generated per chunk: 1 MiB of f32, so memory stays flat for any model size.
constexpr uint64_t kChunkFloats = 1u << 18;

// Weight scales, the same recipe as ../shared/fixtures/reference (which llama.cpp ran):
// matrices N(0, 0.02²), RMSNorm weights 1 + 0.1·N(0, 1), biases N(0, 0.02²).
// Why activations stay finite through any depth: every matrix multiply follows an
// RMSNorm, so its input has RMS ≈ 1 and each output is a sum of n_in terms with std 0.02,
// i.e. RMS ≈ 0.02·sqrt(n_in) (≈ 1.1 for n_in = 3072, ≈ 1.9 for n_ff = 8960). Each layer
// therefore adds O(1) to the residual stream, which grows like sqrt(n_layer) (≈ 6 after
// 28 layers): far below F16's 65504 limit, and softmax/SiLU inputs stay moderate.
constexpr double kMatrixStd = 0.02;
constexpr double kNormStd = 0.1;
constexpr double kBiasStd = 0.02;

Status Field(const char* name, uint64_t v, uint64_t lo, uint64_t hi) {
  if (v < lo || v > hi) {
    return InvalidArgumentError(std::string("synth shape: ") + name + " = " + std::to_string(v) +
                                ", expected " + std::to_string(lo) + ".." + std::to_string(hi));
  }
  return Status::Ok();
}

Status CheckWeightType(GgmlType type) {
  if (IsSupportedWeightType(type)) return Status::Ok();
  return UnsupportedError("synth: weight type " + GgmlTypeName(type) +
                          " cannot be produced (the quantizer supports F32, F16, BF16, Q4_0, Q4_1, Q5_0, "
                          "Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K)");
}

bool IsQuantized(GgmlType t) { return t != GgmlType::kF32 && t != GgmlType::kF16 && t != GgmlType::kBF16; }

}  // namespace

Status ValidateSynthShape(const SynthShape& s) {
  if (s.arch != "llama" && s.arch != "qwen2") {
    return InvalidArgumentError("synth shape: arch '" + s.arch + "' is not supported (expected llama or qwen2)");
  }
  EDGELM_RETURN_IF_ERROR(Field("n_embd", s.n_embd, 1, kMaxDim));
  EDGELM_RETURN_IF_ERROR(Field("n_layer", s.n_layer, 1, kMaxLayers));
  EDGELM_RETURN_IF_ERROR(Field("n_head", s.n_head, 1, s.n_embd));
  EDGELM_RETURN_IF_ERROR(Field("n_head_kv", s.n_head_kv, 1, s.n_head));
  EDGELM_RETURN_IF_ERROR(Field("n_ff", s.n_ff, 1, kMaxDim));
  EDGELM_RETURN_IF_ERROR(Field("n_vocab", s.n_vocab, 1, kMaxDim));
  EDGELM_RETURN_IF_ERROR(Field("n_ctx", s.n_ctx, 1, 1u << 24));
  if (s.n_embd % s.n_head != 0) {
    return InvalidArgumentError("synth shape: n_embd " + std::to_string(s.n_embd) + " is not a multiple of n_head " +
                                std::to_string(s.n_head));
  }
  if ((s.n_embd / s.n_head) % 2 != 0) {
    return InvalidArgumentError("synth shape: head size n_embd/n_head = " + std::to_string(s.n_embd / s.n_head) +
                                " is odd; RoPE rotates pairs and needs an even head size");
  }
  if (s.n_head % s.n_head_kv != 0) {
    return InvalidArgumentError("synth shape: n_head " + std::to_string(s.n_head) + " is not a multiple of n_head_kv " +
                                std::to_string(s.n_head_kv) + " (grouped-query attention shares KV heads evenly)");
  }
  if (!(std::isfinite(s.rope_base) && s.rope_base > 1.0f)) {
    return InvalidArgumentError("synth shape: rope base " + std::to_string(s.rope_base) + ", expected > 1");
  }
  if (!(std::isfinite(s.rms_eps) && s.rms_eps > 0.0f && s.rms_eps < 1.0f)) {
    return InvalidArgumentError("synth shape: rms eps " + std::to_string(s.rms_eps) + ", expected in (0, 1)");
  }
  const Llama3RopeScaling& r = s.rope_scaling;
  if (r.factor != 0 && !(r.factor >= 1 && r.low_freq_factor > 0 && r.high_freq_factor > r.low_freq_factor &&
                         r.original_context > 0)) {
    return InvalidArgumentError("synth shape: llama3 rope scaling needs factor >= 1, 0 < low < high freq factor "
                                "and an original context > 0");
  }
  return Status::Ok();
}

std::vector<SynthTensor> SynthTensorList(const SynthShape& s) {
  const int64_t embd = s.n_embd, hd = s.n_embd / s.n_head;
  const int64_t q = s.n_head * hd, kv = s.n_head_kv * hd, ff = s.n_ff, vocab = s.n_vocab;
  std::vector<SynthTensor> t;
  t.push_back({"token_embd.weight", SynthTensorKind::kMatrix, {embd, vocab}});
  t.push_back({"output_norm.weight", SynthTensorKind::kNorm, {embd}});
  if (!s.tied) t.push_back({"output.weight", SynthTensorKind::kMatrix, {embd, vocab}});
  if (s.rope_scaling.factor != 0) t.push_back({"rope_freqs.weight", SynthTensorKind::kRopeFreqs, {hd / 2}});
  for (uint32_t l = 0; l < s.n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    t.push_back({b + "attn_norm.weight", SynthTensorKind::kNorm, {embd}});
    t.push_back({b + "attn_q.weight", SynthTensorKind::kMatrix, {embd, q}});
    t.push_back({b + "attn_k.weight", SynthTensorKind::kMatrix, {embd, kv}});
    t.push_back({b + "attn_v.weight", SynthTensorKind::kMatrix, {embd, kv}});
    if (s.qkv_bias) {
      t.push_back({b + "attn_q.bias", SynthTensorKind::kBias, {q}});
      t.push_back({b + "attn_k.bias", SynthTensorKind::kBias, {kv}});
      t.push_back({b + "attn_v.bias", SynthTensorKind::kBias, {kv}});
    }
    t.push_back({b + "attn_output.weight", SynthTensorKind::kMatrix, {q, embd}});
    t.push_back({b + "ffn_norm.weight", SynthTensorKind::kNorm, {embd}});
    t.push_back({b + "ffn_gate.weight", SynthTensorKind::kMatrix, {embd, ff}});
    t.push_back({b + "ffn_up.weight", SynthTensorKind::kMatrix, {embd, ff}});
    t.push_back({b + "ffn_down.weight", SynthTensorKind::kMatrix, {ff, embd}});
  }
  return t;
}

uint64_t SynthParameterCount(const SynthShape& s) {
  uint64_t n = 0;
  for (const auto& t : SynthTensorList(s)) {
    uint64_t e = 1;
    for (int64_t d : t.ne) e *= static_cast<uint64_t>(d);
    n += e;
  }
  return n;
}

std::vector<float> Llama3RopeFreqFactors(uint32_t head_dim, float rope_base, const Llama3RopeScaling& r) {
  // float32 throughout, as llama.cpp's converter computes it with torch float32 tensors.
  const float kPi = 3.14159265358979323846f;
  const float low_wavelen = static_cast<float>(r.original_context) / r.low_freq_factor;
  const float high_wavelen = static_cast<float>(r.original_context) / r.high_freq_factor;
  std::vector<float> out;
  for (uint32_t i = 0; i < head_dim; i += 2) {
    const float freq = 1.0f / std::pow(rope_base, static_cast<float>(i) / static_cast<float>(head_dim));
    const float wavelen = 2.0f * kPi / freq;
    if (wavelen < high_wavelen) {
      out.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      out.push_back(r.factor);
    } else {
      const float smooth = (static_cast<float>(r.original_context) / wavelen - r.low_freq_factor) /
                           (r.high_freq_factor - r.low_freq_factor);
      out.push_back(1.0f / ((1.0f - smooth) / r.factor + smooth));
    }
  }
  return out;
}

GgmlType SynthTypeForRow(GgmlType type, int64_t row_length) {
  auto fits = [row_length](GgmlType t) {
    const GgmlTypeInfo* info = FindGgmlTypeInfo(t);
    return info != nullptr && row_length % info->block_size == 0;
  };
  if (fits(type)) return type;
  GgmlType fallback = GgmlType::kF16;
  switch (type) {
    case GgmlType::kQ2_K: case GgmlType::kQ3_K: fallback = GgmlType::kQ4_0; break;
    case GgmlType::kQ4_K: fallback = GgmlType::kQ5_0; break;
    case GgmlType::kQ5_K: fallback = GgmlType::kQ5_1; break;
    case GgmlType::kQ6_K: fallback = GgmlType::kQ8_0; break;
    default: break;
  }
  return fits(fallback) ? fallback : GgmlType::kF16;
}

std::optional<uint32_t> SynthFileTypeId(GgmlType type) {
  switch (type) {
    case GgmlType::kF32: return 0;
    case GgmlType::kF16: return 1;
    case GgmlType::kQ4_0: return 2;
    case GgmlType::kQ4_1: return 3;
    case GgmlType::kQ8_0: return 7;
    case GgmlType::kQ5_0: return 8;
    case GgmlType::kQ5_1: return 9;
    case GgmlType::kQ2_K: return 10;
    case GgmlType::kQ3_K: return 11;
    case GgmlType::kQ4_K: return 14;
    case GgmlType::kQ5_K: return 16;
    case GgmlType::kQ6_K: return 18;
    case GgmlType::kBF16: return 32;
    default: return std::nullopt;
  }
}

Status SetSynthMetadata(const SynthOptions& o, GgufWriter* w) {
  const SynthShape& s = o.shape;
  EDGELM_RETURN_IF_ERROR(ValidateSynthShape(s));
  EDGELM_RETURN_IF_ERROR(CheckWeightType(o.type));
  const std::string a = s.arch + ".";
  const std::string name = s.name.empty() ? "synth-" + s.arch : s.name;
  w->SetString("general.architecture", s.arch);
  w->SetString("general.name", name);
  w->SetString("general.description",
               "random weights with the shapes of " + (o.preset.empty() ? name : o.preset) +
                   " (edgelm synth, seed " + std::to_string(o.seed) + "); not a trained model");
  if (const auto ft = SynthFileTypeId(o.type)) w->SetU32("general.file_type", *ft);
  if (IsQuantized(o.type)) w->SetU32("general.quantization_version", 2);
  w->SetU64("edgelm.synth.seed", o.seed);
  if (!o.preset.empty()) w->SetString("edgelm.synth.preset", o.preset);
  w->SetU32(a + "vocab_size", s.n_vocab);
  w->SetU32(a + "context_length", s.n_ctx);
  w->SetU32(a + "embedding_length", s.n_embd);
  w->SetU32(a + "block_count", s.n_layer);
  w->SetU32(a + "feed_forward_length", s.n_ff);
  w->SetU32(a + "attention.head_count", s.n_head);
  w->SetU32(a + "attention.head_count_kv", s.n_head_kv);
  w->SetF32(a + "attention.layer_norm_rms_epsilon", s.rms_eps);
  w->SetF32(a + "rope.freq_base", s.rope_base);
  w->SetU32(a + "rope.dimension_count", s.n_embd / s.n_head);

  if (o.vocab_source != nullptr) {
    for (const auto& kv : o.vocab_source->metadata()) {
      if (kv.key.rfind("tokenizer.", 0) == 0) w->CopyKeyValue(kv);
    }
    EDGELM_ASSIGN_OR_RETURN(VocabMetadata v, ReadVocabFromGguf(*o.vocab_source));
    if (v.tokens.size() != s.n_vocab) {
      EDGELM_RETURN_IF_ERROR(PadVocab(&v, s.n_vocab).WithContext("--vocab-from " + o.vocab_source->name()));
      w->SetStringArray("tokenizer.ggml.tokens", v.tokens);
      if (!v.token_types.empty()) w->SetI32Array("tokenizer.ggml.token_type", v.token_types);
      if (!v.scores.empty()) w->SetF32Array("tokenizer.ggml.scores", v.scores);
    }
  } else {
    VocabMetadata v;
    if (o.vocab) {
      v = *o.vocab;
      EDGELM_RETURN_IF_ERROR(PadVocab(&v, s.n_vocab));
    } else {
      EDGELM_ASSIGN_OR_RETURN(v, BuiltinByteVocab(s.n_vocab));
    }
    SetVocabMetadata(v, w);
  }
  return Status::Ok();
}

Status DeclareSynthTensors(const SynthOptions& o, GgufWriter* w, std::vector<GgmlType>* types_out) {
  const SynthShape& s = o.shape;
  EDGELM_RETURN_IF_ERROR(ValidateSynthShape(s));
  EDGELM_RETURN_IF_ERROR(CheckWeightType(o.type));
  if (types_out) types_out->clear();
  for (const auto& t : SynthTensorList(s)) {
    // 1-D tensors stay F32, as llama.cpp keeps them.
    const GgmlType type = t.kind == SynthTensorKind::kMatrix ? SynthTypeForRow(o.type, t.ne[0]) : GgmlType::kF32;
    EDGELM_RETURN_IF_ERROR(w->AddTensor(t.name, type, t.ne));
    if (types_out) types_out->push_back(type);
  }
  return Status::Ok();
}

Status PrepareSynthWriter(const SynthOptions& o, GgufWriter* w, std::vector<GgmlType>* types_out) {
  EDGELM_RETURN_IF_ERROR(SetSynthMetadata(o, w));
  return DeclareSynthTensors(o, w, types_out);
}

namespace {

Status WriteTensorData(const SynthTensor& t, GgmlType type, uint64_t tensor_index, const SynthOptions& o,
                       GgufWriter* w) {
  uint64_t stream_seed = tensor_index;
  uint64_t mixed = o.seed ^ SplitMix64(&stream_seed);
  Xoshiro256 rng(SplitMix64(&mixed));
  const int64_t row = t.ne[0];
  int64_t n_rows = 1;
  for (size_t d = 1; d < t.ne.size(); ++d) n_rows *= t.ne[d];
  const int64_t rows_per_chunk =
      std::max<int64_t>(1, static_cast<int64_t>(kChunkFloats / static_cast<uint64_t>(row)));
  const uint64_t row_bytes = *GgmlRowBytes(type, static_cast<uint64_t>(row));
  std::vector<float> values;
  std::vector<uint8_t> bytes;
  const std::vector<float> rope = t.kind == SynthTensorKind::kRopeFreqs
                                      ? Llama3RopeFreqFactors(o.shape.n_embd / o.shape.n_head, o.shape.rope_base,
                                                              o.shape.rope_scaling)
                                      : std::vector<float>();
  for (int64_t r0 = 0; r0 < n_rows; r0 += rows_per_chunk) {
    const int64_t rows = std::min(rows_per_chunk, n_rows - r0);
    values.resize(static_cast<size_t>(rows * row));
    for (float& v : values) {
      switch (t.kind) {
        case SynthTensorKind::kMatrix: v = static_cast<float>(kMatrixStd * rng.Normal()); break;
        case SynthTensorKind::kNorm: v = static_cast<float>(1.0 + kNormStd * rng.Normal()); break;
        case SynthTensorKind::kBias: v = static_cast<float>(kBiasStd * rng.Normal()); break;
        case SynthTensorKind::kRopeFreqs: break;
      }
    }
    if (t.kind == SynthTensorKind::kRopeFreqs) values = rope;
    bytes.resize(static_cast<size_t>(row_bytes * static_cast<uint64_t>(rows)));
    EDGELM_RETURN_IF_ERROR(QuantizeRows(type, values.data(), bytes.data(), rows, row).WithContext(t.name));
    EDGELM_RETURN_IF_ERROR(w->Write(bytes.data(), bytes.size()));
  }
  return Status::Ok();
}

}  // namespace

Result<SynthResult> SynthesizeModel(const SynthOptions& o, const std::string& path,
                                    const std::function<void(const SynthProgress&)>& progress) {
  GgufWriter w;
  std::vector<GgmlType> types;
  EDGELM_RETURN_IF_ERROR(PrepareSynthWriter(o, &w, &types));
  const std::vector<SynthTensor> tensors = SynthTensorList(o.shape);
  SynthResult result;
  result.parameters = SynthParameterCount(o.shape);
  // One line per (fallback type, row length): "37 tensors (token_embd.weight, ...): ...".
  std::vector<std::pair<std::string, std::pair<size_t, std::string>>> groups;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].kind != SynthTensorKind::kMatrix || types[i] == o.type) continue;
    const std::string why = GgmlTypeName(o.type) + " -> " + GgmlTypeName(types[i]) + " (row length " +
                            std::to_string(tensors[i].ne[0]) + " is not a multiple of the " +
                            GgmlTypeName(o.type) + " block size " +
                            std::to_string(FindGgmlTypeInfo(o.type)->block_size) + ")";
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == why; });
    if (it == groups.end()) groups.push_back({why, {1, tensors[i].name}});
    else ++it->second.first;
  }
  for (const auto& [why, g] : groups) {
    result.fallbacks.push_back(std::to_string(g.first) + (g.first == 1 ? " tensor (" : " tensors (") + g.second +
                               (g.first == 1 ? "" : ", ...") + "): " + why);
  }
  EDGELM_RETURN_IF_ERROR(w.Begin(path));
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (o.cancel && o.cancel->load()) {
      return CancelledError("synthesis of '" + path + "' interrupted after " + std::to_string(i) + " of " +
                            std::to_string(tensors.size()) + " tensors; the partial file was removed");
    }
    EDGELM_RETURN_IF_ERROR(WriteTensorData(tensors[i], types[i], i, o, &w));
    if (progress) progress({i + 1, tensors.size(), w.bytes_written(), w.file_size_bytes()});
  }
  EDGELM_RETURN_IF_ERROR(w.Finish());
  result.file_size_bytes = w.file_size_bytes();
  return result;
}

}  // namespace edgelm
