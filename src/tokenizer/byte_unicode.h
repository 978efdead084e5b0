// The GPT-2 byte <-> unicode mapping of byte-level BPE: every byte is written as a
// printable character so that vocabularies and merges are plain text ("Ġ" is the space
// byte 0x20, "Ċ" the newline). Printable Latin-1 bytes map to themselves; the other 68
// bytes map, in byte order, to U+0100 onwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgelm::tokenizer_internal {

// UTF-8 text of the character that stands for `byte`.
const std::string& ByteToUnicode(uint8_t byte);
// Byte a code point stands for, or nullopt when the code point is not in the mapping.
std::optional<uint8_t> UnicodeToByte(uint32_t code_point);
// Maps every byte of `bytes` to its character (the form vocabulary entries use).
std::string BytesToUnicodeText(std::string_view bytes);
// Inverse of BytesToUnicodeText; characters outside the mapping are kept as UTF-8 so that
// nothing is silently dropped.
std::string UnicodeTextToBytes(std::string_view text);

}  // namespace edgelm::tokenizer_internal
