#include "eval/perplexity.h"

#include <cmath>
#include <cstring>
#include <fstream>

#include "core/clock.h"
#include "eval/eval_math.h"

namespace edgelm {
namespace {

constexpr char kSavedMagic[8] = {'E', 'L', 'M', 'K', 'L', 'D', 'B', '1'};

struct ChunkPlan {
  size_t n_chunks = 0;
  uint32_t first_scored = 0;  // position whose prediction is scored first (n_ctx / 2)
};

ChunkPlan PlanChunks(size_t n_tokens, const ChunkedEvalOptions& o) {
  ChunkPlan p;
  p.n_chunks = n_tokens / o.n_ctx;
  if (o.max_chunks != 0) p.n_chunks = std::min(p.n_chunks, o.max_chunks);
  p.first_scored = o.n_ctx / 2;
  return p;
}

Result<std::unique_ptr<Session>> OpenSession(const Model& model, const ChunkedEvalOptions& o) {
  SessionOptions so = o.session;
  so.n_ctx = o.n_ctx;
  so.n_batch = std::min<uint32_t>(o.n_ctx, so.n_batch == 0 ? 512 : so.n_batch);
  return model.NewSession(so);
}

// Evaluates chunk k and hands each scored row (logits, next token) to fn.
template <typename Fn>
Status EvalChunk(Session& session, const Model& model, const std::vector<int32_t>& tokens, size_t k,
                 const ChunkedEvalOptions& o, Fn&& fn) {
  const size_t start = k * o.n_ctx;
  std::vector<int32_t> chunk(tokens.begin() + static_cast<std::ptrdiff_t>(start),
                             tokens.begin() + static_cast<std::ptrdiff_t>(start + o.n_ctx));
  const int32_t bos = model.tokenizer().bos_id();
  if (model.tokenizer().add_bos_default() && bos >= 0) chunk[0] = bos;
  session.Reset();
  EDGELM_RETURN_IF_ERROR(session.Prefill(chunk, /*all_logits=*/true));
  for (uint32_t j = o.n_ctx / 2; j + 1 < o.n_ctx; ++j) {
    fn(session.Logits(static_cast<int>(j)), tokens[start + j + 1]);
  }
  return Status::Ok();
}

void Finish(PerplexityResult& r, const std::vector<double>& nll, int64_t t0) {
  r.seconds = static_cast<double>(MonotonicNs() - t0) * 1e-9;
  r.n_scored = nll.size();
  MeanError me = MeanWithError(nll);
  r.mean_nll = me.mean;
  r.ppl = std::exp(me.mean);
  r.ppl_stderr = me.stderr_ >= 0 ? r.ppl * me.stderr_ : 0;
  r.tokens_per_s = r.seconds > 0 ? static_cast<double>(r.n_evaluated) / r.seconds : 0;
}

bool Cancelled(const ChunkedEvalOptions& o) { return o.cancel != nullptr && o.cancel->load(); }

void FillKldStats(KldResult& r, std::vector<double>& kld, size_t agree) {
  r.n = kld.size();
  MeanError me = MeanWithError(kld);
  r.mean = me.mean;
  r.mean_stderr = me.stderr_ >= 0 ? me.stderr_ : 0;
  r.median = Percentile(kld, 0.5);
  r.p90 = Percentile(kld, 0.9);
  r.p99 = Percentile(kld, 0.99);
  r.max = kld.empty() ? 0 : *std::max_element(kld.begin(), kld.end());
  r.top1_agreement = kld.empty() ? 0 : static_cast<double>(agree) / static_cast<double>(kld.size());
}

}  // namespace

Result<std::vector<int32_t>> TokenizeForChunks(const Model& model, const std::string& text, uint32_t n_ctx) {
  if (n_ctx < 4) return InvalidArgumentError("--ctx must be at least 4 tokens, got " + std::to_string(n_ctx));
  const Tokenizer& tok = model.tokenizer();
  EDGELM_ASSIGN_OR_RETURN(std::vector<int32_t> tokens, tok.Encode(text, tok.add_bos_default(), false));
  if (tokens.size() < 2ull * n_ctx) {
    return InvalidArgumentError("the text has " + std::to_string(tokens.size()) + " tokens, fewer than 2 × ctx = " +
                                std::to_string(2ull * n_ctx) + ": use a longer text or a smaller --ctx");
  }
  return tokens;
}

Result<PerplexityResult> RunPerplexity(const Model& model, const std::string& text, const ChunkedEvalOptions& o) {
  EDGELM_ASSIGN_OR_RETURN(std::vector<int32_t> tokens, TokenizeForChunks(model, text, o.n_ctx));
  EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, OpenSession(model, o));
  const ChunkPlan plan = PlanChunks(tokens.size(), o);
  PerplexityResult r;
  std::vector<double> nll;
  const int64_t t0 = MonotonicNs();
  for (size_t k = 0; k < plan.n_chunks; ++k) {
    if (Cancelled(o)) {
      r.interrupted = true;
      break;
    }
    EDGELM_RETURN_IF_ERROR(EvalChunk(*session, model, tokens, k, o, [&](std::span<const float> logits, int32_t next) {
      nll.push_back(NegLogProb(logits, next));
    }));
    r.n_evaluated += o.n_ctx;
    ++r.n_chunks;
    MeanError me = MeanWithError(nll);
    r.running_ppl.push_back(std::exp(me.mean));
    if (o.on_chunk) o.on_chunk(k + 1, plan.n_chunks, r.running_ppl.back());
  }
  Finish(r, nll, t0);
  return r;
}

