// `edgelm samples` generation: each prompt through the model's chat template (plain text
// when it has none), fixed seed, timed from the engine's own clock.
#include <algorithm>

#include "core/clock.h"
#include "edgelm/chat.h"
#include "edgelm/generate.h"
#include "eval/samples.h"

namespace edgelm {
namespace {

struct FormattedPrompt {
  std::vector<int32_t> ids;
  std::vector<std::string> stop_strings;
  std::string format;
};

Result<FormattedPrompt> Format(const Model& model, const SamplePrompt& p, const std::string& template_override) {
  const Tokenizer& tok = model.tokenizer();
  FormattedPrompt out;
  if (template_override.empty() && tok.chat_template().empty()) {
    // No chat template (a base model such as stories260K): plain completion.
    out.format = "plain";
    const std::string text = p.system.empty() ? p.user : p.system + "\n\n" + p.user;
    EDGELM_ASSIGN_OR_RETURN(out.ids, tok.Encode(text, tok.add_bos_default(), false));
    return out;
  }
  ChatSpecialTokens special;
  special.bos = tok.bos_id() >= 0 ? tok.token_text(tok.bos_id()) : std::string();
  special.eos = tok.eos_id() >= 0 ? tok.token_text(tok.eos_id()) : std::string();
  EDGELM_ASSIGN_OR_RETURN(ChatTemplate tmpl, template_override.empty()
                                                 ? DetectChatTemplate(tok.chat_template(), special)
                                                 : ChatTemplateByName(template_override, special));
  std::vector<ChatMessage> messages;
  if (!p.system.empty()) messages.push_back({"system", p.system});
  messages.push_back({"user", p.user});
  EDGELM_ASSIGN_OR_RETURN(std::string text, tmpl.Apply(messages, /*add_generation_prompt=*/true));
  EDGELM_ASSIGN_OR_RETURN(out.ids, tok.Encode(text, tmpl.AddBosToken(tok.add_bos_default()), /*parse_special=*/true));
  out.stop_strings = tmpl.stop_strings();
  out.format = ChatFamilyName(tmpl.family());
  return out;
}

}  // namespace

Result<std::vector<SampleAnswer>> GenerateSamples(const Model& model, const std::string& model_name,
                                                  const std::vector<SamplePrompt>& prompts,
                                                  const SamplesOptions& options) {
  std::vector<SampleAnswer> answers;
  for (const SamplePrompt& p : prompts) {
    auto formatted = Format(model, p, options.chat_template);
    if (!formatted.ok()) return formatted.status().WithContext("prompt '" + p.id + "'");
    SessionOptions so = options.session;
    const uint32_t need = static_cast<uint32_t>(formatted->ids.size() + p.max_tokens);
    if (so.n_ctx == 0) so.n_ctx = std::max<uint32_t>(need, 512);
    if (so.n_ctx > model.info().n_ctx_train && model.info().n_ctx_train > 0 && need <= model.info().n_ctx_train) {
      so.n_ctx = model.info().n_ctx_train;
    }
    if (formatted->ids.size() >= so.n_ctx) {
      return OutOfRangeError("prompt '" + p.id + "' has " + std::to_string(formatted->ids.size()) +
                             " tokens but the context holds " + std::to_string(so.n_ctx));
    }
    EDGELM_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, model.NewSession(so));
    SamplerParams sp;
    sp.temperature = options.temperature;
    sp.seed = options.seed;
    EDGELM_ASSIGN_OR_RETURN(Sampler sampler, Sampler::Create(sp));
    const int64_t t0 = MonotonicNs();
    EDGELM_RETURN_IF_ERROR(session->Prefill(formatted->ids));
    for (int32_t id : formatted->ids) sampler.Accept(id);
    GenerateOptions go;
    go.n_predict = p.max_tokens;
    go.stop_strings = formatted->stop_strings;
    go.cancel = options.cancel;
    EDGELM_ASSIGN_OR_RETURN(GenerateResult gen, Generate(*session, sampler, go));
    SampleAnswer a;
    a.model = model_name;
    a.prompt_id = p.id;
    a.text = gen.text;
    a.stop_reason = gen.stop_reason;
    a.prompt_format = formatted->format;
    a.n_prompt_tokens = static_cast<int>(formatted->ids.size());
    a.n_generated = static_cast<int>(gen.tokens.size());
    a.seed = options.seed;
    a.ttft_ms = gen.token_ns.empty() ? -1 : static_cast<double>(gen.token_ns.front() - t0) * 1e-6;
    a.decode_tokens_per_s = -1;
    if (gen.token_ns.size() >= 2) {
      const double s = static_cast<double>(gen.token_ns.back() - gen.token_ns.front()) * 1e-9;
      if (s > 0) a.decode_tokens_per_s = static_cast<double>(gen.token_ns.size() - 1) / s;
    }
    answers.push_back(std::move(a));
    if (options.on_answer) options.on_answer(answers.back(), answers.size(), prompts.size());
    if (gen.stop_reason == "interrupted") break;
  }
  return answers;
}

}  // namespace edgelm
