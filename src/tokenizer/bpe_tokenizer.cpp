#include "tokenizer/bpe_tokenizer.h"

#include <queue>

#include "tokenizer/byte_unicode.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/tokenizer_base.h"
#include "tokenizer/utf8.h"

namespace edgelm::tokenizer_internal {
namespace {

struct Symbol {
  int32_t prev;
  int32_t next;
  size_t offset;
  size_t n;
};

struct Bigram {
  int32_t left;
  int32_t right;
  int32_t rank;
  size_t left_n;   // sizes when queued: symbols only grow, so a change means outdated
  size_t right_n;
};

// Lowest rank first; equal ranks: leftmost first.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

class BpeTokenizer final : public TokenizerBase {
 public:
  Status Init(const VocabMetadata& vocab) {
    std::string pre = vocab.pre.empty() ? "default" : vocab.pre;
    auto pre_tokenizer = PreTokenizer::Create(pre);
    if (!pre_tokenizer.ok()) return pre_tokenizer.status();
    pre_tokenizer_ = std::move(pre_tokenizer).value();
    // Llama 3 ships add_bos; older conversions without the key relied on this default.
    const bool llama3 = pre == "llama-bpe" || pre == "llama3" || pre == "llama-v3";
    EDGELM_RETURN_IF_ERROR(InitCommon(vocab, /*default_add_bos=*/llama3));
    pre_ = pre;
    ignore_merges_ = llama3;
    if (vocab.merges.empty()) {
      // Without merges every text splits into single bytes, which is a valid (if slow to
      // generate) tokenizer only when all 256 bytes have a token — e.g. synth's built-in
      // byte-level vocabulary.
      for (int b = 0; b < 256; ++b) {
        if (FindToken(BytesToUnicodeText(std::string(1, static_cast<char>(b)))) < 0) {
          return CorruptError("tokenizer.ggml.merges is missing or empty and byte 0x" +
                              std::string(1, "0123456789abcdef"[b >> 4]) + "0123456789abcdef"[b & 15] +
                              " has no token: a byte-level BPE (gpt2) vocabulary needs its merges");
        }
      }
    }
    merge_rank_.reserve(vocab.merges.size());
    for (size_t i = 0; i < vocab.merges.size(); ++i) {
      const std::string& merge = vocab.merges[i];
      // The separator is the first space after the first character: the left part is
      // never empty, and byte-level texts contain no raw space.
      const size_t space = merge.find(' ', 1);
      if (space == std::string::npos || space + 1 >= merge.size()) {
        return CorruptError("tokenizer.ggml.merges[" + std::to_string(i) + "] = '" + merge +
                            "' is not of the form 'left right'");
      }
      // The first occurrence of a pair keeps its (lower) rank.
      merge_rank_.emplace(merge, static_cast<int32_t>(i));
    }
    return Status::Ok();
  }

  std::string TokenToPiece(int32_t id, bool render_special) const override {
    CheckId(id);
    const std::string& text = tokens_[id];
    switch (types_[id]) {
      case TokenType::kControl:
      case TokenType::kUnknown:
        return render_special ? text : std::string();
      case TokenType::kUserDefined:
        return text;  // added tokens are stored as plain text, not byte-mapped
      default:
        return UnicodeTextToBytes(text);
    }
  }

 protected:
  Status EncodeText(std::string_view text, bool /*after_special*/,
                    std::vector<int32_t>& out) const override {
    auto words = pre_tokenizer_->Split(text);
    if (!words.ok()) return words.status();
    std::string key;
    std::vector<Symbol> symbols;
    for (std::string_view word_bytes : *words) {
      const std::string word = BytesToUnicodeText(word_bytes);
      if (ignore_merges_) {
        const int32_t id = FindToken(word);
        if (id >= 0) {
          out.push_back(id);
          continue;
        }
      }
      symbols.clear();
      for (size_t offset = 0; offset < word.size();) {
        const size_t n = std::min(Utf8LengthFromLead(static_cast<uint8_t>(word[offset])),
                                  word.size() - offset);
        const int32_t index = static_cast<int32_t>(symbols.size());
        symbols.push_back({index - 1, offset + n == word.size() ? -1 : index + 1, offset, n});
        offset += n;
      }
      std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
      const auto add_bigram = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const Symbol& l = symbols[left];
        const Symbol& r = symbols[right];
        key.assign(word, l.offset, l.n);
        key.push_back(' ');
        key.append(word, r.offset, r.n);
        auto it = merge_rank_.find(key);
        if (it == merge_rank_.end()) return;
        queue.push({left, right, it->second, l.n, r.n});
      };
      for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) add_bigram(i - 1, i);
      while (!queue.empty()) {
        const Bigram bigram = queue.top();
        queue.pop();
        Symbol& left = symbols[bigram.left];
        Symbol& right = symbols[bigram.right];
        if (left.n != bigram.left_n || right.n != bigram.right_n || left.next != bigram.right) {
          continue;
        }
        left.n += right.n;
        right.n = 0;
        left.next = right.next;
        if (right.next >= 0) symbols[right.next].prev = bigram.left;
        add_bigram(left.prev, bigram.left);
        add_bigram(bigram.left, left.next);
      }
      for (int32_t i = symbols.empty() ? -1 : 0; i != -1; i = symbols[i].next) {
        EDGELM_RETURN_IF_ERROR(EmitSymbol(std::string_view(word).substr(symbols[i].offset,
                                                                        symbols[i].n), out));
      }
    }
    return Status::Ok();
  }

 private:
  // A final symbol that is not a token (a vocabulary without some merge result) is spelled
  // character by character; a character without a token becomes unk, else an error.
  Status EmitSymbol(std::string_view symbol, std::vector<int32_t>& out) const {
    const int32_t id = FindToken(symbol);
    if (id >= 0) {
      out.push_back(id);
      return Status::Ok();
    }
    for (size_t pos = 0; pos < symbol.size();) {
      const size_t n = std::min(Utf8LengthFromLead(static_cast<uint8_t>(symbol[pos])),
                                symbol.size() - pos);
      const std::string_view ch = symbol.substr(pos, n);
      const int32_t ch_id = FindToken(ch);
      if (ch_id >= 0) {
        out.push_back(ch_id);
      } else if (unk_id_ >= 0) {
        out.push_back(unk_id_);
      } else {
        return InvalidArgumentError("the byte-level character '" + std::string(ch) +
                                    "' has no token and the vocabulary has no unknown token "
                                    "(incomplete byte-level vocabulary?)");
      }
      pos += n;
    }
    return Status::Ok();
  }

  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  TokenIndex merge_rank_;  // "left right" -> rank
  bool ignore_merges_ = false;
};

}  // namespace

Result<std::unique_ptr<Tokenizer>> CreateBpeTokenizer(const VocabMetadata& vocab) {
  auto tokenizer = std::make_unique<BpeTokenizer>();
  EDGELM_RETURN_IF_ERROR(tokenizer->Init(vocab));
  return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

}  // namespace edgelm::tokenizer_internal
