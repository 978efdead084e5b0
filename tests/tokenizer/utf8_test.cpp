#include <gtest/gtest.h>

#include "tokenizer/byte_unicode.h"
#include "tokenizer/utf8.h"

namespace edgelm::tokenizer_internal {
namespace {

TEST(Utf8, DecodeSteps) {
  EXPECT_EQ(DecodeUtf8Step("a", 0).kind, Utf8Step::kValid);
  const Utf8Step euro = DecodeUtf8Step("\xE2\x82\xAC", 0);
  EXPECT_EQ(euro.kind, Utf8Step::kValid);
  EXPECT_EQ(euro.code_point, 0x20ACu);
  EXPECT_EQ(euro.length, 3u);
  const Utf8Step cut = DecodeUtf8Step("\xE2\x82", 0);
  EXPECT_EQ(cut.kind, Utf8Step::kIncomplete);
  EXPECT_EQ(cut.length, 2u);
  EXPECT_EQ(DecodeUtf8Step("\xC0\xAF", 0).kind, Utf8Step::kInvalid);      // overlong
  EXPECT_EQ(DecodeUtf8Step("\xED\xA0\x80", 0).kind, Utf8Step::kInvalid);  // surrogate
  EXPECT_EQ(DecodeUtf8Step("\xF4\x90\x80\x80", 0).kind, Utf8Step::kInvalid);  // > U+10FFFF
  const Utf8Step bad_cont = DecodeUtf8Step("\xF0\x9F\x41", 0);
  EXPECT_EQ(bad_cont.kind, Utf8Step::kInvalid);
  EXPECT_EQ(bad_cont.length, 2u);  // maximal subpart F0 9F
  EXPECT_TRUE(IsValidUtf8("Grüße \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xFF"));
}

TEST(ByteUnicode, Gpt2Mapping) {
  EXPECT_EQ(ByteToUnicode(' '), "\xC4\xA0");   // Ġ U+0120
  EXPECT_EQ(ByteToUnicode('\n'), "\xC4\x8A");  // Ċ U+010A
  EXPECT_EQ(ByteToUnicode('A'), "A");
  EXPECT_EQ(ByteToUnicode(0xAD), "\xC5\x83");  // soft hyphen is not printable: U+0143
  for (int b = 0; b < 256; ++b) {
    const std::string bytes(1, static_cast<char>(b));
    EXPECT_EQ(UnicodeTextToBytes(BytesToUnicodeText(bytes)), bytes) << b;
  }
  EXPECT_EQ(UnicodeTextToBytes("\xE4\xB8\x96"), "\xE4\xB8\x96");  // outside the map: kept
}

}  // namespace
}  // namespace edgelm::tokenizer_internal
