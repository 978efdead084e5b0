// Model loading: parse the container, map general.architecture to its family, read the
// hyperparameters, bind every tensor in place (views into the map, checked against the
// hyperparameters), build the tokenizer, and optionally fault the weight pages in.
#include <algorithm>
#include <map>

#include "core/clock.h"
#include "model/model_impl.h"

namespace edgelm {
namespace {

constexpr uint64_t kPageBytes = 4096;
// Progress is reported after each chunk of prefaulted bytes.
constexpr uint64_t kPrefaultChunkBytes = 16ull << 20;

std::string FileStem(const std::string& path) {
  size_t slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  size_t dot = base.rfind('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

// The type holding most weight elements among the matrices, e.g. "Q4_K" for a Q4_K_M
// file without general.file_type.
std::string InferFileType(const GgufFile& file) {
  std::map<std::string, uint64_t> elements;
  for (const GgufTensorInfo& t : file.tensors()) {
    if (t.n_dims >= 2) elements[GgmlTypeName(t.type)] += t.n_elements;
  }
  std::string best;
  uint64_t best_n = 0;
  for (const auto& [name, n] : elements) {
    if (n > best_n) best = name, best_n = n;
  }
  return best;
}

bool ReportProgress(const LoadOptions& options, float fraction) {
  return !options.progress || options.progress(fraction);
}

Status Cancelled(const std::string& path) {
  return CancelledError("loading " + path + " was cancelled by the progress callback");
}

// Reads one byte of every page of [begin, end) so that the pages are resident.
Status Prefault(const GgufFile& file, const LoadOptions& options, float from, float to) {
  const uint8_t* data = file.file_data();
  const uint64_t begin = file.data_offset(), end = file.file_size();
  if (end <= begin) return Status::Ok();
  volatile uint8_t sink = 0;
  for (uint64_t chunk = begin; chunk < end; chunk += kPrefaultChunkBytes) {
    const uint64_t chunk_end = std::min(end, chunk + kPrefaultChunkBytes);
    uint8_t acc = 0;
    for (uint64_t off = chunk; off < chunk_end; off += kPageBytes) acc ^= data[off];
    sink = sink ^ acc;
    const float fraction = from + (to - from) * static_cast<float>(chunk_end - begin) / static_cast<float>(end - begin);
    if (!ReportProgress(options, fraction)) return Cancelled(options.path);
  }
  return Status::Ok();
}

}  // namespace

const char* KvCacheTypeName(KvCacheType t) { return t == KvCacheType::kF16 ? "f16" : "f32"; }

Result<KvCacheType> ParseKvCacheType(const std::string& name) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (lower == "f16") return KvCacheType::kF16;
  if (lower == "f32") return KvCacheType::kF32;
  return InvalidArgumentError("unknown KV cache type '" + name + "' (expected f16 or f32)");
}

uint64_t ModelInfo::KvBytes(uint32_t n_ctx, KvCacheType type) const {
  const uint64_t elem = type == KvCacheType::kF16 ? 2 : 4;
  return 2ull * n_layer * n_ctx * n_head_kv * head_dim * elem;
}

Result<std::unique_ptr<Model>> LoadModelImpl(const LoadOptions& options) {
  auto model = std::unique_ptr<ModelImpl>(new ModelImpl());
  model->timings_.start_ns = MonotonicNs();
  if (!ReportProgress(options, 0.0f)) return Cancelled(options.path);

  EDGELM_ASSIGN_OR_RETURN(model->file_, GgufFile::Open(options.path));
  const GgufFile& file = *model->file_;
  EDGELM_ASSIGN_OR_RETURN(std::string arch, file.GetString("general.architecture"));
  model->arch_ = FindArchitectureOrNull(arch);
  if (!model->arch_) {
    return UnsupportedError("architecture '" + arch + "' of " + options.path +
                            " is not supported (supported: " + SupportedArchitectureNames() + ")");
  }
  EDGELM_ASSIGN_OR_RETURN(model->hp_, ReadHParams(file, arch));
  const HParams& hp = model->hp_;
  TensorBinder binder(file, hp);
  EDGELM_RETURN_IF_ERROR(model->arch_->BindWeights(binder, model->weights_));
  EDGELM_ASSIGN_OR_RETURN(model->tokenizer_, LoadModelTokenizer(file));
  // The embedding may have padding rows beyond the tokenizer's tokens, never fewer rows.
  if (model->tokenizer_->n_vocab() > static_cast<int32_t>(hp.n_vocab)) {
    return CorruptError("the tokenizer has " + std::to_string(model->tokenizer_->n_vocab()) +
                        " tokens but token_embd.weight has only " + std::to_string(hp.n_vocab) +
                        " rows: token ids would index past the embedding");
  }
  if (!ReportProgress(options, 0.05f)) return Cancelled(options.path);

  ModelInfo& info = model->info_;
  info.architecture = arch;
  EDGELM_ASSIGN_OR_RETURN(info.name, file.GetStringOr("general.name", FileStem(options.path)));
  if (file.FindKeyOrNull("general.file_type")) {
    EDGELM_ASSIGN_OR_RETURN(uint32_t file_type, file.GetU32("general.file_type"));
    info.file_type = FileTypeName(file_type);
  }
  if (info.file_type.empty()) info.file_type = InferFileType(file);
  info.n_vocab = hp.n_vocab;
  info.n_ctx_train = hp.n_ctx_train;
  info.n_embd = hp.n_embd;
  info.n_layer = hp.n_layer;
  info.n_head = hp.n_head;
  info.n_head_kv = hp.n_head_kv;
  info.head_dim = hp.head_dim;
  info.n_ff = hp.n_ff;
  info.rope_freq_base = hp.rope_freq_base;
  info.rms_norm_eps = hp.rms_norm_eps;
  info.tied_embeddings = model->weights_.tied_output;
  for (const GgufTensorInfo& t : file.tensors()) {
    info.n_params += t.n_elements;
    info.weights_bytes += t.n_bytes;
  }
  info.file_bytes = file.file_size();
  info.bits_per_weight = info.n_params ? static_cast<double>(info.weights_bytes) * 8.0 / static_cast<double>(info.n_params) : 0.0;

  if (options.prefault) EDGELM_RETURN_IF_ERROR(Prefault(file, options, 0.05f, 1.0f));
  if (!ReportProgress(options, 1.0f)) return Cancelled(options.path);
  model->timings_.end_ns = MonotonicNs();
  return std::unique_ptr<Model>(std::move(model));
}

Result<std::unique_ptr<Model>> Model::Load(const LoadOptions& options) {
  Result<std::unique_ptr<Model>> model = LoadModelImpl(options);
  if (!model.ok()) return model.status().WithContext("loading " + options.path);
  return model;
}

Result<std::unique_ptr<Session>> ModelImpl::NewSession(const SessionOptions& options) const {
  return SessionImpl::Create(*this, options);
}

}  // namespace edgelm
