#include "eval/choice_eval.h"

#include <algorithm>
#include <cmath>

#include "core/clock.h"

namespace edgelm {
namespace {

size_t CommonPrefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t n = std::min(a.size(), b.size()), i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

struct Encoded {
  std::vector<int32_t> whole;  // context + continuation
  size_t score_from = 0;       // first token of the continuation
};

// lm-evaluation-harness's split: continuation tokens = encode(ctx + cont)[len(encode(ctx)):]
// so that merges across the boundary are not counted twice.
Result<Encoded> EncodePair(const Tokenizer& tok, const std::string& context, const std::string& continuation) {
  Encoded e;
  EDGELM_ASSIGN_OR_RETURN(std::vector<int32_t> ctx, tok.Encode(context, tok.add_bos_default(), false));
  EDGELM_ASSIGN_OR_RETURN(e.whole, tok.Encode(context + continuation, tok.add_bos_default(), false));
  e.score_from = std::max<size_t>(ctx.size(), 1);  // the first token has no prediction
  if (e.score_from >= e.whole.size()) {
    return InvalidArgumentError("continuation '" + continuation.substr(0, 40) + "' adds no token to its context");
  }
  return e;
}

std::unique_ptr<Session> TakeSession(Result<std::unique_ptr<Session>>& r) { return std::move(r).value(); }

uint32_t DefaultCtx(const Model& model, uint32_t requested) {
  if (requested != 0) return requested;
  return std::min<uint32_t>(model.info().n_ctx_train == 0 ? 4096 : model.info().n_ctx_train, 4096);
}

}  // namespace

Result<ChoiceScores> ScoreItem(Session& session, const Tokenizer& tok, const ChoiceItem& item) {
  const size_t n_choices = item.n_choices();
  if (n_choices < 2) return InvalidArgumentError("an item needs at least 2 choices");
  std::vector<Encoded> enc;
  for (size_t i = 0; i < n_choices; ++i) {
    EDGELM_ASSIGN_OR_RETURN(Encoded e, EncodePair(tok, item.context(i), item.continuation(i)));
    if (e.whole.size() > session.n_ctx()) {
      return OutOfRangeError("choice " + std::to_string(i) + " needs " + std::to_string(e.whole.size()) +
                             " tokens but the context holds " + std::to_string(session.n_ctx()) + " (raise --ctx)");
    }
    enc.push_back(std::move(e));
  }
  // The shared prefix is evaluated once; each choice then re-evaluates from one token
  // before its first scored token, so the prediction of that token is available.
  size_t shared = enc[0].whole.size();
  for (size_t i = 0; i < n_choices; ++i) {
    shared = std::min({shared, CommonPrefix(enc[0].whole, enc[i].whole), enc[i].score_from - 1});
  }
  ChoiceScores s;
  session.Reset();
  if (shared > 0) {
    EDGELM_RETURN_IF_ERROR(session.Prefill(std::span<const int32_t>(enc[0].whole.data(), shared)));
    s.n_evaluated += shared;
  }
  const uint32_t n_vocab = static_cast<uint32_t>(tok.n_vocab());
  for (size_t i = 0; i < n_choices; ++i) {
    const Encoded& e = enc[i];
    EDGELM_RETURN_IF_ERROR(session.TruncateTo(static_cast<uint32_t>(shared)));
    std::span<const int32_t> rest(e.whole.data() + shared, e.whole.size() - shared);
    EDGELM_RETURN_IF_ERROR(session.Prefill(rest, /*all_logits=*/true));
    s.n_evaluated += rest.size();
    double ll = 0;
    bool greedy = true;
    for (size_t j = e.score_from; j < e.whole.size(); ++j) {
      std::span<const float> logits = session.Logits(static_cast<int>(j - 1 - shared));
      if (logits.size() != n_vocab) return InternalError("logits row has the wrong size");
      ll -= NegLogProb(logits, e.whole[j]);
      greedy = greedy && ArgMax(logits) == e.whole[j];
    }
    s.log_likelihood.push_back(ll);
    s.n_bytes.push_back(item.continuation(i).size());
    s.greedy.push_back(greedy);
  }
  return s;
}

Result<ChoiceEvalResult> EvaluateChoices(const Model& model, const TaskData& task, const ChoiceEvalOptions& o) {
  if (task.items.empty()) return InvalidArgumentError("task '" + task.name + "' has no multiple-choice items");
  SessionOptions so = o.session;
  so.n_ctx = DefaultCtx(model, so.n_ctx);
  auto sr = model.NewSession(so);
  if (!sr.ok()) return sr.status();
  std::unique_ptr<Session> session = TakeSession(sr);
  ChoiceEvalResult r;
  r.task = task.name;
  const int64_t t0 = MonotonicNs();
  for (size_t idx = 0; idx < task.items.size(); ++idx) {
    if (o.cancel != nullptr && o.cancel->load()) {
      r.interrupted = true;
      break;
    }
    const ChoiceItem& item = task.items[idx];
    auto scored = ScoreItem(*session, model.tokenizer(), item);
    if (!scored.ok()) return scored.status().WithContext(task.name + " item " + std::to_string(idx + 1));
    const ChoiceScores& s = *scored;
    size_t best = 0, best_norm = 0;
    for (size_t i = 1; i < s.log_likelihood.size(); ++i) {
      if (s.log_likelihood[i] > s.log_likelihood[best]) best = i;
      const double a = s.log_likelihood[i] / static_cast<double>(std::max<size_t>(s.n_bytes[i], 1));
      const double b = s.log_likelihood[best_norm] / static_cast<double>(std::max<size_t>(s.n_bytes[best_norm], 1));
      if (a > b) best_norm = i;
    }
    r.correct += best == static_cast<size_t>(item.gold) ? 1 : 0;
    r.correct_norm += best_norm == static_cast<size_t>(item.gold) ? 1 : 0;
    r.n_evaluated += s.n_evaluated;
    ++r.n;
    if (o.on_item) o.on_item(r.n, task.items.size(), static_cast<double>(r.correct) / static_cast<double>(r.n));
  }
  r.seconds = static_cast<double>(MonotonicNs() - t0) * 1e-9;
  r.acc = r.n ? static_cast<double>(r.correct) / static_cast<double>(r.n) : 0;
  r.acc_norm = r.n ? static_cast<double>(r.correct_norm) / static_cast<double>(r.n) : 0;
  r.acc_ci = WilsonInterval(r.correct, r.n);
  r.acc_norm_ci = WilsonInterval(r.correct_norm, r.n);
  r.tokens_per_s = r.seconds > 0 ? static_cast<double>(r.n_evaluated) / r.seconds : 0;
  return r;
}

Result<LambadaResult> EvaluateLambada(const Model& model, const TaskData& task, const ChoiceEvalOptions& o) {
  if (task.lambada.empty()) return InvalidArgumentError("task '" + task.name + "' has no LAMBADA items");
  SessionOptions so = o.session;
  so.n_ctx = DefaultCtx(model, so.n_ctx);
  auto sr = model.NewSession(so);
  if (!sr.ok()) return sr.status();
  std::unique_ptr<Session> session = TakeSession(sr);
  const Tokenizer& tok = model.tokenizer();
  LambadaResult r;
  double nll_sum = 0;
  size_t nll_count = 0;
  const int64_t t0 = MonotonicNs();
  for (size_t idx = 0; idx < task.lambada.size(); ++idx) {
    if (o.cancel != nullptr && o.cancel->load()) {
      r.interrupted = true;
      break;
    }
    const LambadaItem& item = task.lambada[idx];
    auto enc = EncodePair(tok, item.context, item.continuation);
    if (!enc.ok()) return enc.status().WithContext("lambada item " + std::to_string(idx + 1));
    if (enc->whole.size() > session->n_ctx()) {
      return OutOfRangeError("lambada item " + std::to_string(idx + 1) + " needs " + std::to_string(enc->whole.size()) +
                             " tokens but the context holds " + std::to_string(session->n_ctx()) + " (raise --ctx)");
    }
    session->Reset();
    EDGELM_RETURN_IF_ERROR(session->Prefill(enc->whole, /*all_logits=*/true));
    r.n_evaluated += enc->whole.size();
    bool hit = true;
    for (size_t j = enc->score_from; j < enc->whole.size(); ++j) {
      std::span<const float> logits = session->Logits(static_cast<int>(j - 1));
      nll_sum += NegLogProb(logits, enc->whole[j]);
      ++nll_count;
      hit = hit && ArgMax(logits) == enc->whole[j];
    }
    r.correct += hit ? 1 : 0;
    ++r.n;
    if (o.on_item) o.on_item(r.n, task.lambada.size(), static_cast<double>(r.correct) / static_cast<double>(r.n));
  }
  r.seconds = static_cast<double>(MonotonicNs() - t0) * 1e-9;
  r.acc = r.n ? static_cast<double>(r.correct) / static_cast<double>(r.n) : 0;
  r.acc_ci = WilsonInterval(r.correct, r.n);
  r.ppl = nll_count ? std::exp(nll_sum / static_cast<double>(nll_count)) : 0;
  r.tokens_per_s = r.seconds > 0 ? static_cast<double>(r.n_evaluated) / r.seconds : 0;
  return r;
}

}  // namespace edgelm
