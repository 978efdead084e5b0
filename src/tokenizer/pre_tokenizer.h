// Pre-tokenizers of byte-level BPE: the regex splits llama.cpp applies before merging,
// selected by the GGUF key tokenizer.ggml.pre.
//
// Each regex of a list splits the pieces left by the previous one; text between two
// matches stays a piece of its own (llama.cpp's unicode_regex_split, HF's Split with
// "Isolated" behaviour). Regexes run on ICU with Unicode properties (\p{L}, \p{N}, \p{P})
// and lookahead, so no category approximation is needed. A match never looks beyond its
// piece, as in llama.cpp. Non-goals: normalisation (NFC and the like).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgelm::tokenizer_internal {

class PreTokenizer {
 public:
  // Known names: "default", "gpt-2", "llama-bpe" (aliases "llama3", "llama-v3"), "qwen2",
  // "smollm". Any other name is an UnsupportedError naming it.
  static Result<std::unique_ptr<PreTokenizer>> Create(const std::string& name);
  ~PreTokenizer();
  PreTokenizer(const PreTokenizer&) = delete;
  PreTokenizer& operator=(const PreTokenizer&) = delete;

  // Splits `text` into pieces that concatenate back to `text` (views into it). Invalid
  // UTF-8 bytes are matched as U+FFFD but kept byte-exact in the pieces.
  Result<std::vector<std::string_view>> Split(std::string_view text) const;

  const std::string& name() const { return name_; }
  // The regex list, for diagnostics and tests.
  const std::vector<std::string>& regexes() const { return regexes_; }

 private:
  struct Compiled;
  PreTokenizer() = default;
  std::string name_;
  std::vector<std::string> regexes_;
  std::vector<std::unique_ptr<Compiled>> compiled_;
};

// The regex list for a pre-tokenizer name; empty when the name is unknown.
std::vector<std::string> PreTokenizerRegexes(std::string_view name);

}  // namespace edgelm::tokenizer_internal
