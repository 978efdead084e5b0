// What the SentencePiece-style and byte-level BPE tokenizers share: the vocabulary and
// its look-ups, special-token recognition, BOS/EOG handling, Decode.
//
// Special tokens are found in the text the way llama.cpp does it (tokenizer_st_partition):
// control, user-defined and unknown tokens, longest text first, each splitting the raw
// fragments left by the previous ones. User-defined tokens are always recognised; control
// and unknown tokens only with parse_special. Non-goals: the lstrip/rstrip attributes some
// Hugging Face added tokens carry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/status.h"
#include "edgelm/tokenizer.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm::tokenizer_internal {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenIndex = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

// A piece of the input: either raw text (offset/length into it) or a recognised token.
struct Fragment {
  bool is_token = false;
  int32_t id = -1;
  size_t offset = 0;
  size_t length = 0;
};

class TokenizerBase : public Tokenizer {
 public:
  Result<std::vector<int32_t>> Encode(std::string_view text, bool add_bos,
                                      bool parse_special) const override;
  std::string Decode(std::span<const int32_t> ids, bool render_special = false) const override;

  int32_t n_vocab() const override { return static_cast<int32_t>(tokens_.size()); }
  int32_t bos_id() const override { return bos_id_; }
  int32_t eos_id() const override { return eos_id_; }
  bool add_bos_default() const override { return add_bos_; }
  bool IsEndOfGeneration(int32_t id) const override { return eog_ids_.count(id) != 0; }
  TokenType token_type(int32_t id) const override;
  const std::string& token_text(int32_t id) const override;
  std::string model_name() const override { return model_; }
  std::string pre_name() const override { return pre_; }
  const std::string& chat_template() const override { return chat_template_; }

  // Splits text into raw fragments and special-token fragments.
  std::vector<Fragment> Partition(std::string_view text, bool parse_special) const;

 protected:
  TokenizerBase() = default;
  // Copies and checks what both tokenizer kinds need. `default_add_bos` applies when the
  // metadata has no add_bos.
  Status InitCommon(const VocabMetadata& vocab, bool default_add_bos);
  // Encodes one raw fragment; `after_special` is true at the start of the text and right
  // after a special token (SentencePiece adds its space prefix there).
  virtual Status EncodeText(std::string_view text, bool after_special,
                            std::vector<int32_t>& out) const = 0;
  // Token id of an exact text, -1 when absent.
  int32_t FindToken(std::string_view text) const {
    auto it = token_index_.find(text);
    return it == token_index_.end() ? -1 : it->second;
  }
  bool IsSpecialType(TokenType t) const {
    return t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
  }
  void CheckId(int32_t id) const;

  std::string model_;
  std::string pre_;
  std::vector<std::string> tokens_;
  std::vector<TokenType> types_;
  std::vector<float> scores_;     // empty when the vocabulary has none
  TokenIndex token_index_;        // text -> id; for duplicate texts the last id wins
  std::vector<int32_t> special_;  // control/user-defined/unknown, longest text first
  std::unordered_set<int32_t> eog_ids_;
  int32_t bos_id_ = -1;
  int32_t eos_id_ = -1;
  int32_t unk_id_ = -1;
  bool add_bos_ = false;
  std::string chat_template_;
};

}  // namespace edgelm::tokenizer_internal
