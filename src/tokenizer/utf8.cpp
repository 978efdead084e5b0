#include "tokenizer/utf8.h"

namespace edgelm::tokenizer_internal {

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

Utf8Step DecodeUtf8Step(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(pos);
  if (lead < 0x80) return {Utf8Step::kValid, lead, 1};
  size_t need;
  uint32_t cp;
  // The allowed range of the second byte excludes overlong forms, surrogates and
  // values above U+10FFFF (Unicode table 3-7, "well-formed UTF-8 byte sequences").
  uint8_t lo = 0x80, hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1; cp = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 2; cp = lead & 0x0F;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 3; cp = lead & 0x07;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return {Utf8Step::kInvalid, 0, 1};
  }
  size_t i = 1;
  for (; i <= need; ++i) {
    if (pos + i >= text.size()) return {Utf8Step::kIncomplete, 0, i};
    const uint8_t b = byte(pos + i);
    const uint8_t min = (i == 1) ? lo : 0x80;
    const uint8_t max = (i == 1) ? hi : 0xBF;
    if (b < min || b > max) return {Utf8Step::kInvalid, 0, i};
    cp = (cp << 6) | (b & 0x3F);
  }
  return {Utf8Step::kValid, cp, need + 1};
}

bool IsValidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Step step = DecodeUtf8Step(text, pos);
    if (step.kind != Utf8Step::kValid) return false;
    pos += step.length;
  }
  return true;
}

}  // namespace edgelm::tokenizer_internal
