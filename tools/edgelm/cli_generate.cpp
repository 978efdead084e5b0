#include "cli_generate.h"

#include <csignal>

#include "edgelm/tokenizer.h"

namespace edgelm::cli {
namespace {

std::atomic<bool> g_interrupted{false};

std::atomic<bool> g_one_shot{true};

extern "C" void OnSigint(int) {
  g_interrupted.store(true);
  if (g_one_shot.load()) std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

}  // namespace

void InstallInterruptHandler(bool one_shot) {
  g_one_shot.store(one_shot);
  struct sigaction sa = {};
  sa.sa_handler = OnSigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking read returns EINTR, so a prompt wakes up
  sigaction(SIGINT, &sa, nullptr);
}
bool Interrupted() { return g_interrupted.load(); }
void ClearInterrupted() { g_interrupted.store(false); }

void SessionFlags::Add(CLI::App* cmd) {
  cmd->add_option("-c,--ctx", n_ctx, "context length in tokens (0: min(training context, 4096))");
  cmd->add_option("-t,--threads", n_threads, "threads (0: every available CPU)");
  cmd->add_option("-b,--batch", n_batch, "most tokens computed in one prefill step")->check(CLI::PositiveNumber);
  cmd->add_option("--isa", isa, "kernel path: auto, scalar, avx2, avx512, neon, neon-dot");
  cmd->add_option("--kv-type", kv_type, "KV cache element type: f16 or f32");
}

Result<SessionOptions> SessionFlags::ToOptions() const {
  SessionOptions so;
  so.n_ctx = n_ctx;
  so.n_threads = n_threads;
  so.n_batch = n_batch;
  so.isa = isa;
  EDGELM_ASSIGN_OR_RETURN(so.kv_type, ParseKvCacheType(kv_type));
  return so;
}

void SamplingFlags::Add(CLI::App* cmd) {
  cmd->add_option("--temp", params.temperature, "temperature (0: greedy)");
  cmd->add_option("--top-k", params.top_k, "keep the k most likely tokens (0: off)");
  cmd->add_option("--top-p", params.top_p, "nucleus sampling threshold (1: off)");
  cmd->add_option("--min-p", params.min_p, "drop tokens below min-p times the top probability (0: off)");
  cmd->add_option("--repeat-penalty", params.repeat_penalty, "penalty for repeated tokens (1: off)");
  cmd->add_option("--repeat-last-n", params.repeat_last_n, "tokens the repeat penalty looks back over");
  cmd->add_option("--seed", params.seed, "random seed (runs with the same seed repeat exactly)");
}

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
    if (Interrupted()) {
      result.stop_reason = "interrupted";
      result.last_token_in_cache = !result.tokens.empty();
      break;
    }
    EDGELM_ASSIGN_OR_RETURN(SampledToken tok, sampler.Sample(session.Logits()));
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

}  // namespace edgelm::cli
