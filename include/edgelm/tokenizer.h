// Tokenizers of GGUF models: SentencePiece-style (tokenizer.ggml.model = "llama") and
// byte-level BPE ("gpt2") with the llama.cpp pre-tokenizers; streaming detokenization
// that never splits a UTF-8 character.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace edgelm {

class GgufFile;

enum class TokenType : int32_t {
  kUndefined = 0, kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

class Tokenizer {
 public:
  // Reads tokenizer.ggml.* metadata. Unknown model or pre-tokenizer names are errors.
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& file);
  virtual ~Tokenizer() = default;

  // add_bos: prepend BOS (the model's add_bos_token default is add_bos_default()).
  // parse_special: recognise control/user-defined token texts such as <|im_start|>.
  virtual Result<std::vector<int32_t>> Encode(std::string_view text, bool add_bos,
                                              bool parse_special) const = 0;
  // Bytes a token stands for (special tokens render as their text unless skipped).
  virtual std::string TokenToPiece(int32_t id, bool render_special = true) const = 0;
  virtual std::string Decode(std::span<const int32_t> ids, bool render_special = false) const = 0;

  virtual int32_t n_vocab() const = 0;
  virtual int32_t bos_id() const = 0;   // -1 when absent
  virtual int32_t eos_id() const = 0;
  virtual bool add_bos_default() const = 0;
  // End of generation: EOS, EOT, <|im_end|>, <|eot_id|>...
  virtual bool IsEndOfGeneration(int32_t id) const = 0;
  virtual TokenType token_type(int32_t id) const = 0;
  virtual const std::string& token_text(int32_t id) const = 0;  // as stored in the vocab
  virtual std::string model_name() const = 0;   // "llama" | "gpt2"
  virtual std::string pre_name() const = 0;     // pre-tokenizer ("default", "llama-bpe"...)
  virtual const std::string& chat_template() const = 0;  // empty when none
};

// Turns a stream of token ids into text that is always valid UTF-8: bytes of a character
// split across tokens are held back until the character is complete.
class StreamDetokenizer {
 public:
  explicit StreamDetokenizer(const Tokenizer& tokenizer, bool render_special = false)
      : tokenizer_(tokenizer), render_special_(render_special) {}
  // Text that became complete with this token (possibly empty).
  std::string Push(int32_t id);
  // Whatever is held back at the end (invalid bytes are replaced by U+FFFD).
  std::string Flush();

 private:
  const Tokenizer& tokenizer_;
  bool render_special_;
  std::string pending_;
};

}  // namespace edgelm
