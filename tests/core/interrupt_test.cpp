#include "core/interrupt.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace edgelm {
namespace {

TEST(InterruptTest, FirstSignalSetsTheFlagWithoutTerminating) {
  const std::atomic<bool>& flag = InstallInterruptHandler();
  EXPECT_FALSE(flag.load());
  EXPECT_FALSE(InterruptRequested());
  ASSERT_EQ(raise(SIGINT), 0);
  EXPECT_TRUE(flag.load());
  EXPECT_TRUE(InterruptRequested());
}

}  // namespace
}  // namespace edgelm
