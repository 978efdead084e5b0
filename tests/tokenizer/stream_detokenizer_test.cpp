// StreamDetokenizer: characters split across tokens are held back, invalid bytes become
// U+FFFD, and the concatenated output equals Decode for valid text.
#include <gtest/gtest.h>

#include <cstdio>

#include "edgelm/tokenizer.h"
#include "fixture_vocab.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";

std::unique_ptr<Tokenizer> FixtureTokenizer() {
  auto t = Tokenizer::FromVocabMetadata(testing::FixtureVocab());
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

// Byte b of the fixture vocabulary is token 3 + b.
int32_t ByteId(uint8_t b) { return 3 + b; }

TEST(StreamDetokenizer, HoldsBackSplitCharacters) {
  auto t = FixtureTokenizer();
  ASSERT_NE(t, nullptr);
  StreamDetokenizer d(*t);
  // "é" = C3 A9, "😀" = F0 9F 98 80, one byte per token.
  EXPECT_EQ(d.Push(ByteId('a')), "a");
  EXPECT_EQ(d.Push(ByteId(0xC3)), "");
  EXPECT_EQ(d.Push(ByteId(0xA9)), "\xC3\xA9");
  EXPECT_EQ(d.Push(ByteId(0xF0)), "");
  EXPECT_EQ(d.Push(ByteId(0x9F)), "");
  EXPECT_EQ(d.Push(ByteId(0x98)), "");
  EXPECT_EQ(d.Push(ByteId(0x80)), "\xF0\x9F\x98\x80");
  EXPECT_EQ(d.Flush(), "");
}

TEST(StreamDetokenizer, InvalidBytesBecomeReplacementCharacters) {
  auto t = FixtureTokenizer();
  ASSERT_NE(t, nullptr);
  StreamDetokenizer d(*t);
  EXPECT_EQ(d.Push(ByteId(0xFF)), kReplacement);            // never valid
  EXPECT_EQ(d.Push(ByteId(0xC3)), "");                      // could start "é"
  EXPECT_EQ(d.Push(ByteId('x')), kReplacement + "x");       // ... but did not
  EXPECT_EQ(d.Push(ByteId(0xE2)), "");
  EXPECT_EQ(d.Push(ByteId(0x82)), "");
  EXPECT_EQ(d.Flush(), kReplacement);                       // truncated at the end
  EXPECT_EQ(d.Push(ByteId(0xED)), "");
  EXPECT_EQ(d.Push(ByteId(0xA0)), kReplacement + kReplacement);  // surrogate: invalid
}

TEST(StreamDetokenizer, MatchesDecodeOnRealText) {
  auto t = FixtureTokenizer();
  ASSERT_NE(t, nullptr);
  const std::string text = "Grüße, 世界! \xF0\x9F\x98\x80 the quick brown fox\n";
  auto ids = t->Encode(text, /*add_bos=*/true, false);
  ASSERT_TRUE(ids.ok());
  StreamDetokenizer d(*t);
  std::string streamed;
  for (int32_t id : *ids) streamed += d.Push(id);
  streamed += d.Flush();
  EXPECT_EQ(streamed, text);
  EXPECT_EQ(t->Decode(*ids), text);

  StreamDetokenizer with_special(*t, /*render_special=*/true);
  EXPECT_EQ(with_special.Push(1), "<s>");
}

TEST(StreamDetokenizer, SpmDropsPrefixSpaceAndDecodesByteTokens) {
  VocabMetadata v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.token_types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    v.tokens.push_back(name);
    v.token_types.push_back(6);
  }
  v.tokens.push_back("\xE2\x96\x81Once");  // 259
  v.tokens.push_back("\xE2\x96\x81upon");  // 260
  v.token_types.push_back(1);
  v.token_types.push_back(1);
  v.bos_id = 1;
  v.eos_id = 2;
  v.unk_id = 0;
  auto t = Tokenizer::FromVocabMetadata(v);
  ASSERT_TRUE(t.ok());
  StreamDetokenizer d(**t);
  EXPECT_EQ(d.Push(1), "");
  EXPECT_EQ(d.Push(259), "Once");  // the space SentencePiece put in front is dropped
  EXPECT_EQ(d.Push(260), " upon");
  EXPECT_EQ(d.Push(3 + 0xE2), "");
  EXPECT_EQ(d.Push(3 + 0x82), "");
  EXPECT_EQ(d.Push(3 + 0xAC), "\xE2\x82\xAC");
  EXPECT_EQ(d.Flush(), "");
}

}  // namespace
}  // namespace edgelm
