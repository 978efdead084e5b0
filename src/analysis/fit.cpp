#include "analysis/fit.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "gguf/ggml_types.h"
#include "synth/model_info.h"


namespace edgelm::analysis {
namespace {

struct Scheme {
  const char* name;
  GgmlType base;
  GgmlType output;  // output.weight, or token_embd.weight when tied
  bool mix;         // llama.cpp's *_M: more bits for attn_v and ffn_down in some layers
};

const Scheme kSchemes[] = {
    {"F16", GgmlType::kF16, GgmlType::kF16, false},     {"Q8_0", GgmlType::kQ8_0, GgmlType::kQ8_0, false},
    {"Q6_K", GgmlType::kQ6_K, GgmlType::kQ6_K, false},  {"Q5_K_M", GgmlType::kQ5_K, GgmlType::kQ6_K, true},
    {"Q4_K_M", GgmlType::kQ4_K, GgmlType::kQ6_K, true}, {"Q4_0", GgmlType::kQ4_0, GgmlType::kQ6_K, false},
};

const Scheme* FindScheme(const std::string& name) {
  for (const Scheme& s : kSchemes) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

// llama.cpp's use_more_bits(i, n): the first and last eighth of the layers and every
// third layer in between get the larger type in the *_M mixes.
bool UseMoreBits(uint32_t i, uint32_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }

// "blk.12.attn_v.weight" -> 12; -1 for tensors outside the blocks.
int64_t LayerOf(const std::string& name) {
  if (name.rfind("blk.", 0) != 0) return -1;
  return std::strtoll(name.c_str() + 4, nullptr, 10);
}

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = std::char_traits<char>::length(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

uint64_t KvElementBytes(KvCacheType t) { return t == KvCacheType::kF32 ? 4 : 2; }

// Matrix parameters other than the embedding and output head (the per-token FLOPs of
// every layer), and the output head's.
struct MatrixParams {
  uint64_t layers = 0;
  uint64_t output = 0;
};
MatrixParams CountMatrixParams(const SynthShape& s) {
  MatrixParams p;
  for (const SynthTensor& t : SynthTensorList(s)) {
    if (t.kind != SynthTensorKind::kMatrix) continue;
    uint64_t n = 1;
    for (int64_t d : t.ne) n *= static_cast<uint64_t>(d);
    if (t.name == "token_embd.weight") continue;
    if (t.name == "output.weight") p.output += n; else p.layers += n;
  }
  if (s.tied) p.output = static_cast<uint64_t>(s.n_vocab) * s.n_embd;
  return p;
}

uint64_t TotalWithCtx(const ModelShape& m, uint64_t weights, KvCacheType kv, int n_threads, uint32_t n_ctx) {
  return weights + KvCacheBytes(m, n_ctx, kv) + ScratchBytes(m, n_ctx, n_threads) + kRuntimeOverheadBytes;
}

// Bytes streamed from memory for one decode token at position `n_past`.
uint64_t DecodeBytes(const ModelShape& m, uint64_t weights, uint64_t token_embd, KvCacheType kv, uint32_t n_past) {
  uint64_t bytes = weights;
  if (!m.shape.tied && token_embd > 0 && m.shape.n_vocab > 0) {
    // Untied: the embedding is only looked up, one row per token.
    bytes = bytes - token_embd + token_embd / m.shape.n_vocab;
  }
  return bytes + KvCacheBytes(m, n_past, kv);
}

std::string Mib(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.0f MiB", bytes / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

const std::vector<std::string>& FitWeightTypes() {
  static const std::vector<std::string> types = [] {
    std::vector<std::string> v;
    for (const Scheme& s : kSchemes) v.push_back(s.name);
    return v;
  }();
  return types;
}

Result<ModelShape> ShapeFromPreset(const std::string& name) {
  EDGELM_ASSIGN_OR_RETURN(const SynthPreset* p, FindSynthPreset(name));
  ModelShape m;
  m.shape = p->shape;
  m.head_dim = p->shape.n_embd / p->shape.n_head;
  m.source = std::string("preset ") + p->name + " (" + p->source + ")";
  return m;
}

Result<ModelShape> ShapeFromGguf(const GgufFile& file) {
  ModelShape m;
  EDGELM_ASSIGN_OR_RETURN(std::string arch, file.GetString("general.architecture"));
  if (arch != "llama" && arch != "qwen2") {
    return UnsupportedError("'" + file.name() + "': architecture '" + arch + "' is not handled by fit (llama, qwen2)");
  }
  SynthShape& s = m.shape;
  s.arch = arch;
  EDGELM_ASSIGN_OR_RETURN(s.name, file.GetStringOr("general.name", file.name()));
  EDGELM_ASSIGN_OR_RETURN(s.n_embd, file.GetU32(arch + ".embedding_length"));
  EDGELM_ASSIGN_OR_RETURN(s.n_layer, file.GetU32(arch + ".block_count"));
  EDGELM_ASSIGN_OR_RETURN(s.n_head, file.GetU32(arch + ".attention.head_count"));
  EDGELM_ASSIGN_OR_RETURN(s.n_head_kv, file.GetU32Or(arch + ".attention.head_count_kv", s.n_head));
  EDGELM_ASSIGN_OR_RETURN(s.n_ff, file.GetU32(arch + ".feed_forward_length"));
  EDGELM_ASSIGN_OR_RETURN(s.n_ctx, file.GetU32Or(arch + ".context_length", 0));
  const GgufTensorInfo* embd = file.FindTensorOrNull("token_embd.weight");
  if (embd == nullptr || embd->n_dims != 2) {
    return CorruptError("'" + file.name() + "' has no 2-D token_embd.weight tensor");
  }
  s.n_vocab = static_cast<uint32_t>(embd->ne[1]);
  s.tied = file.FindTensorOrNull("output.weight") == nullptr;
  s.qkv_bias = file.FindTensorOrNull("blk.0.attn_q.bias") != nullptr;
  if (file.FindTensorOrNull("rope_freqs.weight") != nullptr) {
    // Llama 3.1-style RoPE scaling: the tensor list then holds rope_freqs.weight.
    EDGELM_ASSIGN_OR_RETURN(s.rope_scaling.factor, file.GetF32Or(arch + ".rope.scaling.factor", 1.0f));
    if (s.rope_scaling.factor == 0) s.rope_scaling.factor = 1.0f;
  }
  if (s.n_head == 0 || s.n_embd % s.n_head != 0) {
    return CorruptError("'" + file.name() + "': embedding_length " + std::to_string(s.n_embd) +
                        " is not a multiple of head_count " + std::to_string(s.n_head));
  }
  EDGELM_ASSIGN_OR_RETURN(m.head_dim, file.GetU32Or(arch + ".attention.key_length", s.n_embd / s.n_head));
  EDGELM_RETURN_IF_ERROR(ValidateSynthShape(s).WithContext("'" + file.name() + "'"));
  uint64_t bytes = 0;
  for (const GgufTensorInfo& t : file.tensors()) bytes += t.n_bytes;
  m.file_weights_bytes = bytes;
  m.file_token_embd_bytes = embd->n_bytes;
  if (file.FindKeyOrNull("general.file_type") != nullptr) {
    auto id = file.GetU32("general.file_type");
    if (id.ok()) m.file_type = LlamaFileTypeName(*id);
  }
  m.source = file.name();
  return m;
}

Result<WeightEstimate> EstimateWeights(const ModelShape& m, const std::string& type) {
  const Scheme* scheme = FindScheme(type);
  if (scheme == nullptr) {
    std::string known;
    for (const auto& t : FitWeightTypes()) known += (known.empty() ? "" : ", ") + t;
    return InvalidArgumentError("weight type '" + type + "' is not one fit compares (" + known + ")");
  }
  EDGELM_RETURN_IF_ERROR(ValidateSynthShape(m.shape));
  WeightEstimate w;
  for (const SynthTensor& t : SynthTensorList(m.shape)) {
    uint64_t rows = 1;
    for (size_t i = 1; i < t.ne.size(); ++i) rows *= static_cast<uint64_t>(t.ne[i]);
    const uint64_t row_len = static_cast<uint64_t>(t.ne[0]);
    w.parameters += rows * row_len;
    GgmlType type_here = GgmlType::kF32;
    if (t.kind == SynthTensorKind::kMatrix) {
      const bool is_output = t.name == "output.weight" || (m.shape.tied && t.name == "token_embd.weight");
      type_here = is_output ? scheme->output : scheme->base;
      const int64_t layer = LayerOf(t.name);
      if (scheme->mix && layer >= 0 && (EndsWith(t.name, "attn_v.weight") || EndsWith(t.name, "ffn_down.weight")) &&
          UseMoreBits(static_cast<uint32_t>(layer), m.shape.n_layer)) {
        type_here = GgmlType::kQ6_K;
      }
      type_here = SynthTypeForRow(type_here, t.ne[0]);
    }
    const std::optional<uint64_t> row_bytes = GgmlRowBytes(type_here, row_len);
    if (!row_bytes) {
      return InternalError("no row size for " + GgmlTypeName(type_here) + " x " + std::to_string(row_len) + " in " + t.name);
    }
    const uint64_t bytes = *row_bytes * rows;
    w.weights_bytes += bytes;
    if (t.name == "token_embd.weight") w.token_embd_bytes = bytes;
  }
  w.bits_per_weight = w.parameters ? 8.0 * static_cast<double>(w.weights_bytes) / static_cast<double>(w.parameters) : 0;
  return w;
}

uint64_t KvCacheBytes(const ModelShape& m, uint32_t n_ctx, KvCacheType kv_type) {
  return 2ull * m.shape.n_layer * n_ctx * m.shape.n_head_kv * m.head_dim * KvElementBytes(kv_type);
}

uint64_t ScratchBytes(const ModelShape& m, uint32_t n_ctx, int n_threads) {
  const SynthShape& s = m.shape;
  const uint64_t nb = std::min<uint32_t>(512, n_ctx);
  const uint64_t n_q = static_cast<uint64_t>(s.n_head) * m.head_dim;
  const uint64_t n_kv = static_cast<uint64_t>(s.n_head_kv) * m.head_dim;
  // Session buffers (floats): x, xn, proj [nb, n_embd]; q, attn [nb, n_q]; k, v [nb, n_kv];
  // gate, up [nb, n_ff]; RoPE cos and sin [nb, head_dim/2]; logits [n_vocab].
  uint64_t floats = nb * (3ull * s.n_embd + 2 * n_q + 2 * n_kv + 2ull * s.n_ff) + nb * m.head_dim + s.n_vocab;
  // MatMul's converted activations: at most 4 bytes per input element of the widest
  // matrix input (an upper estimate; quantized activations take about 1 byte).
  floats += nb * std::max<uint64_t>({s.n_embd, s.n_ff, n_q});
  // Per thread: the query row, and scores and probabilities over the context.
  floats += static_cast<uint64_t>(std::max(1, n_threads)) * (m.head_dim + 2ull * n_ctx);
  return floats * 4;
}

uint32_t LargestContext(const ModelShape& m, uint64_t weights_bytes, KvCacheType kv_type, int n_threads,
                        uint64_t usable_bytes, uint32_t limit) {
  if (limit == 0 || TotalWithCtx(m, weights_bytes, kv_type, n_threads, 1) > usable_bytes) return 0;
  uint32_t lo = 1, hi = limit;  // invariant: lo fits
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo + 1) / 2;
    if (TotalWithCtx(m, weights_bytes, kv_type, n_threads, mid) <= usable_bytes) lo = mid; else hi = mid - 1;
  }
  return lo;
}

Result<double> PredictionError(double predicted, double measured) {
  if (!std::isfinite(predicted) || !std::isfinite(measured) || !(measured > 0)) {
    return InvalidArgumentError("prediction error needs a finite prediction and a measurement > 0, found " +
                                std::to_string(predicted) + " and " + std::to_string(measured));
  }
  return (predicted - measured) / measured;
}

Result<FitReport> Fit(const ModelShape& model, const DeviceSpec& device, const FitOptions& options) {
  if (options.n_ctx == 0) return InvalidArgumentError("fit: context length is 0, expected at least 1 token");
  if (options.prefill_tokens == 0) return InvalidArgumentError("fit: prefill_tokens is 0, expected at least 1");
  EDGELM_RETURN_IF_ERROR(ValidateSynthShape(model.shape).WithContext("fit: model " + model.shape.name));
  FitReport r;
  r.model = model.shape.name;
  r.model_source = model.source;
  r.device_id = device.id();
  r.device_name = device.profile.name;
  r.n_ctx = options.n_ctx;
  r.kv_type = options.kv_type;
  const int threads = options.n_threads;
  r.power_mode = options.power_mode;
  EDGELM_ASSIGN_OR_RETURN(r.power, DevicePower(device, options.power_mode));

  uint64_t token_embd = 0;
  if (model.file_weights_bytes) {
    r.weights_from_file = true;
    r.weight_type = model.file_type.value_or("as stored");
    r.memory.weights_bytes = *model.file_weights_bytes;
    token_embd = model.file_token_embd_bytes.value_or(0);
  } else {
    r.weight_type = options.weight_type.empty() ? "Q4_K_M" : options.weight_type;
    EDGELM_ASSIGN_OR_RETURN(WeightEstimate w, EstimateWeights(model, r.weight_type));
    r.memory.weights_bytes = w.weights_bytes;
    token_embd = w.token_embd_bytes;
    r.notes.push_back("weights estimated for " + r.weight_type + " from the shape (llama.cpp type-mixing rules)");
  }
  r.memory.kv_bytes = KvCacheBytes(model, options.n_ctx, options.kv_type);
  r.memory.scratch_bytes = ScratchBytes(model, options.n_ctx, threads);
  r.notes.push_back("runtime overhead is an assumed constant of " + Mib(kRuntimeOverheadBytes));

  const uint32_t train_ctx = model.shape.n_ctx;
  const uint32_t limit = train_ctx > 0 ? train_ctx : (1u << 20);
  r.usable_memory_bytes = device.usable_memory_bytes;
  if (device.usable_memory_bytes) {
    const uint64_t usable = static_cast<uint64_t>(device.usable_memory_bytes->value);
    r.fits = r.memory.total_bytes() <= usable;
    r.headroom_bytes = static_cast<int64_t>(usable) - static_cast<int64_t>(r.memory.total_bytes());
    r.max_ctx = LargestContext(model, r.memory.weights_bytes, options.kv_type, threads, usable, limit);
    r.max_ctx_capped_by_training = train_ctx > 0 && *r.max_ctx == train_ctx;
  } else {
    r.notes.push_back("the device's usable memory is unknown: no fit verdict");
  }
  if (train_ctx > 0 && options.n_ctx > train_ctx) {
    r.notes.push_back("context " + std::to_string(options.n_ctx) + " exceeds the model's training context " +
                      std::to_string(train_ctx));
  }

  r.decode_bytes_per_token_start = DecodeBytes(model, r.memory.weights_bytes, token_embd, options.kv_type, 0);
  r.decode_bytes_per_token_full = DecodeBytes(model, r.memory.weights_bytes, token_embd, options.kv_type, options.n_ctx);
  r.memory_bandwidth_bytes_per_s = device.memory_bandwidth_bytes_per_s;
  if (device.memory_bandwidth_bytes_per_s) {
    const double bw = device.memory_bandwidth_bytes_per_s->value;
    r.predicted_decode_tokens_per_s_start = bw / static_cast<double>(r.decode_bytes_per_token_start);
    r.predicted_decode_tokens_per_s_full = bw / static_cast<double>(r.decode_bytes_per_token_full);
  } else {
    r.notes.push_back("no memory bandwidth figure for the device: no decode prediction");
  }
  // Prefill FLOPs per prompt token: 2 per matrix weight of the layers, attention
  // (QK^T and PV: 4 x n_layer x n_head x head_dim x position) at the prompt's mean
  // position, and the output head once per prompt (only the last row's logits).
  const MatrixParams mp = CountMatrixParams(model.shape);
  const double p = options.prefill_tokens;
  r.prefill_flops_per_token = 2.0 * static_cast<double>(mp.layers) +
                              4.0 * model.shape.n_layer * model.shape.n_head * model.head_dim * (p - 1) / 2.0 +
                              2.0 * static_cast<double>(mp.output) / p;
  r.compute_flops_per_s = device.compute_flops_per_s;
  if (device.compute_flops_per_s) {
    r.predicted_prefill_tokens_per_s = device.compute_flops_per_s->value / r.prefill_flops_per_token;
  }

  for (const std::string& type : FitWeightTypes()) {
    TypeFit tf;
    tf.type = type;
    EDGELM_ASSIGN_OR_RETURN(tf.weights, EstimateWeights(model, type));
    tf.memory = r.memory;
    tf.memory.weights_bytes = tf.weights.weights_bytes;
    if (device.usable_memory_bytes) {
      const uint64_t usable = static_cast<uint64_t>(device.usable_memory_bytes->value);
      tf.fits = tf.memory.total_bytes() <= usable;
      tf.max_ctx = LargestContext(model, tf.weights.weights_bytes, options.kv_type, threads, usable, limit);
    }
    if (device.memory_bandwidth_bytes_per_s) {
      tf.predicted_decode_tokens_per_s =
          device.memory_bandwidth_bytes_per_s->value /
          static_cast<double>(DecodeBytes(model, tf.weights.weights_bytes, tf.weights.token_embd_bytes, options.kv_type, 0));
    }
    r.types.push_back(std::move(tf));
  }
  for (const auto& n : device.notes) r.notes.push_back(n);
  return r;
}

}  // namespace edgelm::analysis
