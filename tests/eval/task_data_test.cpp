#include "eval/task_data.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace edgelm {
namespace {

namespace fs = std::filesystem;

std::string SharedData() { return std::string(EDGELM_SHARED_DIR) + "/data"; }
bool HaveShared() { return fs::is_directory(SharedData()); }

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path = std::string(::testing::TempDir()) + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(TaskDataTest, EverySharedTaskParses) {
  if (!HaveShared()) GTEST_SKIP() << "../shared/data absent: shared evaluation sets not available";
  struct Expect { const char* name; size_t items; size_t choices; };
  // Item counts from the files themselves (wc -l; HellaSwag 10,042 tasks).
  for (Expect e : {Expect{"hellaswag", 10042, 4}, {"arc_easy", 2376, 0}, {"arc_challenge", 1172, 0},
                   {"piqa", 1838, 2}, {"winogrande", 1267, 2}, {"openbook_qa", 500, 4}, {"siqa", 1954, 0},
                   {"copa", 100, 2}, {"commonsense_qa", 1221, 4}, {"boolq", 3270, 2}}) {
    auto t = LoadTask(SharedData(), e.name, 0, 0);
    ASSERT_TRUE(t.ok()) << e.name << ": " << t.status().ToString();
    EXPECT_EQ(t->items.size(), e.items) << e.name;
    for (const auto& item : t->items) {
      ASSERT_GE(item.n_choices(), 2u) << e.name;
      if (e.choices != 0) {
        ASSERT_EQ(item.n_choices(), e.choices) << e.name;
      }
      ASSERT_LT(static_cast<size_t>(item.gold), item.n_choices()) << e.name;
    }
  }
  auto lambada = LoadTask(SharedData(), "lambada", 0, 0);
  ASSERT_TRUE(lambada.ok()) << lambada.status().ToString();
  EXPECT_EQ(lambada->lambada.size(), 5153u);
  EXPECT_EQ(lambada->lambada[0].continuation, " signs");
}

TEST(TaskDataTest, HellaswagFirstTaskAndLimit) {
  if (!HaveShared()) GTEST_SKIP() << "../shared/data absent";
  auto t = LoadTask(SharedData(), "hellaswag", 0, 3);
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->items.size(), 3u);
  EXPECT_EQ(t->items[0].contexts[0], "Roof shingle removal: A man is sitting on a roof. he");
  EXPECT_EQ(t->items[0].gold, 3);
  EXPECT_EQ(t->items[0].continuations[3], " starts pulling up roofing on a roof.");
}

TEST(TaskDataTest, MmluEverySubjectParsesWithShots) {
  if (!HaveShared()) GTEST_SKIP() << "../shared/data absent";
  auto t = ParseMmlu(SharedData() + "/mmlu", 5, 0);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_GT(t->items.size(), 10000u);  // 14,042 test questions in MMLU
  const ChoiceItem& first = t->items[0];
  EXPECT_EQ(first.continuations, (std::vector<std::string>{" A", " B", " C", " D"}));
  const std::string& ctx = first.contexts[0];
  EXPECT_EQ(ctx.rfind("The following are multiple choice questions (with answers) about abstract algebra.\n\n", 0), 0u);
  EXPECT_EQ(ctx.substr(ctx.size() - 7), "Answer:");
  // 5 shots, each ending "Answer: X\n\n", then the question.
  size_t shots = 0;
  for (size_t p = ctx.find("\nAnswer: "); p != std::string::npos; p = ctx.find("\nAnswer: ", p + 1)) ++shots;
  EXPECT_EQ(shots, 5u);
}

