// `edgelm chat`: an interactive multi-turn conversation. The KV cache is kept between
// turns: each turn feeds only the new text the chat template adds (ApplyDelta), so a
// reply starts after a prefill of the user's message, not of the whole history.
// EOF (Ctrl-D) ends the chat; Ctrl-C stops a reply, or ends the chat at the prompt.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli_generate.h"
#include "command_registry.h"
#include "edgelm/chat.h"
#include "edgelm/engine.h"

namespace edgelm::cli {
namespace {

struct ChatOptions {
  std::string model_path;
  std::string system;
  std::string chat_template;
  int n_predict = -1;
  bool quiet = false;
  SessionFlags session;
  SamplingFlags sampling;
};

class Conversation {
 public:
  Conversation(Session& session, const Tokenizer& tok, const ChatTemplate& tmpl, Sampler& sampler,
               const ChatOptions& o)
      : session_(session), tok_(tok), tmpl_(tmpl), sampler_(sampler), o_(o) {}

  // One user turn: feeds the template's new text, streams the reply, brings the cache to
  // Apply(history, false). Returns the stop reason.
  Result<std::string> Turn(const std::string& user_text) {
    std::vector<ChatMessage> added;
    if (history_.empty() && !o_.system.empty()) added.push_back({"system", o_.system});
    added.push_back({"user", user_text});
    EDGELM_ASSIGN_OR_RETURN(std::string delta, tmpl_.ApplyDelta(history_, added, /*add_generation_prompt=*/true));
    const bool add_bos = history_.empty() && tmpl_.AddBosToken(tok_.add_bos_default());
    EDGELM_ASSIGN_OR_RETURN(std::vector<int32_t> ids, tok_.Encode(delta, add_bos, /*parse_special=*/true));
    if (session_.n_past() + ids.size() + 1 > session_.n_ctx()) {
      if (history_.empty()) {
        return OutOfRangeError("the message needs " + std::to_string(ids.size()) + " tokens; the context holds " +
                               std::to_string(session_.n_ctx()) + " (use a larger --ctx)");
      }
      std::fprintf(stderr, "[context full: starting a new conversation]\n");
      history_.clear();
      session_.Reset();
      sampler_.Reset();
      return Turn(user_text);
    }
    const int64_t t0 = session_.n_past();
    EDGELM_RETURN_IF_ERROR(session_.Prefill(ids));
    const uint32_t after_prompt = session_.n_past();
    for (int32_t id : ids) sampler_.Accept(id);

    GenerateOptions go;
    go.n_predict = o_.n_predict;
    go.stop_strings = tmpl_.stop_strings();
    go.on_text = [](const std::string& text) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    };
    EDGELM_ASSIGN_OR_RETURN(GenerateResult gen, Generate(session_, sampler_, go));
    std::printf("\n");
    std::fflush(stdout);

    for (ChatMessage& m : added) history_.push_back(std::move(m));
    history_.push_back({"assistant", gen.text});
    EDGELM_RETURN_IF_ERROR(CloseReply(gen, after_prompt));
    if (!o_.quiet) {
      std::fprintf(stderr, "[%zu new prompt tokens on %lld cached; %zu generated; stop: %s; context %u/%u]\n",
                   ids.size(), static_cast<long long>(t0), gen.tokens.size(), gen.stop_reason.c_str(),
                   session_.n_past(), session_.n_ctx());
    }
    return gen.stop_reason;
  }

