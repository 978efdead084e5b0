// `edgelm run`: one prompt through the engine — text or token ids in, streamed text (or
// JSON with ids and log-probabilities) out, optionally every prompt position's logits
// dumped in the reference fixtures' format.
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_generate.h"
#include "command_registry.h"
#include "core/clock.h"
#include "edgelm/chat.h"
#include "edgelm/engine.h"

namespace edgelm::cli {
namespace {

struct RunOptions {
  std::string model_path;
  std::string prompt;
  std::string token_list;
  int n_predict = 128;
  bool json = false;
  bool chat = false;
  bool no_bos = false;
  bool special = false;
  bool show_prompt = false;
  std::string chat_template;
  std::string dump_logits;
  SessionFlags session;
  SamplingFlags sampling;
};

Result<std::vector<int32_t>> ParseTokenList(const std::string& text) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(pos, comma - pos);
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || v < 0 || v > INT32_MAX) {
      return InvalidArgumentError("--tokens: '" + item + "' is not a token id (expected comma-separated integers >= 0)");
    }
    ids.push_back(static_cast<int32_t>(v));
    pos = comma + 1;
  }
  return ids;
}

Status WriteLogits(const std::string& path, const Session& session) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError("cannot open '" + path + "' for writing: " + ErrnoText(errno));
  for (int r = 0; r < session.n_logit_rows(); ++r) {
    auto row = session.Logits(r);  // float32, host order (little-endian on every target)
    out.write(reinterpret_cast<const char*>(row.data()), static_cast<std::streamsize>(row.size() * sizeof(float)));
  }
  out.close();
  if (!out) return IoError("writing '" + path + "' failed: " + ErrnoText(errno));
  return Status::Ok();
}

struct Prompt {
  std::vector<int32_t> ids;
  std::vector<std::string> stop_strings;
};

Result<Prompt> BuildPrompt(const RunOptions& o, const Model& model) {
  Prompt p;
  if (!o.token_list.empty()) {
    EDGELM_ASSIGN_OR_RETURN(p.ids, ParseTokenList(o.token_list));
    return p;
  }
  const Tokenizer& tok = model.tokenizer();
  if (!o.chat) {
    EDGELM_ASSIGN_OR_RETURN(p.ids, tok.Encode(o.prompt, !o.no_bos && tok.add_bos_default(), o.special));
    return p;
  }
  ChatSpecialTokens special;
  special.bos = tok.bos_id() >= 0 ? tok.token_text(tok.bos_id()) : std::string();
  special.eos = tok.eos_id() >= 0 ? tok.token_text(tok.eos_id()) : std::string();
  Result<ChatTemplate> tmpl = o.chat_template.empty() ? DetectChatTemplate(tok.chat_template(), special)
                                                      : ChatTemplateByName(o.chat_template, special);
  if (!tmpl.ok()) return tmpl.status();
  EDGELM_ASSIGN_OR_RETURN(std::string text, tmpl->Apply({{"user", o.prompt}}, /*add_generation_prompt=*/true));
  EDGELM_ASSIGN_OR_RETURN(p.ids, tok.Encode(text, tmpl->AddBosToken(tok.add_bos_default()), /*parse_special=*/true));
  p.stop_strings = tmpl->stop_strings();
  return p;
}

double PerSecond(uint64_t n, int64_t ns) { return ns > 0 ? static_cast<double>(n) * 1e9 / static_cast<double>(ns) : 0.0; }

