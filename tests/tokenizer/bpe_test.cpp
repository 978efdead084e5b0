// Byte-level BPE and the pre-tokenizers, on the fixture vocabulary rebuilt in code.
#include <gtest/gtest.h>

#include <thread>

#include "edgelm/tokenizer.h"
#include "fixture_vocab.h"
#include "tokenizer/pre_tokenizer.h"

namespace edgelm {
namespace {

using tokenizer_internal::PreTokenizer;

std::unique_ptr<Tokenizer> Build(const VocabMetadata& v) {
  auto t = Tokenizer::FromVocabMetadata(v);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

std::vector<std::string> Split(const std::string& pre, const std::string& text) {
  auto p = PreTokenizer::Create(pre);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  auto pieces = (*p)->Split(text);
  EXPECT_TRUE(pieces.ok());
  return std::vector<std::string>(pieces->begin(), pieces->end());
}

using Pieces = std::vector<std::string>;

TEST(Bpe, FixtureQuickBrownFox) {
  auto t = Build(testing::FixtureVocab());
  ASSERT_NE(t, nullptr);
  auto ids = t->Encode(" the quick brown fox", /*add_bos=*/false, false);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{278, 471, 275, 813, 347, 260, 117, 671, 113, 264, 672}));
  EXPECT_EQ(t->Decode(*ids), " the quick brown fox");
  auto with_bos = t->Encode(" the", /*add_bos=*/true, false);
  ASSERT_TRUE(with_bos.ok());
  EXPECT_EQ(*with_bos, (std::vector<int32_t>{1, 278, 471}));
  EXPECT_EQ(t->model_name(), "gpt2");
  EXPECT_EQ(t->pre_name(), "default");
  EXPECT_TRUE(t->add_bos_default());
  EXPECT_TRUE(t->IsEndOfGeneration(2));
  EXPECT_FALSE(t->IsEndOfGeneration(1));
  EXPECT_EQ(t->n_vocab(), 1024);
}

TEST(Bpe, FixtureRoundTripsBytes) {
  auto t = Build(testing::FixtureVocab());
  ASSERT_NE(t, nullptr);
  const std::string texts[] = {
      "",        "Hello, World!\n\n\tTabs  and   spaces ", "\xE2\x82\xAC 100 \xF0\x9F\x98\x80",
      "12345678", "invalid \xFF\xFE bytes \xC3", "<s> not special </s>",
  };
  for (const std::string& s : texts) {
    auto ids = t->Encode(s, false, false);
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(t->Decode(*ids), s);
    for (int32_t id : *ids) EXPECT_NE(t->token_type(id), TokenType::kControl) << s;
  }
}

TEST(Bpe, ParseSpecial) {
  auto t = Build(testing::FixtureVocab());
  ASSERT_NE(t, nullptr);
  auto ids = t->Encode("<s>ab</s>", false, /*parse_special=*/true);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{1, 286, 2}));  // "ab": 259 + 1*26 + 1
  EXPECT_EQ(t->Decode(*ids), "ab");
  EXPECT_EQ(t->Decode(*ids, /*render_special=*/true), "<s>ab</s>");
  auto literal = t->Encode("<s>", false, /*parse_special=*/false);
  ASSERT_TRUE(literal.ok());
  EXPECT_EQ(literal->size(), 3u);  // '<', 's', '>' as bytes
}

TEST(Bpe, LongestSpecialWins) {
  VocabMetadata v = testing::FixtureVocab();
  v.tokens[961] = "<|im_start|>";
  v.token_types[961] = 3;
  v.tokens[962] = "<|im";
  v.token_types[962] = 3;
  v.tokens[963] = "<think>";
  v.token_types[963] = 4;  // user-defined: recognised even without parse_special
  auto t = Build(v);
  ASSERT_NE(t, nullptr);
  auto ids = t->Encode("<|im_start|><|im<think>", false, true);
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<int32_t>{961, 962, 963}));
  auto plain = t->Encode("x<think>", false, false);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->back(), 963);
  EXPECT_EQ(t->Decode(*plain), "x<think>");
}