 private:
  // Makes the cache hold the reply and the template's close of the assistant turn.
  Status CloseReply(const GenerateResult& gen, uint32_t after_prompt) {
    EDGELM_ASSIGN_OR_RETURN(std::vector<int32_t> close, tok_.Encode(tmpl_.assistant_close(), false, true));
    std::vector<int32_t> feed;
    if (gen.stop_reason == "eog") {
      // The end-of-turn token was sampled, not fed: the close supplies it.
      feed = close;
    } else if (gen.stop_reason == "length" || gen.stop_reason == "context") {
      feed.push_back(gen.tokens.back().id);
      feed.insert(feed.end(), close.begin(), close.end());
    } else {
      // A stop string or Ctrl-C cut the reply inside a token: re-feed the reply as text.
      EDGELM_RETURN_IF_ERROR(session_.TruncateTo(after_prompt));
      EDGELM_ASSIGN_OR_RETURN(feed, tok_.Encode(gen.text + tmpl_.assistant_close(), false, true));
    }
    if (session_.n_past() + feed.size() > session_.n_ctx()) {
      // No room to close the turn: the next turn starts a new conversation.
      history_.clear();
      session_.Reset();
      sampler_.Reset();
      return Status::Ok();
    }
    if (!feed.empty()) EDGELM_RETURN_IF_ERROR(session_.Prefill(feed));
    for (int32_t id : feed) sampler_.Accept(id);
    return Status::Ok();
  }

  Session& session_;
  const Tokenizer& tok_;
  const ChatTemplate& tmpl_;
  Sampler& sampler_;
  const ChatOptions& o_;
  std::vector<ChatMessage> history_;
};

int RunChat(const ChatOptions& o) {
  if (Status st = o.sampling.params.Validate(); !st.ok()) return UsageError(st.message());
  Result<SessionOptions> so = o.session.ToOptions();
  if (!so.ok()) return UsageError(so.status().message());
  LoadOptions lo;
  lo.path = o.model_path;
  auto model = Model::Load(lo);
  if (!model.ok()) return ReportError(model.status());
  const Tokenizer& tok = (*model)->tokenizer();
  ChatSpecialTokens special;
  special.bos = tok.bos_id() >= 0 ? tok.token_text(tok.bos_id()) : std::string();
  special.eos = tok.eos_id() >= 0 ? tok.token_text(tok.eos_id()) : std::string();
  Result<ChatTemplate> tmpl = o.chat_template.empty() ? DetectChatTemplate(tok.chat_template(), special)
                                                      : ChatTemplateByName(o.chat_template, special);
  if (!tmpl.ok()) return ReportError(tmpl.status());
  auto session = (*model)->NewSession(*so);
  if (!session.ok()) return ReportError(session.status());
  auto sampler = Sampler::Create(o.sampling.params);
  if (!sampler.ok()) return ReportError(sampler.status());

  const bool interactive = isatty(STDIN_FILENO);
  if (!o.quiet) {
    std::fprintf(stderr, "[%s, %s template, context %u; Ctrl-D ends the chat, Ctrl-C stops a reply]\n",
                 (*model)->info().name.c_str(), tmpl->name(), (*session)->n_ctx());
  }
  InstallInterruptHandler(/*one_shot=*/false);
  Conversation chat(**session, tok, *tmpl, *sampler, o);
  std::string line;
  while (true) {
    if (interactive) {
      std::printf("> ");
      std::fflush(stdout);
    }
    ClearInterrupted();
    if (!std::getline(std::cin, line)) {
      if (Interrupted()) {
        std::printf("\n");
        return kExitInterrupted;
      }
      return kExitOk;  // EOF
    }
    if (line.empty()) continue;
    auto reason = chat.Turn(line);
    if (!reason.ok()) return ReportError(reason.status());
  }
}

CommandRunner AddChat(CLI::App& root) {
  auto o = std::make_shared<ChatOptions>();
  CLI::App* cmd = root.add_subcommand("chat", "Chat with a model interactively (multi-turn, KV cache kept)");
  cmd->add_option("-m,--model", o->model_path, "GGUF model file")->required();
  cmd->add_option("-s,--system", o->system, "system message of the conversation");
  cmd->add_option("--chat-template", o->chat_template,
                  "chat template name instead of the model's (" + ChatTemplateNameList() + ")");
  cmd->add_option("-n,--n-predict", o->n_predict, "most tokens per reply (-1: until the context is full)");
  cmd->add_flag("-q,--quiet", o->quiet, "no status lines on stderr");
  o->session.Add(cmd);
  o->sampling.Add(cmd);
  return [o]() { return RunChat(*o); };
}

EDGELM_REGISTER_COMMAND(25, AddChat);

}  // namespace
}  // namespace edgelm::cli
