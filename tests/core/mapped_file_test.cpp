#include "core/mapped_file.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace edgelm {
namespace {

std::string TempPath(const char* name) {
  return std::string(::testing::TempDir()) + "/" + name;
}

TEST(MappedFileTest, MapsContents) {
  std::string path = TempPath("mapped_file_test.bin");
  { std::ofstream(path, std::ios::binary) << "hello"; }
  auto f = MappedFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ((*f)->size(), 5u);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>((*f)->data()), 5), "hello");
  (*f)->Prefault();
  EXPECT_TRUE(DropFileFromPageCache(path).ok());
  EXPECT_EQ(*FileSizeBytes(path), 5u);
  std::remove(path.c_str());
}

TEST(MappedFileTest, EmptyFileAndErrors) {
  std::string path = TempPath("mapped_file_empty.bin");
  { std::ofstream(path, std::ios::binary); }
  auto f = MappedFile::Open(path);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->size(), 0u);
  EXPECT_EQ((*f)->data(), nullptr);
  std::remove(path.c_str());

  auto missing = MappedFile::Open(TempPath("does-not-exist.gguf"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("does-not-exist.gguf"), std::string::npos);

  auto dir = MappedFile::Open(::testing::TempDir());
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace edgelm