Result<KldResult> RunKld(const Model& base, const Model& model, const std::string& text, const ChunkedEvalOptions& o) {
  if (base.info().n_vocab != model.info().n_vocab) {
    return InvalidArgumentError("the models have different vocabularies (" + std::to_string(base.info().n_vocab) + " vs " +
                                std::to_string(model.info().n_vocab) + " tokens): KLD needs the same tokenizer");
  }
  EDGELM_ASSIGN_OR_RETURN(std::vector<int32_t> tokens, TokenizeForChunks(base, text, o.n_ctx));
  EDGELM_ASSIGN_OR_RETURN(std::vector<int32_t> model_tokens, TokenizeForChunks(model, text, o.n_ctx));
  if (model_tokens != tokens) return InvalidArgumentError("the two models tokenize the text differently: KLD needs the same tokenizer");
  EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<Session> sb, OpenSession(base, o));
  EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<Session> sm, OpenSession(model, o));
  const ChunkPlan plan = PlanChunks(tokens.size(), o);
  const size_t n_vocab = base.info().n_vocab;
  KldResult r;
  std::vector<double> kld, nll_b, nll_m;
  size_t agree = 0;
  const int64_t t0 = MonotonicNs();
  std::vector<float> base_rows;
  for (size_t k = 0; k < plan.n_chunks; ++k) {
    if (Cancelled(o)) {
      r.interrupted = true;
      break;
    }
    base_rows.clear();
    std::vector<int32_t> nexts;
    EDGELM_RETURN_IF_ERROR(EvalChunk(*sb, base, tokens, k, o, [&](std::span<const float> logits, int32_t next) {
      base_rows.insert(base_rows.end(), logits.begin(), logits.end());
      nexts.push_back(next);
    }));
    size_t row = 0;
    EDGELM_RETURN_IF_ERROR(EvalChunk(*sm, model, tokens, k, o, [&](std::span<const float> logits, int32_t next) {
      std::span<const float> b(base_rows.data() + row * n_vocab, n_vocab);
      kld.push_back(KlDivergence(b, logits));
      agree += ArgMax(b) == ArgMax(logits) ? 1 : 0;
      nll_b.push_back(NegLogProb(b, next));
      nll_m.push_back(NegLogProb(logits, next));
      ++row;
    }));
    r.base.n_evaluated += o.n_ctx;
    r.model.n_evaluated += o.n_ctx;
    ++r.base.n_chunks;
    ++r.model.n_chunks;
    if (o.on_chunk) o.on_chunk(k + 1, plan.n_chunks, MeanWithError(kld).mean);
  }
  Finish(r.base, nll_b, t0);
  Finish(r.model, nll_m, t0);
  FillKldStats(r, kld, agree);
  return r;
}

