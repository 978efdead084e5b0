// Fixture trees for telemetry tests: a temporary directory laid out like /sys and /proc
// (see the documented layouts in src/telemetry/source_*.cpp), removed afterwards.
#pragma once

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "telemetry/sampler.h"
#include "telemetry/sensor.h"

namespace edgelm::telemetry::testing {

class TempTree {
 public:
  TempTree() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && tmp[0] ? tmp : "/tmp") + "/edgelm_telem_XXXXXX";
    char* p = mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~TempTree() {
    nftw(path_.c_str(), [](const char* p, const struct stat*, int, FTW*) { return ::remove(p); }, 16,
         FTW_DEPTH | FTW_PHYS);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;

  const std::string& path() const { return path_; }
  std::string Abs(const std::string& rel) const { return path_ + (rel.empty() || rel[0] == '/' ? "" : "/") + rel; }
  void Mkdir(const std::string& rel) const {
    std::string full = Abs(rel);
    for (size_t i = path_.size() + 1; i <= full.size(); ++i) {
      if (i == full.size() || full[i] == '/') mkdir(full.substr(0, i).c_str(), 0755);
    }
  }
  // Writes a file, creating its directories; content gets no newline added.
  void Write(const std::string& rel, const std::string& content) const {
    std::string full = Abs(rel);
    Mkdir(full.substr(path_.size(), full.rfind('/') - path_.size()));
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.good()) << full;
  }
  // An executable /bin/sh script; returns its absolute path.
  std::string Script(const std::string& rel, const std::string& body) const {
    Write(rel, "#!/bin/sh\n" + body);
    chmod(Abs(rel).c_str(), 0755);
    return Abs(rel);
  }

 private:
  std::string path_;
};

// Root reads through chmod 000; tests then inject EACCES instead.
inline bool ChmodBlocksReads(const TempTree& t) {
  t.Write("probe", "1");
  chmod(t.Abs("probe").c_str(), 0);
  FILE* f = std::fopen(t.Abs("probe").c_str(), "r");
  bool blocked = f == nullptr;
  if (f) std::fclose(f);
  return blocked;
}

// Reads a sensor at chosen timestamps into a series, as the sampler would.
class ManualSeries {
 public:
  explicit ManualSeries(Sensor& s, size_t capacity = 1024) : sensor_(s), buffer_(s.channels().size(), capacity) {}
  void ReadAt(int64_t t_ns) {
    std::vector<Sample> out;
    Status st = sensor_.Read(t_ns, &out);
    ASSERT_TRUE(st.ok()) << st.ToString();
    for (auto& s : out) buffer_.Push(s);
  }
  Series series() const { return buffer_.Snapshot(); }

 private:
  Sensor& sensor_;
  SeriesBuffer buffer_;
};

inline constexpr int64_t kMs = 1'000'000;
inline constexpr int64_t kSec = 1'000'000'000;

}  // namespace edgelm::telemetry::testing