TEST(Bpe, Errors) {
  VocabMetadata v = testing::FixtureVocab();
  v.pre = "mystery-pre";
  auto unknown_pre = Tokenizer::FromVocabMetadata(v);
  ASSERT_FALSE(unknown_pre.ok());
  EXPECT_NE(unknown_pre.status().message().find("mystery-pre"), std::string::npos);

  v = testing::FixtureVocab();
  v.model = "bert";
  auto unknown_model = Tokenizer::FromVocabMetadata(v);
  ASSERT_FALSE(unknown_model.ok());
  EXPECT_NE(unknown_model.status().message().find("bert"), std::string::npos);

  v = testing::FixtureVocab();
  v.merges.clear();
  EXPECT_FALSE(Tokenizer::FromVocabMetadata(v).ok());

  v = testing::FixtureVocab();
  v.merges[5] = "nospace";
  auto bad_merge = Tokenizer::FromVocabMetadata(v);
  ASSERT_FALSE(bad_merge.ok());
  EXPECT_NE(bad_merge.status().message().find("merges[5]"), std::string::npos);

  v = testing::FixtureVocab();
  v.token_types.pop_back();
  EXPECT_EQ(Tokenizer::FromVocabMetadata(v).status().code(), StatusCode::kCorrupt);

  v = testing::FixtureVocab();
  v.token_types[7] = 9;
  EXPECT_EQ(Tokenizer::FromVocabMetadata(v).status().code(), StatusCode::kCorrupt);

  v = testing::FixtureVocab();
  v.eos_id = 5000;
  auto bad_eos = Tokenizer::FromVocabMetadata(v);
  ASSERT_FALSE(bad_eos.ok());
  EXPECT_NE(bad_eos.status().message().find("eos_token_id"), std::string::npos);

  v = testing::FixtureVocab();
  v.tokens.clear();
  v.token_types.clear();
  EXPECT_FALSE(Tokenizer::FromVocabMetadata(v).ok());
}

TEST(Bpe, BadTokenIds) {
  auto t = Build(testing::FixtureVocab());
  ASSERT_NE(t, nullptr);
  const std::vector<int32_t> good = {278, 471};
  const std::vector<int32_t> bad = {278, 1024};
  const std::vector<int32_t> negative = {-1};
  EXPECT_TRUE(t->CheckTokenIds(good).ok());
  Status s = t->CheckTokenIds(bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("1024"), std::string::npos);
  EXPECT_NE(s.message().find("position 1"), std::string::npos);
  EXPECT_FALSE(t->TryDecode(negative).ok());
  auto text = t->TryDecode(good);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, " the");
}

// Encode is const and keeps no shared scratch state: concurrent calls agree.
TEST(Bpe, ConcurrentEncode) {
  auto t = Build(testing::FixtureVocab());
  ASSERT_NE(t, nullptr);
  const std::string text = "Hello, world! 12345 the quick brown fox \xC3\xA9\n";
  auto want = t->Encode(text, true, true);
  ASSERT_TRUE(want.ok());
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 50; ++k) {
        auto ids = t->Encode(text, true, true);
        if (!ids.ok() || *ids != *want) ++mismatches[i];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

TEST(PreTokenizer, Default) {
  EXPECT_EQ(Split("default", "Hello, world! 12345"),
            (Pieces{"Hello", ",", " world", "!", " ", "123", "45"}));
}

TEST(PreTokenizer, Gpt2) {
  EXPECT_EQ(Split("gpt-2", "Hello world's  x\n"),
            (Pieces{"Hello", " world", "'s", " ", " x", "\n"}));
  EXPECT_EQ(Split("gpt-2", " 12345 \xC2\xBD"), (Pieces{" 12345", " \xC2\xBD"}));
}

TEST(PreTokenizer, Llama3) {
  EXPECT_EQ(Split("llama-bpe", "I'M 12345 ok!!\n\nx"),
            (Pieces{"I", "'M", " ", "123", "45", " ok", "!!\n\n", "x"}));
}

TEST(PreTokenizer, Qwen2) {
  EXPECT_EQ(Split("qwen2", "a 123"), (Pieces{"a", " ", "1", "2", "3"}));
}

TEST(PreTokenizer, Smollm) {
  EXPECT_EQ(Split("smollm", "abc 12"), (Pieces{"abc", " ", "1", "2"}));
}

TEST(PreTokenizer, InvalidUtf8KeptByteExact) {
  const std::string text = "ab\xFF\xFE cd\xE2\x82";
  std::string joined;
  for (const auto& p : Split("llama-bpe", text)) joined += p;
  EXPECT_EQ(joined, text);
}

TEST(PreTokenizer, UnknownName) {
  auto p = PreTokenizer::Create("nope");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(p.status().message().find("'nope'"), std::string::npos);
}

}  // namespace
}  // namespace edgelm
