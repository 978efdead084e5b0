#include "bench/engine_target.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/clock.h"

namespace edgelm::bench {
namespace {

// Span of the engine's events of one kind recorded since the last ClearTimings(); the
// runner's own wall-clock span when the engine recorded none.
TimedSpan SpanOf(const Session& s, PhaseEvent::Kind kind, TimedSpan wall) {
  bool any = false;
  TimedSpan span;
  for (const PhaseEvent& e : s.events()) {
    if (e.kind != kind) continue;
    if (!any) {
      span = {e.start_ns, e.end_ns};
      any = true;
    } else {
      span.start_ns = std::min(span.start_ns, e.start_ns);
      span.end_ns = std::max(span.end_ns, e.end_ns);
    }
  }
  return any ? span : wall;
}

int32_t Argmax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

class EngineSession : public BenchSession {
 public:
  EngineSession(const Model& model, std::unique_ptr<Session> session)
      : model_(model), session_(std::move(session)) {}

  Status Reset() override {
    session_->Reset();
    return Status::Ok();
  }

  Result<TimedSpan> Prefill(uint32_t n_tokens) override {
    std::vector<int32_t> tokens(n_tokens);
    for (uint32_t i = 0; i < n_tokens; ++i) tokens[i] = NextToken(i);
    session_->ClearTimings();
    TimedSpan wall;
    wall.start_ns = MonotonicNs();
    EDGELM_RETURN_IF_ERROR(session_->Prefill(tokens));
    wall.end_ns = MonotonicNs();
    return SpanOf(*session_, PhaseEvent::kPrefill, wall);
  }

  Result<TimedSpan> Generate(uint32_t n_tokens) override {
    session_->ClearTimings();
    TimedSpan wall;
    wall.start_ns = MonotonicNs();
    for (uint32_t i = 0; i < n_tokens; ++i) EDGELM_RETURN_IF_ERROR(session_->Decode(NextToken(i)));
    wall.end_ns = MonotonicNs();
    return SpanOf(*session_, PhaseEvent::kDecode, wall);
  }

  Result<RequestTrace> Request(const std::string& prompt, uint32_t n_gen) override {
    const Tokenizer& tok = model_.tokenizer();
    RequestTrace trace;
    trace.start_ns = MonotonicNs();
    EDGELM_ASSIGN_OR_RETURN(std::vector<int32_t> tokens,
                            tok.Encode(prompt, tok.add_bos_default() && session_->n_past() == 0, false));
    trace.n_prompt_tokens = static_cast<uint32_t>(tokens.size());
    const uint64_t needed = uint64_t{session_->n_past()} + tokens.size() + n_gen;
    if (needed > session_->n_ctx()) {
      return OutOfRangeError("request needs " + std::to_string(needed) + " context positions (context " +
                             std::to_string(session_->n_past()) + " + prompt " + std::to_string(tokens.size()) +
                             " + generated " + std::to_string(n_gen) + ") but the session has n_ctx " +
                             std::to_string(session_->n_ctx()) + "; raise -c");
    }
    if (tokens.empty()) return InvalidArgumentError("the request prompt tokenizes to no tokens");
    EDGELM_RETURN_IF_ERROR(session_->Prefill(tokens));
    std::vector<int32_t> generated;
    generated.reserve(n_gen);
    for (uint32_t i = 0; i < n_gen; ++i) {
      if (i > 0) EDGELM_RETURN_IF_ERROR(session_->Decode(generated.back()));
      const int32_t id = Argmax(session_->Logits());
      trace.token_ns.push_back(MonotonicNs());
      if (!trace.first_eos_index && tok.IsEndOfGeneration(id)) trace.first_eos_index = i;
      generated.push_back(id);
    }
    trace.text = tok.Decode(generated);
    return trace;
  }

