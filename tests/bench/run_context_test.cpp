#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <regex>
#include <vector>

#include "bench/run_record.h"
#include "bench/system_probe.h"
#include "core/build_info.h"

namespace edgelm::bench {
namespace {

TEST(RunContextTest, CollectsTheMachine) {
  RunContext c = CollectRunContext();
  EXPECT_EQ(c.edgelm_version, GetBuildInfo().version);
  EXPECT_EQ(c.build_commit, GetBuildInfo().git_commit);
  EXPECT_EQ(c.build_type, GetBuildInfo().build_type);
  EXPECT_EQ(c.debug_build, GetBuildInfo().debug);
  EXPECT_FALSE(c.isa_best.empty());
  EXPECT_FALSE(c.cpu_info.empty());
  EXPECT_GE(c.n_cores, 1);
  EXPECT_EQ(c.kernel.rfind("Linux ", 0), 0u) << c.kernel;
  EXPECT_TRUE(std::regex_match(c.date, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << c.date;
  ASSERT_TRUE(c.mem_total_bytes.has_value());
  EXPECT_GT(*c.mem_total_bytes, 1u << 20);
  ASSERT_TRUE(c.mem_available_bytes.has_value());
  EXPECT_LE(*c.mem_available_bytes, *c.mem_total_bytes);
}

TEST(RunContextTest, WarnsAboutUnrepresentativeConditions) {
  RunContext c;
  c.n_cores = 4;
  c.governor = "performance";
  c.load_avg_1min = 1.0;
  EXPECT_TRUE(EnvironmentWarnings(c).empty());
  c.debug_build = true;
  c.build_type = "Debug";
  c.governor = "powersave";
  c.load_avg_1min = 2.5;  // above half of 4 CPUs
  auto w = EnvironmentWarnings(c);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_NE(w[0].find("unoptimised (Debug) build"), std::string::npos);
  EXPECT_NE(w[1].find("'powersave'"), std::string::npos);
  EXPECT_NE(w[2].find("load average 2.50"), std::string::npos);
  EXPECT_NE(w[2].find("4 CPUs"), std::string::npos);
  c.debug_build = false;
  c.governor.reset();  // no cpufreq: nothing to say
  c.load_avg_1min.reset();
  EXPECT_TRUE(EnvironmentWarnings(c).empty());
}

TEST(RunContextTest, DescribesModelFiles) {
  const std::string path = std::string(::testing::TempDir()) + "/run_context_model.gguf";
  { std::ofstream(path, std::ios::binary) << "abc"; }
  auto info = DescribeModelFile(path);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->filename, "run_context_model.gguf");
  EXPECT_EQ(info->size_bytes, 3u);
  EXPECT_EQ(info->sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  auto unhashed = DescribeModelFile(path, false);
  ASSERT_TRUE(unhashed.ok());
  EXPECT_TRUE(unhashed->sha256.empty());
  std::remove(path.c_str());
  auto missing = DescribeModelFile(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

TEST(SystemProbeTest, ProcessMemory) {
  auto rss = ReadProcStatusBytes("VmRSS");
  auto hwm = ReadProcStatusBytes("VmHWM");
  ASSERT_TRUE(rss.has_value());
  ASSERT_TRUE(hwm.has_value());
  EXPECT_GT(*rss, 0u);
  EXPECT_GE(*hwm, *rss);
  EXPECT_FALSE(ReadProcStatusBytes("NoSuchKey").has_value());
  EXPECT_FALSE(ReadProcStatusBytes("VmRS").has_value()) << "a prefix of a key is not the key";
  // Touch 64 MiB, then reset the peak: it falls back to about the current RSS.
  if (ResetPeakRss()) {
    {
      std::vector<char> big(64 << 20, 1);
      EXPECT_GE(*ReadProcStatusBytes("VmHWM"), *rss + (32u << 20));
    }
    ASSERT_TRUE(ResetPeakRss());
    EXPECT_LT(*ReadProcStatusBytes("VmHWM"), *ReadProcStatusBytes("VmRSS") + (16u << 20));
  }
  EXPECT_TRUE(LoadAverage1Min().has_value());
  EXPECT_GE(OnlineCpuCount(), 1);
  EXPECT_EQ(IsoUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(IsoUtc(1700000000LL * 1000000000LL), "2023-11-14T22:13:20Z");
}

}  // namespace
}  // namespace edgelm::bench
