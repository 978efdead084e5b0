#include "tokenizer/tokenizer_base.h"

#include <algorithm>
#include <limits>

namespace edgelm::tokenizer_internal {
namespace {

// Token texts that end generation even where the metadata names no EOT id (chat models
// whose template closes a turn with them), as llama.cpp recognises them.
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>", "<|im_end|>",      "<|end|>",    "<end_of_turn>",      "<|endoftext|>",
    "<|eom_id|>", "<|end_of_text|>", "<EOT>",      "<end_of_utterance>", "_<EOT>",
};

Status CheckOptionalId(const std::optional<int32_t>& id, const char* key, size_t n_vocab) {
  if (id && (*id < 0 || static_cast<size_t>(*id) >= n_vocab)) {
    return CorruptError(std::string(key) + " = " + std::to_string(*id) +
                        " but the vocabulary has " + std::to_string(n_vocab) +
                        " tokens (ids 0.." + std::to_string(n_vocab - 1) +
                        "); the metadata does not belong to this vocabulary");
  }
  return Status::Ok();
}

}  // namespace

Status TokenizerBase::InitCommon(const VocabMetadata& vocab, bool default_add_bos) {
  const size_t n = vocab.tokens.size();
  if (n == 0) {
    return CorruptError("tokenizer.ggml.tokens is empty: the model has no vocabulary");
  }
  if (n > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return CorruptError("tokenizer.ggml.tokens has " + std::to_string(n) +
                        " entries, more than token ids (int32) can address");
  }
  if (!vocab.token_types.empty() && vocab.token_types.size() != n) {
    return CorruptError("tokenizer.ggml.token_type has " + std::to_string(vocab.token_types.size()) +
                        " entries but tokenizer.ggml.tokens has " + std::to_string(n));
  }
  if (!vocab.scores.empty() && vocab.scores.size() != n) {
    return CorruptError("tokenizer.ggml.scores has " + std::to_string(vocab.scores.size()) +
                        " entries but tokenizer.ggml.tokens has " + std::to_string(n));
  }
  EDGELM_RETURN_IF_ERROR(CheckOptionalId(vocab.bos_id, "tokenizer.ggml.bos_token_id", n));
  EDGELM_RETURN_IF_ERROR(CheckOptionalId(vocab.eos_id, "tokenizer.ggml.eos_token_id", n));
  EDGELM_RETURN_IF_ERROR(CheckOptionalId(vocab.unk_id, "tokenizer.ggml.unknown_token_id", n));
  EDGELM_RETURN_IF_ERROR(CheckOptionalId(vocab.pad_id, "tokenizer.ggml.padding_token_id", n));
  EDGELM_RETURN_IF_ERROR(CheckOptionalId(vocab.eot_id, "tokenizer.ggml.eot_token_id", n));
  EDGELM_RETURN_IF_ERROR(CheckOptionalId(vocab.sep_id, "tokenizer.ggml.seperator_token_id", n));

  model_ = vocab.model;
  pre_ = vocab.pre;
  tokens_ = vocab.tokens;
  scores_ = vocab.scores;
  types_.assign(n, TokenType::kNormal);
  for (size_t i = 0; i < vocab.token_types.size(); ++i) {
    const int32_t t = vocab.token_types[i];
    if (t < 0 || t > static_cast<int32_t>(TokenType::kByte)) {
      return CorruptError("tokenizer.ggml.token_type[" + std::to_string(i) + "] = " +
                          std::to_string(t) + ", expected 0..6 (token '" + tokens_[i] + "')");
    }
    // Undefined types (0) behave as normal text, as in llama.cpp.
    types_[i] = t == 0 ? TokenType::kNormal : static_cast<TokenType>(t);
  }
  token_index_.reserve(n);
  for (size_t i = 0; i < n; ++i) token_index_[tokens_[i]] = static_cast<int32_t>(i);

  bos_id_ = vocab.bos_id.value_or(-1);
  eos_id_ = vocab.eos_id.value_or(-1);
  unk_id_ = vocab.unk_id.value_or(-1);
  if (vocab.add_bos.value_or(false) && bos_id_ < 0) {
    return CorruptError("tokenizer.ggml.add_bos_token is true but the metadata names no BOS "
                        "token (tokenizer.ggml.bos_token_id missing)");
  }
  add_bos_ = vocab.add_bos.value_or(default_add_bos) && bos_id_ >= 0;
  chat_template_ = vocab.chat_template;

  if (eos_id_ >= 0) eog_ids_.insert(eos_id_);
  if (vocab.eot_id) eog_ids_.insert(*vocab.eot_id);
  for (std::string_view text : kEndOfGenerationTexts) {
    const int32_t id = FindToken(text);
    if (id >= 0) eog_ids_.insert(id);
  }

  for (size_t i = 0; i < n; ++i) {
    if (IsSpecialType(types_[i]) && !tokens_[i].empty()) special_.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(special_.begin(), special_.end(), [&](int32_t a, int32_t b) {
    return tokens_[a].size() > tokens_[b].size();
  });
  return Status::Ok();
}

void TokenizerBase::CheckId(int32_t id) const {
  EDGELM_CHECK_MSG(id >= 0 && id < n_vocab(),
                   "token id " + std::to_string(id) + " outside [0, " +
                       std::to_string(n_vocab()) + "); validate with CheckTokenIds");
}

TokenType TokenizerBase::token_type(int32_t id) const {
  CheckId(id);
  return types_[id];
}

const std::string& TokenizerBase::token_text(int32_t id) const {
  CheckId(id);
  return tokens_[id];
}

std::vector<Fragment> TokenizerBase::Partition(std::string_view text, bool parse_special) const {
  std::vector<Fragment> fragments = {{false, -1, 0, text.size()}};
  if (text.empty()) return fragments;
  std::vector<Fragment> next;
  for (int32_t id : special_) {
    const TokenType type = types_[id];
    if (!parse_special && (type == TokenType::kControl || type == TokenType::kUnknown)) continue;
    const std::string& special = tokens_[id];
    if (text.find(special) == std::string_view::npos) continue;
    next.clear();
    for (const Fragment& f : fragments) {
      if (f.is_token) {
        next.push_back(f);
        continue;
      }
      size_t start = f.offset;
      const size_t end = f.offset + f.length;
      while (start < end) {
        const size_t hit = text.substr(0, end).find(special, start);
        if (hit == std::string_view::npos) break;
        if (hit > start) next.push_back({false, -1, start, hit - start});
        next.push_back({true, id, hit, special.size()});
        start = hit + special.size();
      }
      if (start < end) next.push_back({false, -1, start, end - start});
    }
    fragments.swap(next);
  }
  return fragments;
}

Result<std::vector<int32_t>> TokenizerBase::Encode(std::string_view text, bool add_bos,
                                                   bool parse_special) const {
  std::vector<int32_t> out;
  if (add_bos) {
    if (bos_id_ < 0) {
      return InvalidArgumentError("BOS requested but the vocabulary (" + model_ +
                                  ") has no BOS token; encode without BOS");
    }
    out.push_back(bos_id_);
  }
  if (text.empty()) return out;
  bool after_special = true;
  for (const Fragment& f : Partition(text, parse_special)) {
    if (f.is_token) {
      out.push_back(f.id);
      after_special = true;
      continue;
    }
    EDGELM_RETURN_IF_ERROR(EncodeText(text.substr(f.offset, f.length), after_special, out));
    after_special = false;
  }
  return out;
}

std::string TokenizerBase::Decode(std::span<const int32_t> ids, bool render_special) const {
  std::string out;
  bool at_text_start = true;
  for (int32_t id : ids) {
    CheckId(id);
    std::string piece = TokenToPiece(id, render_special);
    if (IsSpecialType(types_[id])) {
      at_text_start = true;
    } else {
      if (at_text_start && adds_space_prefix() && !piece.empty() && piece[0] == ' ') {
        piece.erase(0, 1);
      }
      at_text_start = false;
    }
    out += piece;
  }
  return out;
}

}  // namespace edgelm::tokenizer_internal

namespace edgelm {

Status Tokenizer::CheckTokenIds(std::span<const int32_t> ids) const {
  const int32_t n = n_vocab();
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= n) {
      return InvalidArgumentError("token id " + std::to_string(ids[i]) + " at position " +
                                  std::to_string(i) + " is outside the vocabulary [0, " +
                                  std::to_string(n) + "); ids from another model?");
    }
  }
  return Status::Ok();
}

Result<std::string> Tokenizer::TryDecode(std::span<const int32_t> ids, bool render_special) const {
  EDGELM_RETURN_IF_ERROR(CheckTokenIds(ids));
  return Decode(ids, render_special);
}

}  // namespace edgelm
