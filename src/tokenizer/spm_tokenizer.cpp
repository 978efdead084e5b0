#include "tokenizer/spm_tokenizer.h"

#include <array>
#include <cstdio>
#include <queue>
#include <unordered_map>

#include "tokenizer/tokenizer_base.h"
#include "tokenizer/utf8.h"

namespace edgelm::tokenizer_internal {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

// A run of text in the working string; merged symbols grow, absorbed ones get n = 0.
struct Symbol {
  int32_t prev;
  int32_t next;
  size_t offset;
  size_t n;
};

struct Bigram {
  int32_t left;
  int32_t right;
  float score;
  size_t size;  // bytes of left + right when queued; a mismatch later means outdated
};

// Highest score first; equal scores: leftmost first (SentencePiece's order).
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

class SpmTokenizer final : public TokenizerBase {
 public:
  Status Init(const VocabMetadata& vocab) {
    EDGELM_RETURN_IF_ERROR(InitCommon(vocab, /*default_add_bos=*/true));
    add_space_prefix_ = vocab.add_space_prefix.value_or(true);
    for (int b = 0; b < 256; ++b) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
      int32_t id = FindToken(hex);
      if (id < 0) id = FindToken(std::string(1, static_cast<char>(b)));
      byte_tokens_[b] = id;
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
      case TokenType::kByte: {
        unsigned value = 0;
        if (text.size() == 6 && std::sscanf(text.c_str(), "<0x%2X>", &value) == 1) {
          return std::string(1, static_cast<char>(value));
        }
        return text;  // a byte token without the <0xNN> form: its text is the byte
      }
      default:
        return UnescapeSpaces(text);
    }
  }

  bool adds_space_prefix() const override { return add_space_prefix_; }

 protected:
  Status EncodeText(std::string_view raw, bool after_special,
                    std::vector<int32_t>& out) const override {
    std::string text;
    text.reserve(raw.size() + 8);
    if (add_space_prefix_ && after_special) text.append(kSpaceMarker);
    for (char c : raw) {
      if (c == ' ') {
        text.append(kSpaceMarker);
      } else {
        text.push_back(c);
      }
    }
    return Tokenize(text, out);
  }

 private:
  static std::string UnescapeSpaces(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    while (pos < text.size()) {
      if (text.compare(pos, kSpaceMarker.size(), kSpaceMarker) == 0) {
        out.push_back(' ');
        pos += kSpaceMarker.size();
      } else {
        out.push_back(text[pos++]);
      }
    }
    return out;
  }

  struct Session {
    const std::string& text;
    std::vector<Symbol> symbols;
    std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
    // merged text -> the pair that produced it, for re-segmenting unknown merges (the
    // last pair queued for a text wins, as in llama.cpp)
    std::unordered_map<std::string, std::pair<int32_t, int32_t>> rev_merge;
  };

  void TryAddBigram(Session& s, int32_t left, int32_t right) const {
    if (left < 0 || right < 0) return;
    const Symbol& l = s.symbols[left];
    const Symbol& r = s.symbols[right];
    std::string merged = s.text.substr(l.offset, l.n + r.n);
    const int32_t id = FindToken(merged);
    if (id < 0) return;
    const float score = scores_.empty() ? 0.0f : scores_[id];
    s.queue.push({left, right, score, merged.size()});
    s.rev_merge[std::move(merged)] = {left, right};
  }

  Status Resegment(const Session& s, const Symbol& symbol, std::vector<int32_t>& out,
                   int depth) const {
    const std::string_view piece(s.text.data() + symbol.offset, symbol.n);
    const int32_t id = FindToken(piece);
    if (id >= 0) {
      out.push_back(id);
      return Status::Ok();
    }
    auto it = s.rev_merge.find(std::string(piece));
    // Each level splits a merge into its strictly smaller parts; the bound only guards
    // against a corrupt state ever recursing forever.
    if (it == s.rev_merge.end() || depth > 4096) {
      for (char c : piece) {
        const int32_t byte_id = byte_tokens_[static_cast<uint8_t>(c)];
        if (byte_id >= 0) {
          out.push_back(byte_id);
        } else if (unk_id_ >= 0) {
          out.push_back(unk_id_);
        } else {
          char hex[8];
          std::snprintf(hex, sizeof(hex), "0x%02X", static_cast<unsigned>(static_cast<uint8_t>(c)));
          return InvalidArgumentError(std::string("byte ") + hex +
                                      " of the input has no <0xNN> byte token and the "
                                      "vocabulary has no unknown token");
        }
      }
      return Status::Ok();
    }
    EDGELM_RETURN_IF_ERROR(Resegment(s, s.symbols[it->second.first], out, depth + 1));
    return Resegment(s, s.symbols[it->second.second], out, depth + 1);
  }

  Status Tokenize(const std::string& text, std::vector<int32_t>& out) const {
    Session s{text, {}, {}, {}};
    size_t offset = 0;
    int32_t index = 0;
    while (offset < text.size()) {
      const size_t n =
          std::min(Utf8LengthFromLead(static_cast<uint8_t>(text[offset])), text.size() - offset);
      s.symbols.push_back({index - 1, offset + n == text.size() ? -1 : index + 1, offset, n});
      offset += n;
      ++index;
    }
    for (int32_t i = 1; i < static_cast<int32_t>(s.symbols.size()); ++i) TryAddBigram(s, i - 1, i);

    while (!s.queue.empty()) {
      const Bigram bigram = s.queue.top();
      s.queue.pop();
      Symbol& left = s.symbols[bigram.left];
      Symbol& right = s.symbols[bigram.right];
      if (left.n == 0 || right.n == 0 || left.n + right.n != bigram.size) continue;
      left.n += right.n;
      right.n = 0;
      left.next = right.next;
      if (right.next >= 0) s.symbols[right.next].prev = bigram.left;
      TryAddBigram(s, left.prev, bigram.left);
      TryAddBigram(s, bigram.left, left.next);
    }

    for (int32_t i = s.symbols.empty() ? -1 : 0; i != -1; i = s.symbols[i].next) {
      EDGELM_RETURN_IF_ERROR(Resegment(s, s.symbols[i], out, 0));
    }
    return Status::Ok();
  }

  bool add_space_prefix_ = true;
  std::array<int32_t, 256> byte_tokens_{};
};

}  // namespace

Result<std::unique_ptr<Tokenizer>> CreateSpmTokenizer(const VocabMetadata& vocab) {
  auto tokenizer = std::make_unique<SpmTokenizer>();
  EDGELM_RETURN_IF_ERROR(tokenizer->Init(vocab));
  return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

}  // namespace edgelm::tokenizer_internal
