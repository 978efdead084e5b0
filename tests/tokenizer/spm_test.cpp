// SentencePiece-style tokenization on small vocabularies built in code.
#include <gtest/gtest.h>

#include <cstdio>

#include "edgelm/tokenizer.h"
#include "tokenizer/vocab_metadata.h"

namespace edgelm {
namespace {

const std::string kSp = "\xE2\x96\x81";  // ▁

// <unk> <s> </s>, 256 byte tokens, then the given pieces with their scores.
VocabMetadata SpmVocab(const std::vector<std::pair<std::string, float>>& pieces) {
  VocabMetadata v;
  v.model = "llama";
  v.pre = "default";
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.token_types = {2, 3, 3};
  v.scores = {0, 0, 0};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    v.tokens.push_back(name);
    v.token_types.push_back(6);
    v.scores.push_back(0);
  }
  for (const auto& [text, score] : pieces) {
    v.tokens.push_back(text);
    v.token_types.push_back(1);
    v.scores.push_back(score);
  }
  v.unk_id = 0;
  v.bos_id = 1;
  v.eos_id = 2;
  return v;
}

constexpr int32_t kFirst = 259;  // id of the first piece

std::unique_ptr<Tokenizer> Build(const VocabMetadata& v) {
  auto t = Tokenizer::FromVocabMetadata(v);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

std::vector<std::pair<std::string, float>> HelloPieces() {
  return {{kSp, -1},        {"h", -2},          {"e", -2},          {"l", -2},
          {"o", -2},        {"w", -2},          {"r", -2},          {"d", -2},
          {kSp + "h", -3},  {"el", -4},         {"ll", -3.5},       {"lo", -5},
          {kSp + "he", -6}, {kSp + "hell", -7}, {kSp + "hello", -8}, {"or", -3},
          {"ld", -3},       {kSp + "w", -3},    {kSp + "wor", -6},  {kSp + "world", -7},
          {"hell", -6}};
}

TEST(Spm, MergesAndSpacePrefix) {
  auto t = Build(SpmVocab(HelloPieces()));
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->add_bos_default());  // llama default
  EXPECT_TRUE(t->adds_space_prefix());
  auto ids = t->Encode("hello world", /*add_bos=*/true, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{1, kFirst + 14, kFirst + 19}));
  EXPECT_EQ(t->TokenToPiece(kFirst + 14), " hello");
  EXPECT_EQ(t->Decode(*ids), "hello world");  // the added space is dropped again
  EXPECT_EQ(t->Decode(*ids, true), "<s>hello world");
}

TEST(Spm, HigherScoreMergesFirst) {
  auto a_first = Build(SpmVocab({{"a", -1}, {"b", -1}, {"c", -1}, {"ab", -1}, {"bc", -2}}));
  auto b_first = Build(SpmVocab({{"a", -1}, {"b", -1}, {"c", -1}, {"ab", -2}, {"bc", -1}}));
  ASSERT_NE(a_first, nullptr);
  ASSERT_NE(b_first, nullptr);
  // No ▁ token: the space prefix falls back to its three bytes.
  auto ids = a_first->Encode("abc", false, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{3 + 0xE2, 3 + 0x96, 3 + 0x81, kFirst + 3, kFirst + 2}));
  ids = b_first->Encode("abc", false, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{3 + 0xE2, 3 + 0x96, 3 + 0x81, kFirst + 0, kFirst + 4}));
  // Byte tokens decode to their bytes, so the spelled-out prefix comes back as "▁", not as
  // a space (llama.cpp does the same; real SentencePiece vocabularies have a ▁ token).
  EXPECT_EQ(b_first->Decode(*ids), kSp + "abc");
}

TEST(Spm, ByteFallbackAndRoundTrip) {
  auto t = Build(SpmVocab(HelloPieces()));
  ASSERT_NE(t, nullptr);
  auto ids = t->Encode("h\xE2\x82\xAC", false, false);  // h€
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{kFirst + 8, 3 + 0xE2, 3 + 0x82, 3 + 0xAC}));
  const std::string texts[] = {"",          " ",         "  leading", "trailing  ", "new\nline\t",
                               "\xF0\x9F\x98\x80 emoji", "bad \xFF utf8", "hello"};
  for (const std::string& s : texts) {
    auto enc = t->Encode(s, false, false);
    ASSERT_TRUE(enc.ok());
    EXPECT_EQ(t->Decode(*enc), s);
    auto with_bos = t->Encode(s, true, false);
    ASSERT_TRUE(with_bos.ok());
    EXPECT_EQ(t->Decode(*with_bos), s);
  }
  auto empty = t->Encode("", true, false);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, (std::vector<int32_t>{1}));
}

TEST(Spm, NoSpacePrefix) {
  VocabMetadata v = SpmVocab(HelloPieces());
  v.add_space_prefix = false;
  auto t = Build(v);
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->adds_space_prefix());
  auto ids = t->Encode("hello", false, false);
  ASSERT_TRUE(ids.ok());
  // ll (-3.5) beats el (-4); nothing merges with it further.
  EXPECT_EQ(*ids, (std::vector<int32_t>{kFirst + 1, kFirst + 2, kFirst + 10, kFirst + 4}));
  EXPECT_EQ(t->Decode(*ids), "hello");
}

TEST(Spm, SpacePrefixAfterSpecialTokens) {
  auto t = Build(SpmVocab(HelloPieces()));
  ASSERT_NE(t, nullptr);
  auto ids = t->Encode("hello</s>hello", false, /*parse_special=*/true);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{kFirst + 14, 2, kFirst + 14}));
  EXPECT_EQ(t->Decode(*ids, true), "hello</s>hello");
  EXPECT_TRUE(t->IsEndOfGeneration(2));
}

TEST(Spm, MissingByteTokensUseUnknown) {
  VocabMetadata v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>", kSp, "a"};
  v.token_types = {2, 3, 3, 1, 1};
  v.scores = {0, 0, 0, -1, -1};
  v.unk_id = 0;
  v.bos_id = 1;
  v.eos_id = 2;
  auto t = Build(v);
  ASSERT_NE(t, nullptr);
  auto ids = t->Encode("a\xC3\xA9", false, false);  // "aé": é has no token, no byte tokens
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{3, 4, 0, 0}));

  v.unk_id.reset();
  v.token_types[0] = 1;
  auto no_unk = Build(v);
  ASSERT_NE(no_unk, nullptr);
  auto failed = no_unk->Encode("\xC3\xA9", false, false);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.status().message().find("0xC3"), std::string::npos);
}

TEST(Spm, AddBosWithoutBosIsError) {
  VocabMetadata v = SpmVocab(HelloPieces());
  v.add_bos = true;
  v.bos_id.reset();
  EXPECT_EQ(Tokenizer::FromVocabMetadata(v).status().code(), StatusCode::kCorrupt);
  v.scores.pop_back();
  v.add_bos.reset();
  EXPECT_EQ(Tokenizer::FromVocabMetadata(v).status().code(), StatusCode::kCorrupt);
}

}  // namespace
}  // namespace edgelm
