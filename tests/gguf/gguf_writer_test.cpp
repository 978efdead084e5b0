// GgufWriter: write -> read back identical, streaming in pieces, alignment honoured,
// misuse rejected, and a copy of a shared fixture reproducing it key for key, byte for byte.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "gguf_test_util.h"

namespace edgelm {
namespace {

using testing::SameValue;
using testing::TempDir;

// Fills every value type, including arrays of each numeric type and of strings.
void SetAllValueTypes(GgufWriter* w) {
  w->SetU8("t.u8", 200);
  w->SetI8("t.i8", -100);
  w->SetU16("t.u16", 65000);
  w->SetI16("t.i16", -32000);
  w->SetU32("t.u32", 4000000000u);
  w->SetI32("t.i32", -2000000000);
  w->SetF32("t.f32", 3.25f);
  w->SetBool("t.bool_true", true);
  w->SetBool("t.bool_false", false);
  w->SetString("t.string", "h\xC3\xA9llo\n\"world\"");
  w->SetString("t.empty_string", "");
  w->SetU64("t.u64", 18000000000000000000ull);
  w->SetI64("t.i64", -9000000000000000000ll);
  w->SetF64("t.f64", -1.0e300);
  const std::vector<std::string> strs = {"a", "", "Ġthe", std::string("nul\0in", 6)};
  w->SetStringArray("t.arr.string", strs);
  const std::vector<int32_t> i32 = {1, -2, 3, std::numeric_limits<int32_t>::min()};
  w->SetI32Array("t.arr.i32", i32);
  const std::vector<float> f32 = {0.5f, -1.f, 1e-30f};
  w->SetF32Array("t.arr.f32", f32);
  const std::vector<uint32_t> u32 = {7, 8};
  w->SetU32Array("t.arr.u32", u32);
  const uint8_t u8[] = {1, 2, 255};
  EXPECT_TRUE(w->SetArray("t.arr.u8", GgufValueType::kU8, u8, 3).ok());
  const int8_t i8[] = {-1, 2};
  EXPECT_TRUE(w->SetArray("t.arr.i8", GgufValueType::kI8, i8, 2).ok());
  const uint16_t u16[] = {65535};
  EXPECT_TRUE(w->SetArray("t.arr.u16", GgufValueType::kU16, u16, 1).ok());
  const int16_t i16[] = {-5, 5};
  EXPECT_TRUE(w->SetArray("t.arr.i16", GgufValueType::kI16, i16, 2).ok());
  const uint8_t b[] = {1, 0, 1};
  EXPECT_TRUE(w->SetArray("t.arr.bool", GgufValueType::kBool, b, 3).ok());
  const uint64_t u64[] = {1ull << 63};
  EXPECT_TRUE(w->SetArray("t.arr.u64", GgufValueType::kU64, u64, 1).ok());
  const int64_t i64[] = {-(1ll << 62), 3};
  EXPECT_TRUE(w->SetArray("t.arr.i64", GgufValueType::kI64, i64, 2).ok());
  const double f64[] = {2.5, -0.125};
  EXPECT_TRUE(w->SetArray("t.arr.f64", GgufValueType::kF64, f64, 2).ok());
  EXPECT_TRUE(w->SetArray("t.arr.empty", GgufValueType::kF32, nullptr, 0).ok());
}

void ExpectAllValueTypes(const GgufFile& f) {
  EXPECT_EQ(std::get<uint8_t>(f.FindKeyOrNull("t.u8")->scalar), 200);
  EXPECT_EQ(std::get<int8_t>(f.FindKeyOrNull("t.i8")->scalar), -100);
  EXPECT_EQ(std::get<uint16_t>(f.FindKeyOrNull("t.u16")->scalar), 65000);
  EXPECT_EQ(std::get<int16_t>(f.FindKeyOrNull("t.i16")->scalar), -32000);
  EXPECT_EQ(f.GetU32("t.u32").value_or(0), 4000000000u);
  EXPECT_EQ(f.GetI32("t.i32").value_or(0), -2000000000);
  EXPECT_EQ(f.GetF32("t.f32").value_or(0), 3.25f);
  EXPECT_TRUE(f.GetBool("t.bool_true").value_or(false));
  EXPECT_FALSE(f.GetBool("t.bool_false").value_or(true));
  EXPECT_EQ(f.GetString("t.string").value_or(""), "h\xC3\xA9llo\n\"world\"");
  EXPECT_EQ(f.GetString("t.empty_string").value_or("x"), "");
  EXPECT_EQ(f.GetU64("t.u64").value_or(0), 18000000000000000000ull);
  EXPECT_EQ(std::get<int64_t>(f.FindKeyOrNull("t.i64")->scalar), -9000000000000000000ll);
  EXPECT_EQ(std::get<double>(f.FindKeyOrNull("t.f64")->scalar), -1.0e300);
  auto s = f.GetArray("t.arr.string", GgufValueType::kString);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ((*s)->count, 4u);
  EXPECT_EQ((*s)->strings[2], "Ġthe");
  EXPECT_EQ((*s)->strings[3], std::string_view("nul\0in", 6));
  auto i32 = f.GetArray("t.arr.i32", GgufValueType::kI32);
  ASSERT_TRUE(i32.ok());
  EXPECT_EQ((*i32)->IntAt(3), std::numeric_limits<int32_t>::min());
  auto f32 = f.GetArray("t.arr.f32", GgufValueType::kF32);
  ASSERT_TRUE(f32.ok());
  EXPECT_FLOAT_EQ(static_cast<float>((*f32)->FloatAt(2)), 1e-30f);
  EXPECT_EQ((*f.GetArray("t.arr.u8", GgufValueType::kU8))->IntAt(2), 255);
  EXPECT_EQ((*f.GetArray("t.arr.i8", GgufValueType::kI8))->IntAt(0), -1);
  EXPECT_EQ((*f.GetArray("t.arr.u16", GgufValueType::kU16))->IntAt(0), 65535);
  EXPECT_EQ((*f.GetArray("t.arr.i16", GgufValueType::kI16))->IntAt(0), -5);
  EXPECT_EQ((*f.GetArray("t.arr.bool", GgufValueType::kBool))->IntAt(1), 0);
  EXPECT_EQ(static_cast<uint64_t>((*f.GetArray("t.arr.u64", GgufValueType::kU64))->IntAt(0)), 1ull << 63);
  EXPECT_EQ((*f.GetArray("t.arr.i64", GgufValueType::kI64))->IntAt(0), -(1ll << 62));
  EXPECT_EQ((*f.GetArray("t.arr.f64", GgufValueType::kF64))->FloatAt(1), -0.125);
  EXPECT_EQ((*f.GetArray("t.arr.empty", GgufValueType::kF32))->count, 0u);
  EXPECT_EQ(f.ValueToString(*f.FindKeyOrNull("t.arr.bool")), "[true, false, true]");
  EXPECT_EQ(f.ValueToString(*f.FindKeyOrNull("t.string")), "\"h\xC3\xA9llo\\n\\\"world\\\"\"");
}

struct TensorSpec {
  std::string name;
  GgmlType type;
  std::vector<int64_t> ne;
};

std::vector<uint8_t> PatternBytes(uint64_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng(seed);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

class GgufRoundTrip : public ::testing::TestWithParam<std::tuple<uint32_t, uint32_t>> {};

TEST_P(GgufRoundTrip, WriteThenReadBackIdentical) {
  const auto [version, alignment] = GetParam();
  const std::vector<TensorSpec> specs = {
      {"a.f32", GgmlType::kF32, {3}},
      {"b.f16", GgmlType::kF16, {5, 3}},
      {"c.q4_0", GgmlType::kQ4_0, {64, 2}},
      {"d.q8_0", GgmlType::kQ8_0, {32, 1, 2}},
      {"e.q4_k", GgmlType::kQ4_K, {256, 3}},
      {"f.q6_k", GgmlType::kQ6_K, {512, 1, 1, 2}},
      {"g.bf16", GgmlType::kBF16, {7}},
      {"h.i32", GgmlType::kI32, {2, 2}},
  };
  GgufWriter w;
  ASSERT_TRUE(w.SetVersion(version).ok());
  w.SetString("general.architecture", "test");
  if (alignment != 32) w.SetU32("general.alignment", alignment);
  SetAllValueTypes(&w);
  for (const auto& s : specs) ASSERT_TRUE(w.AddTensor(s.name, s.type, s.ne).ok()) << s.name;
  std::vector<uint8_t> buf;
  ASSERT_TRUE(w.BeginInMemory(&buf).ok());
  std::vector<std::vector<uint8_t>> datas;
  uint32_t seed = 1;
  for (const auto& s : specs) {
    uint64_t n = 1;
    for (auto d : s.ne) n *= static_cast<uint64_t>(d);
    const uint64_t bytes = *GgmlRowBytes(s.type, static_cast<uint64_t>(s.ne[0])) * (n / s.ne[0]);
    datas.push_back(PatternBytes(bytes, seed++));
    // Stream in uneven pieces to exercise partial writes.
    uint64_t done = 0, piece = 1;
    while (done < bytes) {
      const uint64_t k = std::min(piece, bytes - done);
      ASSERT_TRUE(w.Write(datas.back().data() + done, k).ok());
      done += k;
      piece = piece * 3 + 1;
    }
  }
  EXPECT_EQ(w.NextTensorName(), "");
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_EQ(buf.size(), w.file_size_bytes());

  auto f = GgufFile::Parse(buf.data(), buf.size(), "roundtrip");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->version(), version);
  EXPECT_EQ((*f)->alignment(), alignment);
  EXPECT_EQ((*f)->data_offset() % alignment, 0u);
  EXPECT_EQ((*f)->data_offset(), w.data_offset());
  ExpectAllValueTypes(**f);
  ASSERT_EQ((*f)->tensors().size(), specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const GgufTensorInfo& t = (*f)->tensors()[i];
    EXPECT_EQ(t.name, specs[i].name);
    EXPECT_EQ(t.type, specs[i].type);
    ASSERT_EQ(t.n_dims, specs[i].ne.size());
    for (size_t d = 0; d < specs[i].ne.size(); ++d) EXPECT_EQ(t.ne[d], specs[i].ne[d]);
    EXPECT_EQ(t.offset % alignment, 0u);
    ASSERT_EQ(t.n_bytes, datas[i].size());
    EXPECT_EQ(std::memcmp(t.data, datas[i].data(), t.n_bytes), 0) << t.name;
  }
  // Padding bytes are zero, so the file is deterministic.
  const auto& last = (*f)->tensors().back();
  for (uint64_t p = (*f)->data_offset() + last.offset + last.n_bytes; p < buf.size(); ++p) {
    EXPECT_EQ(buf[p], 0) << p;
  }
}

INSTANTIATE_TEST_SUITE_P(VersionsAndAlignments, GgufRoundTrip,
                         ::testing::Combine(::testing::Values(2u, 3u), ::testing::Values(1u, 8u, 32u, 64u, 4096u)));

TEST(GgufWriter, FileOutputMatchesMemoryOutputAndSetReplacesInPlace) {
  TempDir dir;
  auto build = [](GgufWriter* w) {
    w->SetString("general.architecture", "x");
    w->SetU32("x.count", 1);
    w->SetU32("x.count", 2);  // replaces, keeps position
    ASSERT_TRUE(w->AddTensor("t", GgmlType::kF32, {4}).ok());
  };
  const float data[4] = {1, 2, 3, 4};
  GgufWriter a, b;
  build(&a);
  build(&b);
  std::vector<uint8_t> mem;
  ASSERT_TRUE(a.BeginInMemory(&mem).ok());
  ASSERT_TRUE(a.WriteTensor("t", data, sizeof(data)).ok());
  ASSERT_TRUE(a.Finish().ok());
  const std::string path = dir.File("out.gguf");
  ASSERT_TRUE(b.Begin(path).ok());
  ASSERT_TRUE(b.WriteTensor("t", data, sizeof(data)).ok());
  ASSERT_TRUE(b.Finish().ok());
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> disk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(disk, mem);
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ((*f)->metadata().size(), 2u);
  EXPECT_EQ((*f)->metadata()[1].key, "x.count");
  EXPECT_EQ((*f)->GetU32("x.count").value_or(0), 2u);
}

TEST(GgufWriter, MisuseIsReportedNotWritten) {
  GgufWriter w;
  EXPECT_FALSE(w.SetVersion(1).ok());
  EXPECT_NE(w.AddTensor("bad_rows", GgmlType::kQ4_0, {33}).message().find("not a multiple of the Q4_0 block size 32"),
            std::string::npos);
  EXPECT_FALSE(w.AddTensor("zero_dim", GgmlType::kF32, {4, 0}).ok());
  EXPECT_FALSE(w.AddTensor("five_dims", GgmlType::kF32, {1, 1, 1, 1, 1}).ok());
  EXPECT_FALSE(w.AddTensor("no_dims", GgmlType::kF32, std::span<const int64_t>()).ok());
  EXPECT_FALSE(w.AddTensor(std::string(64, 'n'), GgmlType::kF32, {1}).ok());
  EXPECT_FALSE(w.AddTensor("overflow", GgmlType::kF32, {1ll << 40, 1ll << 40}).ok());
  EXPECT_FALSE(w.SetArray("nested", GgufValueType::kArray, nullptr, 0).ok());
  const uint8_t not_bool[] = {2};
  EXPECT_FALSE(w.SetArray("bools", GgufValueType::kBool, not_bool, 1).ok());
  ASSERT_TRUE(w.AddTensor("a", GgmlType::kF32, {2}).ok());
  EXPECT_NE(w.AddTensor("a", GgmlType::kF32, {2}).message().find("declared twice"), std::string::npos);
  ASSERT_TRUE(w.AddTensor("b", GgmlType::kF32, {2}).ok());
  std::vector<uint8_t> buf;
  ASSERT_TRUE(w.BeginInMemory(&buf).ok());
  const float v[4] = {1, 2, 3, 4};
  EXPECT_NE(w.WriteTensor("b", v, 8).message().find("out of order"), std::string::npos);
  EXPECT_NE(w.Write(v, 12).message().find("runs past the end of tensor 'a'"), std::string::npos);
  EXPECT_NE(w.WriteTensor("a", v, 12).message().find("has 8 bytes, 12 given"), std::string::npos);
  ASSERT_TRUE(w.Write(v, 4).ok());
  EXPECT_NE(w.Finish().message().find("tensor 'a' incomplete (4 of 8 bytes written; 2 tensors left)"),
            std::string::npos);
  ASSERT_TRUE(w.Write(v + 1, 4).ok());
  ASSERT_TRUE(w.WriteTensor("b", v, 8).ok());
  EXPECT_NE(w.Write(v, 4).message().find("after all 2 tensors were complete"), std::string::npos);
  EXPECT_TRUE(w.Finish().ok());
  EXPECT_TRUE(GgufFile::Parse(buf.data(), buf.size(), "m").ok());
}

TEST(GgufWriter, BadAlignmentKeyIsRejectedAtBegin) {
  std::vector<uint8_t> buf;
  GgufWriter a;
  a.SetU32("general.alignment", 24);
  EXPECT_NE(a.BeginInMemory(&buf).message().find("power of two"), std::string::npos);
  GgufWriter b;
  b.SetU64("general.alignment", 32);
  EXPECT_NE(b.BeginInMemory(&buf).message().find("has type u64, expected u32"), std::string::npos);
}

TEST(GgufWriter, UnfinishedFileIsRemoved) {
  TempDir dir;
  const std::string path = dir.File("partial.gguf");
  {
    GgufWriter w;
    ASSERT_TRUE(w.AddTensor("a", GgmlType::kF32, {1024}).ok());
    ASSERT_TRUE(w.Begin(path).ok());
    const float x = 0;
    ASSERT_TRUE(w.Write(&x, 4).ok());
    // Until Finish() the data lives under a name that says it is incomplete, so a process
    // killed here never leaves a truncated file under the final name.
    EXPECT_FALSE(std::filesystem::exists(path));
    EXPECT_TRUE(std::filesystem::exists(path + ".partial"));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
}

TEST(GgufWriter, FinishRenamesThePartialFile) {
  TempDir dir;
  const std::string path = dir.File("done.gguf");
  GgufWriter w;
  ASSERT_TRUE(w.AddTensor("a", GgmlType::kF32, {4}).ok());
  ASSERT_TRUE(w.Begin(path).ok());
  const float x[4] = {1, 2, 3, 4};
  ASSERT_TRUE(w.Write(x, sizeof x).ok());
  ASSERT_TRUE(w.Finish().ok());
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_FALSE(std::filesystem::exists(path + ".partial"));
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->tensors().size(), 1u);
}

TEST(GgufWriter, CannotCreateInMissingDirectory) {
  GgufWriter w;
  const Status st = w.Begin("/nonexistent/dir/out.gguf");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/dir/out.gguf"), std::string::npos);
}

// Copies every key and tensor of a real file and checks the copy key for key, byte for byte.
void CopyAndCompare(const std::string& src_path, const std::string& dst_path) {
  auto src = GgufFile::Open(src_path);
  ASSERT_TRUE(src.ok()) << src.status().ToString();
  GgufWriter w;
  for (const auto& kv : (*src)->metadata()) w.CopyKeyValue(kv);
  for (const auto& t : (*src)->tensors()) {
    ASSERT_TRUE(w.AddTensor(t.name, t.type, std::span<const int64_t>(t.ne, t.n_dims)).ok());
  }
  ASSERT_TRUE(w.Begin(dst_path).ok());
  for (const auto& t : (*src)->tensors()) ASSERT_TRUE(w.WriteTensor(t.name, t.data, t.n_bytes).ok());
  ASSERT_TRUE(w.Finish().ok());
  auto dst = GgufFile::Open(dst_path);
  ASSERT_TRUE(dst.ok()) << dst.status().ToString();
  ASSERT_EQ((*dst)->metadata().size(), (*src)->metadata().size());
  for (size_t i = 0; i < (*src)->metadata().size(); ++i) {
    EXPECT_TRUE(SameValue((*src)->metadata()[i], (*dst)->metadata()[i]));
  }
  ASSERT_EQ((*dst)->tensors().size(), (*src)->tensors().size());
  for (size_t i = 0; i < (*src)->tensors().size(); ++i) {
    const auto& a = (*src)->tensors()[i];
    const auto& b = (*dst)->tensors()[i];
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.n_dims, b.n_dims);
    EXPECT_EQ(std::memcmp(a.ne, b.ne, sizeof(a.ne)), 0);
    // llama.cpp's writer lays tensors out exactly as this one does.
    EXPECT_EQ(a.offset, b.offset) << a.name;
    ASSERT_EQ(a.n_bytes, b.n_bytes);
    EXPECT_EQ(std::memcmp(a.data, b.data, a.n_bytes), 0) << a.name;
  }
  EXPECT_EQ((*dst)->file_size(), (*src)->file_size());
}

TEST(GgufWriter, CopyOfSharedFixturesReproducesMetadataAndTensorBytes) {
  const std::string shared = EDGELM_SHARED_DIR;
  const std::vector<std::string> files = {
      shared + "/fixtures/reference/ref-qwen2/ref-qwen2-Q4_K_S.gguf",
      shared + "/fixtures/reference/ref-llama-gqa-tied/ref-llama-gqa-tied-F16.gguf",
      shared + "/models/stories260K/stories260K-q4_k_m.gguf",
  };
  if (!std::filesystem::exists(files[0])) GTEST_SKIP() << files[0] << " absent";
  TempDir dir;
  for (size_t i = 0; i < files.size(); ++i) {
    SCOPED_TRACE(files[i]);
    CopyAndCompare(files[i], dir.File("copy" + std::to_string(i) + ".gguf"));
  }
}

}  // namespace
}  // namespace edgelm