Status SaveBaseDistributions(const Model& base, const std::string& text, const ChunkedEvalOptions& o, int top_k,
                             const std::string& path) {
  if (top_k < 1) return InvalidArgumentError("--base-top-k must be at least 1, got " + std::to_string(top_k));
  EDGELM_ASSIGN_OR_RETURN(std::vector<int32_t> tokens, TokenizeForChunks(base, text, o.n_ctx));
  EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, OpenSession(base, o));
  const ChunkPlan plan = PlanChunks(tokens.size(), o);
  const std::string tmp = path + ".partial";
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  if (!out) return IoError("cannot write '" + tmp + "'");
  const uint32_t k = std::min<uint32_t>(static_cast<uint32_t>(top_k), base.info().n_vocab);
  // Header: magic, n_vocab, n_ctx, top_k, n_chunks, n_tokens, tokens. Then per scored
  // position: nll (f32), lse (f64), log_rest (f64), k ids (i32), k logits (f32).
  const uint64_t n_chunks = plan.n_chunks, n_tokens = n_chunks * o.n_ctx;
  const uint32_t n_vocab = base.info().n_vocab;
  out.write(kSavedMagic, 8);
  out.write(reinterpret_cast<const char*>(&n_vocab), 4);
  out.write(reinterpret_cast<const char*>(&o.n_ctx), 4);
  out.write(reinterpret_cast<const char*>(&k), 4);
  out.write(reinterpret_cast<const char*>(&n_chunks), 8);
  out.write(reinterpret_cast<const char*>(&n_tokens), 8);
  out.write(reinterpret_cast<const char*>(tokens.data()), static_cast<std::streamsize>(n_tokens * 4));
  for (size_t c = 0; c < plan.n_chunks; ++c) {
    if (Cancelled(o)) return CancelledError("interrupted: '" + path + "' not written");
    EDGELM_RETURN_IF_ERROR(EvalChunk(*session, base, tokens, c, o, [&](std::span<const float> logits, int32_t next) {
      TopK t = TopKLogProbs(logits, static_cast<int>(k));
      const float nll = static_cast<float>(NegLogProb(logits, next));
      out.write(reinterpret_cast<const char*>(&nll), 4);
      out.write(reinterpret_cast<const char*>(&t.lse), 8);
      out.write(reinterpret_cast<const char*>(&t.log_rest), 8);
      out.write(reinterpret_cast<const char*>(t.ids.data()), static_cast<std::streamsize>(k * 4));
      out.write(reinterpret_cast<const char*>(t.logits.data()), static_cast<std::streamsize>(k * 4));
    }));
    if (o.on_chunk) o.on_chunk(c + 1, plan.n_chunks, 0);
  }
  out.close();
  if (!out) return IoError("writing '" + tmp + "' failed (disk full?)");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return IoError("cannot rename '" + tmp + "' to '" + path + "'");
  return Status::Ok();
}

