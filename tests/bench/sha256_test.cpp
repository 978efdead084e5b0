#include "bench/sha256.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace edgelm::bench {
namespace {

std::string Hash(std::string_view s) {
  Sha256 h;
  h.Update(s);
  return h.FinishHex();
}

TEST(Sha256Test, FipsVectors) {
  EXPECT_EQ(Hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 h;
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 1000; ++i) h.Update(chunk);
  EXPECT_EQ(h.FinishHex(), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, SplitUpdatesMatchOneUpdate) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 7));
  const std::string whole = Hash(data);
  // Every split point, including around the 55/56/64-byte padding boundaries.
  for (size_t cut = 0; cut <= data.size(); cut += 1) {
    Sha256 h;
    h.Update(std::string_view(data).substr(0, cut));
    h.Update(std::string_view(data).substr(cut));
    ASSERT_EQ(h.FinishHex(), whole) << "cut at " << cut;
  }
  for (size_t len : {55u, 56u, 63u, 64u, 65u, 119u, 120u}) {
    Sha256 a, b;
    a.Update(std::string_view(data).substr(0, len));
    for (size_t i = 0; i < len; ++i) b.Update(&data[i], 1);
    EXPECT_EQ(a.FinishHex(), b.FinishHex()) << len;
  }
}

TEST(Sha256Test, File) {
  const std::string path = std::string(::testing::TempDir()) + "/sha256_test.bin";
  { std::ofstream(path, std::ios::binary) << "abc"; }
  auto h = Sha256File(path);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::remove(path.c_str());
  auto missing = Sha256File(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("sha256_test.bin"), std::string::npos);
}

// A scratch directory with a model-like file and a cache file path.
class DigestCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("sha256_cache_test_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    file_ = (dir_ / "model.gguf").string();
    cache_ = (dir_ / "cache" / "sha256-cache.tsv").string();
    Write(file_, "abc");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static void Write(const std::string& path, const std::string& content) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
  }
  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  // Sets the file's mtime to `seconds` since the epoch.
  static void SetMtime(const std::string& path, int64_t seconds) {
    struct timespec times[2] = {{seconds, 0}, {seconds, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
  }
  FileDigest Get() {
    auto d = Sha256FileCached(file_, cache_);
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : FileDigest{};
  }
  std::filesystem::path dir_;
  std::string file_, cache_;
};

const char kAbc[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const char kAbd[] = "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9";

TEST_F(DigestCacheTest, SecondCallComesFromTheCache) {
  FileDigest first = Get();
  EXPECT_EQ(first.sha256, kAbc);
  EXPECT_FALSE(first.from_cache);
  FileDigest second = Get();
  EXPECT_EQ(second.sha256, kAbc);
  EXPECT_TRUE(second.from_cache);
  // The same bytes under another path are another entry; both stay cached.
  const std::string copy = (dir_ / "copy.gguf").string();
  Write(copy, "abc");
  auto c = Sha256FileCached(copy, cache_);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->from_cache);
  EXPECT_TRUE(Sha256FileCached(copy, cache_)->from_cache);
  EXPECT_TRUE(Get().from_cache);
}

TEST_F(DigestCacheTest, UsesTheStoredDigestOnlyWhileTheFileIsUnchanged) {
  Get();
  // Plant a different digest under the file's exact identity: a hit returns it, which
  // shows the cache is read rather than the file.
  std::string text = Read(cache_);
  const size_t at = text.find(kAbc);
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 64, std::string(64, 'e'));
  Write(cache_, text);
  EXPECT_EQ(Get().sha256, std::string(64, 'e'));

  // A new mtime: recomputed (the right digest again), then cached under the new key.
  SetMtime(file_, 1000000000);
  FileDigest d = Get();
  EXPECT_FALSE(d.from_cache);
  EXPECT_EQ(d.sha256, kAbc);
  EXPECT_TRUE(Get().from_cache);

  // Same size, content rewritten, mtime put back: ctime still moves, so recomputed.
  // File timestamps advance in kernel ticks (a few ms): wait one out first.
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  Write(file_, "abd");
  SetMtime(file_, 1000000000);
  d = Get();
  EXPECT_FALSE(d.from_cache);
  EXPECT_EQ(d.sha256, kAbd);

  // A different size.
  Write(file_, "abcd");
  d = Get();
  EXPECT_FALSE(d.from_cache);
  EXPECT_EQ(d.sha256, "88d4266fd4e6338d13b845fcf289579d209c897823b9217da3e161936f031589");
}

TEST_F(DigestCacheTest, CorruptCacheIsRecomputedAndRepaired) {
  Get();
  const std::string good = Read(cache_);
  const std::string line = good.substr(good.find('\n') + 1);
  std::string binary(4096, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 131 + 7);
  const std::string header = good.substr(0, good.find('\n') + 1);
  for (const std::string& bad : {std::string(), binary, good.substr(0, good.size() / 2), header + line.substr(0, 40),
                                 header + "zz" + line.substr(2), header + std::string(line).replace(65, 1, "x"),
                                 header + "\t\t\t\t\t\t\n", header + std::string(line).insert(70, "99999999999999999999999"),
                                 "# some other format\n" + line, std::string(2 << 20, 'a')}) {
    SCOPED_TRACE(bad.substr(0, 80));
    Write(cache_, bad);
    FileDigest d = Get();
    EXPECT_FALSE(d.from_cache);
    EXPECT_EQ(d.sha256, kAbc);
    FileDigest again = Get();
    EXPECT_TRUE(again.from_cache);
    EXPECT_EQ(again.sha256, kAbc);
  }
}

TEST_F(DigestCacheTest, UnusableCacheStillGivesTheDigest) {
  // The cache path is a directory: nothing can be read or written there.
  std::filesystem::create_directories(cache_);
  for (int i = 0; i < 2; ++i) {
    FileDigest d = Get();
    EXPECT_EQ(d.sha256, kAbc);
    EXPECT_FALSE(d.from_cache);
  }
  // No cache at all.
  auto d = Sha256FileCached(file_, "");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->sha256, kAbc);
  EXPECT_FALSE(d->from_cache);
  // A missing model file is an error naming it, whatever the cache holds.
  std::filesystem::remove(file_);
  auto missing = Sha256FileCached(file_, cache_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("model.gguf"), std::string::npos);
}

TEST_F(DigestCacheTest, RelativePathsShareTheAbsoluteEntry) {
  Get();
  const std::filesystem::path cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_);
  auto d = Sha256FileCached("./model.gguf", cache_);
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(d->from_cache);
  EXPECT_EQ(d->sha256, kAbc);
}

TEST(DigestCachePath, FollowsXdgCacheHome) {
  const char* old = std::getenv("XDG_CACHE_HOME");
  const std::string saved = old ? old : "";
  ::setenv("XDG_CACHE_HOME", "/tmp/xdg-test", 1);
  EXPECT_EQ(DefaultDigestCachePath(), "/tmp/xdg-test/edgelm/sha256-cache.tsv");
  ::setenv("XDG_CACHE_HOME", "", 1);
  if (const char* home = std::getenv("HOME"); home && *home) {
    EXPECT_EQ(DefaultDigestCachePath(), std::string(home) + "/.cache/edgelm/sha256-cache.tsv");
  }
  if (old) {
    ::setenv("XDG_CACHE_HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("XDG_CACHE_HOME");
  }
}

}  // namespace
}  // namespace edgelm::bench
