// A deterministic stand-in for the engine API (include/edgelm/engine.h), only for
// checking the runner's timing arithmetic and bookkeeping without a real model.
//
// Two clocks: by default the fake never sleeps and stamps its PhaseEvents on a virtual
// clock that runs ahead of the real one (prefill 1 ms per token, decode 2 ms per step),
// so spans measured from events are exact. With sleep_for_real, Prefill and Decode sleep
// those durations, for the request test whose times the runner takes itself.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "core/clock.h"
#include "edgelm/engine.h"

namespace edgelm::bench::testing {

inline constexpr int64_t kFakePrefillNsPerToken = 1000000;
inline constexpr int64_t kFakeDecodeNs = 2000000;
inline constexpr int64_t kFakeLoadNs = 3000000;
inline constexpr uint32_t kFakeVocab = 300;
inline constexpr int32_t kFakeBos = 1, kFakeEos = 2;

struct FakeOptions {
  bool sleep_for_real = false;
  std::atomic<int>* loads = nullptr;  // counts Model loads
};

class FakeTokenizer : public Tokenizer {
 public:
  // One token per byte (id = byte + 3, so 0..2 stay special).
  Result<std::vector<int32_t>> Encode(std::string_view text, bool add_bos, bool) const override {
    std::vector<int32_t> ids;
    if (add_bos) ids.push_back(kFakeBos);
    for (unsigned char ch : text) ids.push_back(static_cast<int32_t>(ch) % 250 + 3);
    return ids;
  }
  std::string TokenToPiece(int32_t id, bool) const override {
    return id < 3 ? std::string() : std::string(1, static_cast<char>(id - 3));
  }
  std::string Decode(std::span<const int32_t> ids, bool) const override {
    std::string s;
    for (int32_t id : ids) s += TokenToPiece(id, false);
    return s;
  }
  int32_t n_vocab() const override { return kFakeVocab; }
  int32_t bos_id() const override { return kFakeBos; }
  int32_t eos_id() const override { return kFakeEos; }
  bool add_bos_default() const override { return true; }
  bool IsEndOfGeneration(int32_t id) const override { return id == kFakeEos; }
  TokenType token_type(int32_t) const override { return TokenType::kNormal; }
  const std::string& token_text(int32_t) const override { return empty_; }
  std::string model_name() const override { return "fake"; }
  std::string pre_name() const override { return "default"; }
  const std::string& chat_template() const override { return empty_; }

 private:
  std::string empty_;
};

class FakeSession : public Session {
 public:
  FakeSession(const Model& model, const SessionOptions& o, FakeOptions fo)
      : model_(model), options_(o), fake_(fo), logits_(kFakeVocab) {}

  Status Prefill(std::span<const int32_t> tokens, bool) override {
    for (int32_t t : tokens) {
      if (t < 0 || t >= static_cast<int32_t>(kFakeVocab)) return InvalidArgumentError("fake: token id out of range");
    }
    if (n_past_ + tokens.size() > options_.n_ctx) return OutOfRangeError("fake: context full");
    Step(PhaseEvent::kPrefill, static_cast<uint32_t>(tokens.size()), kFakePrefillNsPerToken * static_cast<int64_t>(tokens.size()));
    return Status::Ok();
  }
  Status Decode(int32_t token) override {
    if (token < 0 || token >= static_cast<int32_t>(kFakeVocab)) return InvalidArgumentError("fake: token id out of range");
    if (n_past_ + 1 > options_.n_ctx) return OutOfRangeError("fake: context full");
    Step(PhaseEvent::kDecode, 1, kFakeDecodeNs);
    return Status::Ok();
  }
  std::span<const float> Logits(int) const override { return logits_; }
  int n_logit_rows() const override { return 1; }
  uint32_t n_past() const override { return n_past_; }
  uint32_t n_ctx() const override { return options_.n_ctx; }
  Status TruncateTo(uint32_t n) override {
    n_past_ = std::min(n, n_past_);
    return Status::Ok();
  }
  void Reset() override { n_past_ = 0; }
  MemoryUsage memory() const override { return {1000000, uint64_t{options_.n_ctx} * 1024, 4096}; }
  const std::vector<PhaseEvent>& events() const override { return events_; }
  void ClearTimings() override { events_.clear(); }
  Isa isa() const override { return Isa::kScalar; }
  int n_threads() const override { return options_.n_threads; }
  const Model& model() const override { return model_; }

 private:
  void Step(PhaseEvent::Kind kind, uint32_t n, int64_t duration_ns) {
    int64_t start;
    if (fake_.sleep_for_real) {
      start = MonotonicNs();
      std::this_thread::sleep_for(std::chrono::nanoseconds(duration_ns));
    } else {
      start = std::max(MonotonicNs(), virtual_now_ns_);
    }
    const int64_t end = fake_.sleep_for_real ? MonotonicNs() : start + duration_ns;
    virtual_now_ns_ = end;
    events_.push_back({kind, start, end, n, n_past_});
    n_past_ += n;
    // Next token: end-of-generation at positions that are multiples of 5, else a letter.
    std::fill(logits_.begin(), logits_.end(), 0.0f);
    logits_[n_past_ % 5 == 0 ? kFakeEos : 3 + 'a' + n_past_ % 26] = 1.0f;
  }

  const Model& model_;
  SessionOptions options_;
  FakeOptions fake_;
  std::vector<float> logits_;
  std::vector<PhaseEvent> events_;
  uint32_t n_past_ = 0;
  int64_t virtual_now_ns_ = 0;
};

class FakeModel : public Model {
 public:
  explicit FakeModel(FakeOptions fo) : fake_(fo) {
    info_.architecture = "llama";
    info_.file_type = "F32";
    info_.n_vocab = kFakeVocab;
    info_.n_ctx_train = 4096;
    info_.n_params = 260000;
    info_.weights_bytes = 1000000;
    timings_.start_ns = MonotonicNs();
    timings_.end_ns = timings_.start_ns + kFakeLoadNs;
    if (fake_.loads) ++*fake_.loads;
  }
  const ModelInfo& info() const override { return info_; }
  const Tokenizer& tokenizer() const override { return tokenizer_; }
  const LoadTimings& load_timings() const override { return timings_; }
  const GgufFile& gguf() const override { CheckFailed(__FILE__, __LINE__, "gguf()", "the fake model has no GGUF file"); }
  Result<std::unique_ptr<Session>> NewSession(const SessionOptions& o) const override {
    if (o.n_ctx > info_.n_ctx_train) {
      return OutOfRangeError("fake: n_ctx " + std::to_string(o.n_ctx) + " exceeds the training context 4096");
    }
    SessionOptions resolved = o;
    if (resolved.n_ctx == 0) resolved.n_ctx = info_.n_ctx_train;
    return std::unique_ptr<Session>(new FakeSession(*this, resolved, fake_));
  }

 private:
  FakeOptions fake_;
  ModelInfo info_;
  LoadTimings timings_;
  FakeTokenizer tokenizer_;
};

}  // namespace edgelm::bench::testing
