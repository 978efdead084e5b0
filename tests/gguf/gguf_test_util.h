// Helpers shared by the gguf tests: comparing parsed metadata, temp paths.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "gguf/gguf_reader.h"

namespace edgelm::testing {

inline ::testing::AssertionResult SameValue(const GgufKeyValue& a, const GgufKeyValue& b) {
  if (a.key != b.key) return ::testing::AssertionFailure() << "key " << a.key << " vs " << b.key;
  if (a.type != b.type) {
    return ::testing::AssertionFailure() << a.key << ": type " << GgufValueTypeName(a.type) << " vs "
                                         << GgufValueTypeName(b.type);
  }
  if (a.type != GgufValueType::kArray) {
    if (a.scalar != b.scalar) return ::testing::AssertionFailure() << a.key << ": scalar differs";
    return ::testing::AssertionSuccess();
  }
  if (a.array.element_type != b.array.element_type || a.array.count != b.array.count) {
    return ::testing::AssertionFailure() << a.key << ": array type/count differs";
  }
  if (a.array.element_type == GgufValueType::kString) {
    if (a.array.strings != b.array.strings) return ::testing::AssertionFailure() << a.key << ": strings differ";
  } else if (a.array.count > 0 &&
             std::memcmp(a.array.data, b.array.data, a.array.count * GgufValueTypeSize(a.array.element_type)) != 0) {
    return ::testing::AssertionFailure() << a.key << ": array bytes differ";
  }
  return ::testing::AssertionSuccess();
}

// A per-test scratch directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("edgelm_gguf_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
             std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace edgelm::testing