int RunRun(const RunOptions& o) {
  if (o.prompt.empty() && o.token_list.empty()) return UsageError("run: give a prompt (-p TEXT) or --tokens IDS");
  if (!o.prompt.empty() && !o.token_list.empty()) return UsageError("run: -p and --tokens exclude each other");
  if (o.chat && !o.token_list.empty()) return UsageError("run: --chat formats a text prompt; it cannot take --tokens");
  if (Status st = o.sampling.params.Validate(); !st.ok()) return UsageError(st.message());
  Result<SessionOptions> so = o.session.ToOptions();
  if (!so.ok()) return UsageError(so.status().message());
  if (!o.token_list.empty()) {
    if (auto ids = ParseTokenList(o.token_list); !ids.ok()) return UsageError(ids.status().message());
  }

  LoadOptions lo;
  lo.path = o.model_path;
  auto model = Model::Load(lo);
  if (!model.ok()) return ReportError(model.status());
  auto prompt = BuildPrompt(o, **model);
  if (!prompt.ok()) return ReportError(prompt.status());
  auto session = (*model)->NewSession(*so);
  if (!session.ok()) return ReportError(session.status());
  Session& s = **session;
  auto sampler = Sampler::Create(o.sampling.params);
  if (!sampler.ok()) return ReportError(sampler.status());
  const Tokenizer& tok = (*model)->tokenizer();

  InstallInterruptHandler();
  if (Status st = s.Prefill(prompt->ids, /*all_logits=*/!o.dump_logits.empty()); !st.ok()) return ReportError(st);
  if (!o.dump_logits.empty()) {
    if (Status st = WriteLogits(o.dump_logits, s); !st.ok()) return ReportError(st);
  }
  for (int32_t id : prompt->ids) sampler->Accept(id);
  if (o.show_prompt && !o.json) {
    std::fputs(tok.Decode(prompt->ids).c_str(), stdout);
    std::fflush(stdout);
  }

  GenerateOptions go;
  go.n_predict = o.n_predict;
  go.stop_strings = prompt->stop_strings;
  if (!o.json) {
    go.on_text = [](const std::string& text) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    };
  }
  GenerateResult gen;
  if (o.n_predict != 0) {
    auto g = Generate(s, *sampler, go);
    if (!g.ok()) return ReportError(g.status());
    gen = std::move(g).value();
  }

  const auto& ev = s.events();
  int64_t prefill_ns = 0, decode_ns = 0;
  uint64_t decode_tokens = 0;
  for (const PhaseEvent& e : ev) {
    if (e.kind == PhaseEvent::kPrefill) {
      prefill_ns += e.end_ns - e.start_ns;
    } else {
      decode_ns += e.end_ns - e.start_ns;
      decode_tokens += e.n_tokens;
    }
  }
  if (o.json) {
    nlohmann::json out;
    out["model"] = o.model_path;
    out["prompt_ids"] = prompt->ids;
    nlohmann::json toks = nlohmann::json::array();
    for (const SampledToken& t : gen.tokens) {
      toks.push_back({{"id", t.id}, {"logprob", t.logprob}, {"piece", tok.TokenToPiece(t.id, true)}});
    }
    out["generated"] = std::move(toks);
    out["text"] = gen.text;
    out["stop_reason"] = o.n_predict == 0 ? "length" : gen.stop_reason;
    out["prefill"] = {{"tokens", prompt->ids.size()}, {"ms", prefill_ns / 1e6},
                      {"tokens_per_s", PerSecond(prompt->ids.size(), prefill_ns)}};
    out["decode"] = {{"tokens", decode_tokens}, {"ms", decode_ns / 1e6},
                     {"tokens_per_s", PerSecond(decode_tokens, decode_ns)}};
    out["isa"] = IsaName(s.isa());
    out["threads"] = s.n_threads();
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("\n");
    std::fprintf(stderr, "[%zu prompt tokens, %.1f tokens/s prefill; %llu generated, %.1f tokens/s decode; %s, %d threads; stop: %s]\n",
                 prompt->ids.size(), PerSecond(prompt->ids.size(), prefill_ns),
                 static_cast<unsigned long long>(gen.tokens.size()), PerSecond(decode_tokens, decode_ns),
                 IsaName(s.isa()), s.n_threads(), o.n_predict == 0 ? "length" : gen.stop_reason.c_str());
  }
  return gen.stop_reason == "interrupted" ? kExitInterrupted : kExitOk;
}

CommandRunner AddRun(CLI::App& root) {
  auto o = std::make_shared<RunOptions>();
  CLI::App* cmd = root.add_subcommand("run", "Run a prompt through a GGUF model and stream the generated text");
  cmd->add_option("-m,--model", o->model_path, "GGUF model file")->required();
  cmd->add_option("-p,--prompt", o->prompt, "prompt text");
  cmd->add_option("--tokens", o->token_list, "prompt as comma-separated token ids instead of text (e.g. 1,2,3)");
  cmd->add_option("-n,--n-predict", o->n_predict, "tokens to generate (0: prompt only, -1: until the context is full)");
  cmd->add_flag("--json", o->json, "print a JSON object: ids, log-probabilities, text and timings");
  cmd->add_option("--dump-logits", o->dump_logits,
                  "write the logits of every prompt position to FILE (little-endian float32 [n_tokens][n_vocab])");
  cmd->add_flag("--chat", o->chat, "wrap the prompt in the model's chat template as one user message");
  cmd->add_option("--chat-template", o->chat_template, "chat template name instead of the model's (" +
                                                           ChatTemplateNameList() + ")");
  cmd->add_flag("--no-bos", o->no_bos, "do not prepend BOS even if the model asks for it");
  cmd->add_flag("--special", o->special, "recognise special-token texts such as <|im_start|> in the prompt");
  cmd->add_flag("--show-prompt", o->show_prompt, "print the prompt text before the generated text");
  o->session.Add(cmd);
  o->sampling.Add(cmd);
  return [o]() { return RunRun(*o); };
}

EDGELM_REGISTER_COMMAND(20, AddRun);

}  // namespace
}  // namespace edgelm::cli
