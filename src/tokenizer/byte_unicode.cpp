#include "tokenizer/byte_unicode.h"

#include <array>

#include "tokenizer/utf8.h"

namespace edgelm::tokenizer_internal {
namespace {

struct ByteTables {
  std::array<uint32_t, 256> byte_to_cp{};
  std::array<std::string, 256> byte_to_text;
  std::array<int16_t, 324> cp_to_byte{};  // every mapped code point is below 256 + 68

  ByteTables() {
    cp_to_byte.fill(-1);
    const auto printable = [](int b) {
      return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    };
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const uint32_t cp = printable(b) ? static_cast<uint32_t>(b) : next++;
      byte_to_cp[b] = cp;
      cp_to_byte[cp] = static_cast<int16_t>(b);
      AppendUtf8(cp, byte_to_text[b]);
    }
  }
};

const ByteTables& Tables() {
  static const ByteTables tables;
  return tables;
}

}  // namespace

const std::string& ByteToUnicode(uint8_t byte) { return Tables().byte_to_text[byte]; }

std::optional<uint8_t> UnicodeToByte(uint32_t code_point) {
  const ByteTables& t = Tables();
  if (code_point >= t.cp_to_byte.size() || t.cp_to_byte[code_point] < 0) return std::nullopt;
  return static_cast<uint8_t>(t.cp_to_byte[code_point]);
}

std::string BytesToUnicodeText(std::string_view bytes) {
  const ByteTables& t = Tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.byte_to_text[static_cast<uint8_t>(c)];
  return out;
}

std::string UnicodeTextToBytes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Step step = DecodeUtf8Step(text, pos);
    if (step.kind == Utf8Step::kValid) {
      if (auto b = UnicodeToByte(step.code_point)) {
        out.push_back(static_cast<char>(*b));
      } else {
        out.append(text.substr(pos, step.length));
      }
    } else {
      out.append(text.substr(pos, step.length));
    }
    pos += step.length;
  }
  return out;
}

}  // namespace edgelm::tokenizer_internal
