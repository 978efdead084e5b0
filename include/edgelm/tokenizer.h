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
struct VocabMetadata;

enum class TokenType : int32_t {
  kUndefined = 0, kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

class Tokenizer {
 public:
  // Reads tokenizer.ggml.* metadata. Unknown model or pre-tokenizer names are errors.
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const GgufFile& file);
  // Builds a tokenizer from metadata already in memory (a converted Hugging Face
  // tokenizer.json, tests). Checks sizes, ids and merges; errors name what is wrong.
  static Result<std::unique_ptr<Tokenizer>> FromVocabMetadata(const VocabMetadata& vocab);
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

  // True when the encoder puts a space in front of text at the start and after special
  // tokens (SentencePiece add_space_prefix); Decode and StreamDetokenizer drop that space
  // again so that Decode(Encode(s)) == s.
  virtual bool adds_space_prefix() const { return false; }

  // InvalidArgument naming the first id outside [0, n_vocab). TokenToPiece, Decode,
  // token_type and token_text require valid ids (checked, aborting otherwise): validate
  // ids that come from outside the engine with this, or use TryDecode.
  Status CheckTokenIds(std::span<const int32_t> ids) const;
  Result<std::string> TryDecode(std::span<const int32_t> ids, bool render_special = false) const;
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
  bool at_text_start_ = true;  // next text piece follows the start or a special token
};

}  // namespace edgelm