TEST(TaskDataTest, MalformedFilesNameTheLine) {
  auto p = WriteTemp("bad.jsonl", "{\"query\": \"q\", \"choices\": [\"a\", \"b\"], \"gold\": 1}\n{\"query\": \"q\", \"choi");
  auto t = ParseChoiceJsonl("arc_easy", p, 0);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(t.status().message().find("line 2"), std::string::npos) << t.status().message();

  p = WriteTemp("gold.jsonl", "{\"query\": \"q\", \"choices\": [\"a\", \"b\"], \"gold\": 2}\n");
  t = ParseChoiceJsonl("piqa", p, 0);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("gold index 2 outside 0..1"), std::string::npos) << t.status().message();

  p = WriteTemp("missing.jsonl", "{\"query\": \"q\", \"gold\": 0}\n");
  t = ParseChoiceJsonl("copa", p, 0);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("missing field 'choices'"), std::string::npos);

  p = WriteTemp("hs.txt", "ctx\n1\na\nb\nc\nd\nctx2\nX\na\nb\nc\nd\n");
  t = ParseHellaswag(p, 0);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("line 8"), std::string::npos) << t.status().message();

  p = WriteTemp("hs_trunc.txt", "ctx\n1\na\nb\n");
  t = ParseHellaswag(p, 0);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("truncated"), std::string::npos);

  p = WriteTemp("wino.jsonl", "{\"context_options\": [\"a\"], \"continuation\": \"x\", \"gold\": 0}\n");
  EXPECT_FALSE(ParseWinograndeJsonl(p, 0).ok());

  p = WriteTemp("empty.jsonl", "\n\n");
  EXPECT_FALSE(ParseLambadaJsonl(p, 0).ok());
  EXPECT_EQ(ParseLambadaJsonl("/nonexistent/x.jsonl", 0).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(LoadTask("/tmp", "nonsense", 0, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(TaskDataTest, CsvRecords) {
  std::string text = "a,\"b,c\",\"d\"\"e\"\n\"multi\nline\",x\r\nlast";
  size_t pos = 0, line = 1;
  auto r = ReadCsvRecord(text, pos, line);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<std::string>{"a", "b,c", "d\"e"}));
  r = ReadCsvRecord(text, pos, line);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, (std::vector<std::string>{"multi\nline", "x"}));
  EXPECT_EQ(line, 4u);
  r = ReadCsvRecord(text, pos, line);
  EXPECT_EQ(*r, (std::vector<std::string>{"last"}));
  std::string bad = "\"open";
  pos = 0;
  EXPECT_FALSE(ReadCsvRecord(bad, pos, line).ok());
}

TEST(TaskDataTest, WinograndeIsPartialEvaluation) {
  auto p = WriteTemp("w.jsonl",
                     "{\"context_options\": [\"Sarah was better than Maria so Sarah\", \"Sarah was better than Maria so Maria\"], "
                     "\"continuation\": \"got the easier cases.\", \"gold\": 1}\n");
  auto t = ParseWinograndeJsonl(p, 0);
  ASSERT_TRUE(t.ok());
  const ChoiceItem& item = t->items[0];
  EXPECT_EQ(item.n_choices(), 2u);
  EXPECT_EQ(item.context(1), "Sarah was better than Maria so Maria");
  EXPECT_EQ(item.continuation(0), " got the easier cases.");
  EXPECT_EQ(item.continuation(1), " got the easier cases.");
}

}  // namespace
}  // namespace edgelm

#include "eval/samples.h"

namespace edgelm {
namespace {

TEST(SamplesSuiteTest, ProjectSuiteParsesAndBadFilesNameTheLine) {
  auto prompts = LoadPromptSuite(std::string(EDGELM_SOURCE_DIR) + "/data/prompts");
  ASSERT_TRUE(prompts.ok()) << prompts.status().ToString();
  ASSERT_EQ(prompts->size(), 6u);
  EXPECT_EQ((*prompts)[0].id, "01-instructions");
  EXPECT_EQ((*prompts)[0].system, "You are a concise assistant.");
  EXPECT_EQ((*prompts)[5].category, "long-context recall");
  EXPECT_NE((*prompts)[5].user.find("7341"), std::string::npos);

  const std::string dir = std::string(::testing::TempDir()) + "/bad_prompts";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/a.txt") << "category: x\nmax_tokens: lots\n---\nhi\n";
  auto bad = LoadPromptSuite(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos) << bad.status().message();
  std::ofstream(dir + "/a.txt") << "category: x\nhello\n";
  EXPECT_FALSE(LoadPromptSuite(dir).ok());
  std::ofstream(dir + "/a.txt") << "category: x\n---\n";
  EXPECT_NE(LoadPromptSuite(dir).status().message().find("empty prompt"), std::string::npos);
  EXPECT_EQ(LoadPromptSuite(dir + "/none").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace edgelm
