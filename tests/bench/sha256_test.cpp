#include "bench/sha256.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

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

}  // namespace
}  // namespace edgelm::bench
