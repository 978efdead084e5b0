// edgelm synth [PRESET] -o FILE [--type T] [--seed N] [--vocab-from FILE] [shape flags]:
// writes a random-weight llama/qwen2 GGUF with the exact shapes of a known model.
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "command_registry.h"
#include "core/interrupt.h"
#include "gguf/gguf_reader.h"
#include "kernels/quantize.h"
#include "synth/synth.h"

namespace edgelm::cli {
namespace {

struct SynthFlags {
  std::string preset;
  std::string output;
  std::string type = "F16";
  uint64_t seed = 0;
  std::string vocab_from;
  bool list = false;
  std::optional<std::string> arch, name;
  std::optional<uint32_t> n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
  std::optional<float> rope_base, rms_eps;
  bool tied = false, untied = false;
};

int ListPresets() {
  std::printf("%-16s %-6s %6s %6s %5s %4s %6s %7s %8s %6s %15s  %s\n", "preset", "arch", "n_embd", "layers", "heads",
              "kv", "n_ff", "vocab", "ctx", "tied", "parameters", "source");
  for (const auto& p : SynthPresets()) {
    const SynthShape& s = p.shape;
    std::printf("%-16s %-6s %6u %6u %5u %4u %6u %7u %8u %6s %15llu  %s\n", p.name, s.arch.c_str(), s.n_embd,
                s.n_layer, s.n_head, s.n_head_kv, s.n_ff, s.n_vocab, s.n_ctx, s.tied ? "yes" : "no",
                static_cast<unsigned long long>(SynthParameterCount(s)), p.source);
  }
  return kExitOk;
}

int RunSynth(const SynthFlags& f) {
  if (f.list) return ListPresets();
  if (f.output.empty()) return UsageError("synth: -o FILE is required");
  SynthOptions o;
  if (!f.preset.empty()) {
    auto p = FindSynthPreset(f.preset);
    if (!p.ok()) return UsageError(p.status().message());
    o.shape = (*p)->shape;
    o.preset = (*p)->name;
  } else {
    std::string missing;
    if (!f.n_embd) missing += " --n-embd";
    if (!f.n_layer) missing += " --n-layer";
    if (!f.n_head) missing += " --n-head";
    if (!f.n_ff) missing += " --n-ff";
    if (!f.n_vocab) missing += " --n-vocab";
    if (!missing.empty()) {
      return UsageError("synth: give a preset (see --list-presets) or a full custom shape; missing" + missing);
    }
    o.shape.name = "synth";
  }
  SynthShape& s = o.shape;
  if (f.arch) {
    s.arch = *f.arch;
    if (f.preset.empty()) s.qkv_bias = s.arch == "qwen2";
  }
  if (f.name) s.name = *f.name;
  if (f.n_embd) s.n_embd = *f.n_embd;
  if (f.n_layer) s.n_layer = *f.n_layer;
  if (f.n_head) s.n_head = *f.n_head;
  if (f.n_head_kv) s.n_head_kv = *f.n_head_kv;
  else if (f.preset.empty()) s.n_head_kv = s.n_head;
  if (f.n_ff) s.n_ff = *f.n_ff;
  if (f.n_vocab) s.n_vocab = *f.n_vocab;
  if (f.n_ctx) s.n_ctx = *f.n_ctx;
  if (f.rope_base) s.rope_base = *f.rope_base;
  if (f.rms_eps) s.rms_eps = *f.rms_eps;
  if (f.tied && f.untied) return UsageError("synth: --tied and --untied contradict each other");
  if (f.tied) s.tied = true;
  if (f.untied) s.tied = false;
  if (Status st = ValidateSynthShape(s); !st.ok()) return UsageError(st.message());

  const auto type = ParseGgmlTypeName(f.type);
  if (!type || !IsSupportedWeightType(*type)) {
    return UsageError("synth: --type '" + f.type +
                      "' is not a weight type synth can write (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, "
                      "Q3_K, Q4_K, Q5_K, Q6_K)");
  }
  o.type = *type;
  o.seed = f.seed;

  SynthVocabSource vocab;
  if (!f.vocab_from.empty()) {
    auto v = LoadSynthVocabSource(f.vocab_from);
    if (!v.ok()) return ReportError(v.status().WithContext("--vocab-from"));
    vocab = std::move(v).value();
    o.vocab_source = vocab.gguf.get();
    o.vocab = vocab.converted;
  }

  const auto start = std::chrono::steady_clock::now();
  o.cancel = &InstallInterruptHandler();
  auto r = SynthesizeModel(o, f.output);
  if (!r.ok()) {
    return r.status().code() == StatusCode::kInvalidArgument ? UsageError(r.status().message())
                                                             : ReportError(r.status());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& fb : r->fallbacks) std::fprintf(stderr, "edgelm: note: %s\n", fb.c_str());
  std::printf("wrote %s: %s %s, %llu parameters, %s, %llu bytes, seed %llu, %.1f s\n", f.output.c_str(),
              s.arch.c_str(), o.preset.empty() ? s.name.c_str() : o.preset.c_str(),
              static_cast<unsigned long long>(r->parameters), GgmlTypeName(o.type).c_str(),
              static_cast<unsigned long long>(r->file_size_bytes), static_cast<unsigned long long>(o.seed), seconds);
  return kExitOk;
}

CommandRunner AddSynth(CLI::App& root) {
  auto f = std::make_shared<SynthFlags>();
  CLI::App* sub = root.add_subcommand(
      "synth", "Write a random-weight llama/qwen2 GGUF with the exact shapes of a known model (for speed, memory "
               "and energy measurements at real scale; its text is noise)");
  sub->add_option("preset,--preset", f->preset, "Model shape preset (see --list-presets)");
  sub->add_flag("--list-presets", f->list, "List the presets and exit");
  sub->add_option("-o,--output", f->output, "Output GGUF file");
  sub->add_option("--type", f->type, "Weight type of the matrices (1-D tensors stay F32)")->capture_default_str();
  sub->add_option("--seed", f->seed, "PRNG seed (same seed, same bytes)")->capture_default_str();
  sub->add_option("--vocab-from", f->vocab_from,
                  "Tokenizer: every tokenizer.* key of a GGUF, or a Hugging Face tokenizer.json (+ the "
                  "tokenizer_config.json beside it) converted (default: a built-in byte-level vocabulary)");
  sub->add_option("--arch", f->arch, "llama or qwen2 (qwen2 adds q/k/v biases)");
  sub->add_option("--name", f->name, "general.name");
  sub->add_option("--n-embd", f->n_embd, "Hidden size");
  sub->add_option("--n-layer", f->n_layer, "Number of blocks");
  sub->add_option("--n-head", f->n_head, "Attention heads");
  sub->add_option("--n-head-kv", f->n_head_kv, "KV heads (default: --n-head)");
  sub->add_option("--n-ff", f->n_ff, "Feed-forward size");
  sub->add_option("--n-vocab", f->n_vocab, "Vocabulary size");
  sub->add_option("--ctx", f->n_ctx, "Training context length (metadata)");
  sub->add_option("--rope-base", f->rope_base, "RoPE frequency base");
  sub->add_option("--rms-eps", f->rms_eps, "RMSNorm epsilon");
  sub->add_flag("--tied", f->tied, "Output head tied to the token embedding");
  sub->add_flag("--untied", f->untied, "Separate output.weight");
  return [f] { return RunSynth(*f); };
}

}  // namespace

EDGELM_REGISTER_COMMAND(21, AddSynth);

}  // namespace edgelm::cli
