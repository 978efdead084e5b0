#include "study/recording_target.h"

namespace edgelm::study {
namespace {

using namespace bench;

class RecordingSession : public BenchSession {
 public:
  RecordingSession(std::unique_ptr<BenchSession> inner, SpanLog& log) : inner_(std::move(inner)), log_(log) {}
  Status Reset() override { return inner_->Reset(); }
  Result<TimedSpan> Prefill(uint32_t n) override {
    auto r = inner_->Prefill(n);
    if (r.ok()) log_.Add({RecordedSpan::kPrefill, r->start_ns, r->end_ns, n});
    return r;
  }
  Result<TimedSpan> Generate(uint32_t n) override {
    auto r = inner_->Generate(n);
    if (r.ok()) log_.Add({RecordedSpan::kDecode, r->start_ns, r->end_ns, n});
    return r;
  }
  Result<RequestTrace> Request(const std::string& prompt, uint32_t n_gen) override {
    auto r = inner_->Request(prompt, n_gen);
    if (r.ok() && !r->token_ns.empty()) {
      log_.Add({RecordedSpan::kRequest, r->start_ns, r->token_ns.back(), static_cast<int64_t>(r->token_ns.size())});
    }
    return r;
  }
  MemoryBreakdown memory() const override { return inner_->memory(); }
  std::string isa() const override { return inner_->isa(); }
  int n_threads() const override { return inner_->n_threads(); }
  uint32_t n_ctx() const override { return inner_->n_ctx(); }

 private:
  std::unique_ptr<BenchSession> inner_;
  SpanLog& log_;
};

class RecordingModel : public BenchModel {
 public:
  RecordingModel(std::unique_ptr<BenchModel> inner, SpanLog& log) : inner_(std::move(inner)), log_(log) {}
  const TargetModelInfo& info() const override { return inner_->info(); }
  std::optional<double> load_ms() const override { return inner_->load_ms(); }
  Result<std::unique_ptr<BenchSession>> NewSession(const TargetSessionOptions& options) const override {
    EDGELM_ASSIGN_OR_RETURN(auto s, inner_->NewSession(options));
    return std::unique_ptr<BenchSession>(new RecordingSession(std::move(s), log_));
  }

 private:
  std::unique_ptr<BenchModel> inner_;
  SpanLog& log_;
};

class RecordingTarget : public BenchTarget {
 public:
  RecordingTarget(BenchTarget& inner, SpanLog& log) : inner_(inner), log_(log) {}
  std::string backend_name() const override { return inner_.backend_name(); }
  bool loads_local_files() const override { return inner_.loads_local_files(); }
  Result<std::unique_ptr<BenchModel>> Load(const std::string& path) override {
    EDGELM_ASSIGN_OR_RETURN(auto m, inner_.Load(path));
    return std::unique_ptr<BenchModel>(new RecordingModel(std::move(m), log_));
  }

 private:
  BenchTarget& inner_;
  SpanLog& log_;
};

}  // namespace

std::unique_ptr<BenchTarget> MakeRecordingTarget(BenchTarget& inner, SpanLog& log) {
  return std::make_unique<RecordingTarget>(inner, log);
}

}  // namespace edgelm::study
