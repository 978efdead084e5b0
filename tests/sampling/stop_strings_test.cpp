#include <gtest/gtest.h>

#include "edgelm/sampler.h"

namespace edgelm {
namespace {

// Feeds pieces one by one, printing what is safe after each, as a CLI would.
struct Printed {
  std::string printed;
  bool stopped = false;
};
Printed Feed(StopStringMatcher& m, const std::vector<std::string>& pieces) {
  Printed run;
  for (const std::string& piece : pieces) {
    run.stopped = m.Push(piece);
    run.printed += m.TakeSafe();
    if (run.stopped) return run;
  }
  run.printed += m.Flush();
  return run;
}

TEST(StopStringMatcherTest, StopSplitAcrossPushes) {
  StopStringMatcher m({"</s>"});
  EXPECT_FALSE(m.Push("Hello <"));
  EXPECT_EQ(m.safe_bytes(), 6u);  // "Hello " is safe, "<" may start "</s>"
  EXPECT_EQ(m.TakeSafe(), "Hello ");
  EXPECT_EQ(m.pending(), "<");
  EXPECT_FALSE(m.Push("/"));
  EXPECT_EQ(m.safe_bytes(), 0u);
  EXPECT_TRUE(m.Push("s> and more"));
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.matched(), "</s>");
  EXPECT_EQ(m.pending(), "");
  EXPECT_EQ(m.TakeSafe(), "");
  EXPECT_TRUE(m.Push("ignored"));
  EXPECT_EQ(m.pending(), "");
}

TEST(StopStringMatcherTest, TextBeforeTheStopIsKept) {
  StopStringMatcher m({"STOP"});
  const Printed run = Feed(m, {"one S", "T", "OP two"});
  EXPECT_TRUE(run.stopped);
  EXPECT_EQ(run.printed, "one ");
  StopStringMatcher inside({"STOP"});
  EXPECT_TRUE(inside.Push("abcSTOPdef"));
  EXPECT_EQ(inside.safe_bytes(), 3u);
  EXPECT_EQ(inside.TakeSafe(), "abc");
}

TEST(StopStringMatcherTest, FalseStartIsReleased) {
  StopStringMatcher m({"<|im_end|>"});
  EXPECT_FALSE(m.Push("a <|im"));
  EXPECT_EQ(m.safe_bytes(), 2u);
  EXPECT_FALSE(m.Push("_start"));  // "<|im_start" is not a prefix of "<|im_end|>"
  EXPECT_EQ(m.safe_bytes(), m.pending().size());
  const Printed run = Feed(m, {"|> b"});
  EXPECT_FALSE(run.stopped);
  EXPECT_EQ(run.printed, "a <|im_start|> b");
}

TEST(StopStringMatcherTest, HeldBackTailIsFlushedAtTheEnd) {
  StopStringMatcher m({"\n\nUser:"});
  const Printed run = Feed(m, {"answer", "\n\nUs"});
  EXPECT_FALSE(run.stopped);
  EXPECT_EQ(run.printed, "answer\n\nUs");
}

TEST(StopStringMatcherTest, EarliestOfSeveralStopsWins) {
  StopStringMatcher m({"world", "lo w", "xyz"});
  const Printed run = Feed(m, {"hel", "lo wor", "ld"});
  EXPECT_TRUE(run.stopped);
  EXPECT_EQ(m.matched(), "lo w");
  EXPECT_EQ(run.printed, "hel");
  // At the same position the longer stop string is reported.
  StopStringMatcher overlap({"ab", "abc"});
  EXPECT_TRUE(overlap.Push("xabc"));
  EXPECT_EQ(overlap.matched(), "abc");
  EXPECT_EQ(overlap.TakeSafe(), "x");
}

TEST(StopStringMatcherTest, StopArrivingOneByteAtATime) {
  StopStringMatcher m({"<end_of_turn>"});
  std::vector<std::string> bytes;
  for (char c : std::string("ok<end<end_of_turn>tail")) bytes.emplace_back(1, c);
  const Printed run = Feed(m, bytes);
  EXPECT_TRUE(run.stopped);
  EXPECT_EQ(run.printed, "ok<end");
}

TEST(StopStringMatcherTest, MultiByteStopString) {
  StopStringMatcher m(
      {"\xE2\x80\x94"
       "END"});  // em dash + END
  EXPECT_FALSE(m.Push("caf\xC3\xA9 \xE2\x80"));
  EXPECT_EQ(m.TakeSafe(), "caf\xC3\xA9 ");  // never splits the held character
  EXPECT_TRUE(
      m.Push("\x94"
             "END"));
}

TEST(StopStringMatcherTest, NoStopStringsMeansEverythingIsSafe) {
  StopStringMatcher m({"", ""});
  EXPECT_FALSE(m.Push("</s> anything"));
  EXPECT_EQ(m.safe_bytes(), m.pending().size());
  EXPECT_FALSE(m.stopped());
}

TEST(StopStringMatcherTest, ResetStartsOver) {
  StopStringMatcher m({"x"});
  EXPECT_TRUE(m.Push("ax"));
  m.Reset();
  EXPECT_FALSE(m.stopped());
  EXPECT_EQ(m.matched(), "");
  EXPECT_FALSE(m.Push("ab"));
  EXPECT_EQ(m.TakeSafe(), "ab");
}

}  // namespace
}  // namespace edgelm
