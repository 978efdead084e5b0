#include "core/status.h"

#include <gtest/gtest.h>

#include "core/checked_math.h"

namespace edgelm {
namespace {

Result<int> Half(int v) {
  if (v % 2 != 0) return InvalidArgumentError("odd value " + std::to_string(v));
  return v / 2;
}

Result<int> Quarter(int v) {
  EDGELM_ASSIGN_OR_RETURN(int h, Half(v));
  EDGELM_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(StatusTest, OkAndErrorCarryCodeAndMessage) {
  Status ok = Status::Ok();
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.ToString(), "ok");
  Status err = CorruptError("tensor 'x' truncated");
  EXPECT_FALSE(err.ok());
  EXPECT_EQ(err.code(), StatusCode::kCorrupt);
  EXPECT_EQ(err.ToString(), "corrupt: tensor 'x' truncated");
  EXPECT_EQ(err.WithContext("loading m.gguf").message(), "loading m.gguf: tensor 'x' truncated");
}

TEST(StatusTest, AssignOrReturnPropagatesTheFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  Result<int> r = Quarter(6);  // 6/2 = 3 is odd
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd value 3");
  EXPECT_EQ(r.value_or(-1), -1);
}

TEST(StatusDeathTest, ValueOnErrorAborts) {
  Result<int> r = Half(3);
  EXPECT_DEATH((void)r.value(), "value\\(\\) on error");
}

TEST(CheckedMathTest, DetectsOverflow) {
  EXPECT_EQ(CheckedMul(1ull << 32, 1ull << 31), 1ull << 63);
  EXPECT_FALSE(CheckedMul(1ull << 32, 1ull << 32).has_value());
  EXPECT_FALSE(CheckedAdd(~0ull, 1).has_value());
  EXPECT_EQ(CheckedAlignUp(33, 32), 64u);
  EXPECT_EQ(CheckedAlignUp(64, 32), 64u);
  EXPECT_FALSE(CheckedAlignUp(~0ull - 3, 32).has_value());
  EXPECT_TRUE(IsPowerOfTwo(32));
  EXPECT_FALSE(IsPowerOfTwo(0));
  EXPECT_FALSE(IsPowerOfTwo(48));
}

}  // namespace
}  // namespace edgelm