Result<KldResult> RunKldFromSaved(const Model& model, const std::string& text, const std::string& saved_path,
                                  const ChunkedEvalOptions& o) {
  std::ifstream in(saved_path, std::ios::binary);
  if (!in) return NotFoundError("cannot open saved base distributions '" + saved_path + "'");
  char magic[8];
  uint32_t n_vocab = 0, n_ctx = 0, k = 0;
  uint64_t n_chunks = 0, n_tokens = 0;
  in.read(magic, 8);
  in.read(reinterpret_cast<char*>(&n_vocab), 4);
  in.read(reinterpret_cast<char*>(&n_ctx), 4);
  in.read(reinterpret_cast<char*>(&k), 4);
  in.read(reinterpret_cast<char*>(&n_chunks), 8);
  in.read(reinterpret_cast<char*>(&n_tokens), 8);
  if (!in || std::memcmp(magic, kSavedMagic, 8) != 0) {
    return CorruptError("'" + saved_path + "' is not an edgelm saved-base file (bad magic or truncated header)");
  }
  if (n_vocab != model.info().n_vocab) {
    return InvalidArgumentError("'" + saved_path + "' was saved from a model with " + std::to_string(n_vocab) +
                                " tokens, this model has " + std::to_string(model.info().n_vocab));
  }
  if (n_ctx != o.n_ctx) {
    return InvalidArgumentError("'" + saved_path + "' was saved with --ctx " + std::to_string(n_ctx) + ", not " +
                                std::to_string(o.n_ctx));
  }
  if (k == 0 || k > n_vocab || n_tokens != n_chunks * n_ctx || n_chunks > (1ull << 32)) {
    return CorruptError("'" + saved_path + "' has an inconsistent header (top_k " + std::to_string(k) + ", " +
                        std::to_string(n_chunks) + " chunks, " + std::to_string(n_tokens) + " tokens)");
  }
  EDGELM_ASSIGN_OR_RETURN(std::vector<int32_t> tokens, TokenizeForChunks(model, text, o.n_ctx));
  std::vector<int32_t> saved_tokens(n_tokens);
  in.read(reinterpret_cast<char*>(saved_tokens.data()), static_cast<std::streamsize>(n_tokens * 4));
  if (!in) return CorruptError("'" + saved_path + "' is truncated in its token list");
  if (tokens.size() < n_tokens || !std::equal(saved_tokens.begin(), saved_tokens.end(), tokens.begin())) {
    return InvalidArgumentError("the text or tokenizer differs from the one '" + saved_path + "' was saved with");
  }
  ChunkedEvalOptions opts = o;
  opts.max_chunks = o.max_chunks == 0 ? n_chunks : std::min<size_t>(o.max_chunks, n_chunks);
  EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, OpenSession(model, opts));
  KldResult r;
  r.base_from_file = true;
  r.base_top_k = k >= n_vocab ? 0 : static_cast<int>(k);
  std::vector<double> kld, nll_b, nll_m;
  size_t agree = 0;
  const int64_t t0 = MonotonicNs();
  TopK t;
  t.ids.resize(k);
  t.logits.resize(k);
  bool truncated = false;
  for (size_t c = 0; c < opts.max_chunks; ++c) {
    if (Cancelled(opts)) {
      r.interrupted = true;
      break;
    }
    EDGELM_RETURN_IF_ERROR(EvalChunk(*session, model, tokens, c, opts, [&](std::span<const float> logits, int32_t next) {
      float nll_base = 0;
      in.read(reinterpret_cast<char*>(&nll_base), 4);
      in.read(reinterpret_cast<char*>(&t.lse), 8);
      in.read(reinterpret_cast<char*>(&t.log_rest), 8);
      in.read(reinterpret_cast<char*>(t.ids.data()), static_cast<std::streamsize>(k * 4));
      in.read(reinterpret_cast<char*>(t.logits.data()), static_cast<std::streamsize>(k * 4));
      if (!in) {
        truncated = true;
        return;
      }
      for (int32_t id : t.ids) {
        if (id < 0 || static_cast<uint32_t>(id) >= n_vocab) {
          truncated = true;
          return;
        }
      }
      kld.push_back(KlDivergenceTopK(t, logits));
      agree += t.ids[0] == ArgMax(logits) ? 1 : 0;
      nll_b.push_back(nll_base);
      nll_m.push_back(NegLogProb(logits, next));
    }));
    if (truncated) return CorruptError("'" + saved_path + "' is truncated or corrupt in chunk " + std::to_string(c + 1));
    r.model.n_evaluated += o.n_ctx;
    ++r.model.n_chunks;
    ++r.base.n_chunks;
    if (o.on_chunk) o.on_chunk(c + 1, opts.max_chunks, MeanWithError(kld).mean);
  }
  Finish(r.base, nll_b, t0);
  r.base.seconds = 0;  // not evaluated in this run
  r.base.tokens_per_s = 0;
  Finish(r.model, nll_m, t0);
  FillKldStats(r, kld, agree);
  return r;
}

}  // namespace edgelm