  MemoryBreakdown memory() const override {
    const MemoryUsage m = session_->memory();
    return {m.weights_bytes, m.kv_bytes, m.scratch_bytes};
  }
  std::string isa() const override { return IsaName(session_->isa()); }
  int n_threads() const override { return session_->n_threads(); }
  uint32_t n_ctx() const override { return session_->n_ctx(); }

 private:
  // Synthetic tokens like llama-bench's: BOS at position 0 when the model has one, then
  // pseudo-random ids over the vocabulary (the speed of a forward pass does not depend
  // on which ids, but a constant id could flatter caches).
  int32_t NextToken(uint32_t i) {
    const Tokenizer& tok = model_.tokenizer();
    if (i == 0 && session_->n_past() == 0 && tok.bos_id() >= 0) return tok.bos_id();
    rng_state_ ^= rng_state_ << 13;
    rng_state_ ^= rng_state_ >> 7;
    rng_state_ ^= rng_state_ << 17;
    const uint32_t n_vocab = std::max<uint32_t>(1, model_.info().n_vocab);
    return static_cast<int32_t>(rng_state_ % n_vocab);
  }

  const Model& model_;
  std::unique_ptr<Session> session_;
  uint64_t rng_state_ = 0x9E3779B97F4A7C15ull;
};

class EngineModel : public BenchModel {
 public:
  EngineModel(std::unique_ptr<Model> model, const std::string& path) : model_(std::move(model)) {
    const ModelInfo& mi = model_->info();
    info_.filename = std::filesystem::path(path).filename().string();
    info_.type = DescribeModelType(mi);
    info_.size_bytes = mi.weights_bytes;
    info_.n_params = mi.n_params;
  }
  const TargetModelInfo& info() const override { return info_; }
  std::optional<double> load_ms() const override {
    const LoadTimings& t = model_->load_timings();
    if (t.end_ns <= t.start_ns) return std::nullopt;
    return static_cast<double>(t.end_ns - t.start_ns) / 1e6;
  }
  Result<std::unique_ptr<BenchSession>> NewSession(const TargetSessionOptions& o) const override {
    SessionOptions so;
    so.n_ctx = o.n_ctx;
    so.n_threads = o.n_threads;
    so.n_batch = o.n_batch;
    if (o.type_k == "f16") so.kv_type = KvCacheType::kF16;
    else if (o.type_k == "f32") so.kv_type = KvCacheType::kF32;
    else return InvalidArgumentError("unknown KV cache type '" + o.type_k + "' (expected f16 or f32)");
    so.isa = o.isa;
    so.cpu_affinity = o.cpus;
    EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<Session> s, model_->NewSession(so));
    return std::unique_ptr<BenchSession>(new EngineSession(*model_, std::move(s)));
  }

 private:
  std::unique_ptr<Model> model_;
  TargetModelInfo info_;
};

}  // namespace

std::string DescribeModelType(const ModelInfo& info) {
  const double n = static_cast<double>(info.n_params);
  char size[32];
  if (n >= 1e9) std::snprintf(size, sizeof size, "%.1fB", n / 1e9);
  else if (n >= 1e6) std::snprintf(size, sizeof size, "%.0fM", n / 1e6);
  else if (n >= 1e3) std::snprintf(size, sizeof size, "%.0fK", n / 1e3);
  else std::snprintf(size, sizeof size, "%.0f", n);
  std::string s = info.architecture.empty() ? "unknown" : info.architecture;
  s += std::string(" ") + size;
  if (!info.file_type.empty()) s += " " + info.file_type;
  return s;
}

Result<std::unique_ptr<BenchModel>> EngineTarget::Load(const std::string& path) {
  LoadOptions options;
  options.path = path;
  // Bench's load_ms means ready to prefill at full speed: every weight page is read
  // during load, so that a cold load times the read from storage and no measured run
  // pays page faults.
  options.prefault = true;
  EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, loader_(options));
  return std::unique_ptr<BenchModel>(new EngineModel(std::move(model), path));
}

}  // namespace edgelm::bench
