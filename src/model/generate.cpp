#include "edgelm/generate.h"

#include "core/clock.h"
#include "edgelm/tokenizer.h"

namespace edgelm {

Result<GenerateResult> Generate(Session& session, Sampler& sampler, const GenerateOptions& options) {
  const Tokenizer& tokenizer = session.model().tokenizer();
  StreamDetokenizer detok(tokenizer);
  StopStringMatcher stops(options.stop_strings);
  GenerateResult result;
  auto emit = [&](const std::string& text) {
    if (text.empty()) return;
    result.text += text;
    if (options.on_text) options.on_text(text);
  };
  while (true) {
    if (options.cancel != nullptr && options.cancel->load()) {
      result.stop_reason = "interrupted";
      result.last_token_in_cache = !result.tokens.empty();
      break;
    }
    EDGELM_ASSIGN_OR_RETURN(SampledToken tok, sampler.Sample(session.Logits()));
    result.token_ns.push_back(MonotonicNs());
    sampler.Accept(tok.id);
    result.tokens.push_back(tok);
    if (tokenizer.IsEndOfGeneration(tok.id)) {
      result.stop_reason = "eog";
      break;
    }
    stops.Push(detok.Push(tok.id));
    emit(stops.TakeSafe());
    if (stops.stopped()) {
      result.stop_reason = "stop";
      break;
    }
    if (options.n_predict >= 0 && static_cast<int>(result.tokens.size()) >= options.n_predict) {
      result.stop_reason = "length";
      break;
    }
    if (session.n_past() >= session.n_ctx()) {
      result.stop_reason = "context";
      break;
    }
    EDGELM_RETURN_IF_ERROR(session.Decode(tok.id));
  }
  if (!stops.stopped()) {
    stops.Push(detok.Flush());
    emit(stops.Flush());
  }
  return result;
}

}  // namespace edgelm
