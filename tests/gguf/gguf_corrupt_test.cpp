// The corrupt-file matrix: every way a GGUF file can be wrong that the reader must catch,
// each asserting the status code and the part of the message a user needs. The files are
// built in memory from descriptions (raw_gguf.h), deliberately wrong where asked.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "gguf/gguf_reader.h"
#include "raw_gguf.h"

namespace edgelm {
namespace {

using testing::RawGguf;
using testing::RawKv;
using testing::RawTensor;
using testing::Str;
using testing::U32;
using testing::U64;

constexpr uint32_t kStr = 8, kArr = 9, kTU32 = 4, kTU64 = 10, kTBool = 7;

// A valid file: two keys, tensors "a" (F32 [8], 32 bytes) and "b" (F16 [16, 2], 64 bytes).
RawGguf Base() {
  RawGguf g;
  g.kvs = {{"general.architecture", kStr, Str("test")}, {"t.u32", kTU32, U32(7)}};
  g.tensors = {{"a", 0, {8}, 0, {}}, {"b", 1, {16, 2}, 32, {}}};
  g.data_bytes = 96;
  return g;
}

std::string ArrayPayload(uint32_t element_type, uint64_t count, const std::string& elements) {
  return U32(element_type) + U64(count) + elements;
}

Status ParseBytes(const std::vector<uint8_t>& b) {
  auto f = GgufFile::Parse(b.data(), b.size(), "bad.gguf");
  return f.ok() ? Status::Ok() : f.status();
}

struct Case {
  const char* name;
  std::function<std::vector<uint8_t>()> make;
  StatusCode code;
  const char* message;  // a substring the error must contain
};

std::vector<uint8_t> Mutated(const std::function<void(RawGguf&)>& edit) {
  RawGguf g = Base();
  edit(g);
  return g.Serialize();
}

std::vector<uint8_t> CutOf(const std::function<void(RawGguf&)>& edit, uint64_t n) {
  auto b = Mutated(edit);
  b.resize(n);
  return b;
}

std::vector<uint8_t> Cut(uint64_t n) {
  auto b = Base().Serialize();
  b.resize(n);
  return b;
}

const Case kCases[] = {
    {"EmptyFile", [] { return std::vector<uint8_t>(); }, StatusCode::kCorrupt, "file has 0 bytes, too short"},
    {"ThreeBytes", [] { return Cut(3); }, StatusCode::kCorrupt, "file has 3 bytes, too short for a GGUF header"},
    {"BadMagic", [] { return Mutated([](RawGguf& g) { g.magic = 0x4c4d5447; }); }, StatusCode::kCorrupt,
     "bad magic at byte 0: expected 'GGUF' (47 47 55 46), found 47 54 4d 4c (not a GGUF file?)"},
    {"Version1", [] { return Mutated([](RawGguf& g) { g.version = 1; }); }, StatusCode::kUnsupported,
     "GGUF version 1 at byte 4 is not supported"},
    {"Version4", [] { return Mutated([](RawGguf& g) { g.version = 4; }); }, StatusCode::kUnsupported,
     "expected 2 or 3, found 4"},
    {"BigEndianVersion", [] { return Mutated([](RawGguf& g) { g.version = 0x03000000; }); },
     StatusCode::kUnsupported, "big-endian"},
    {"TruncatedInVersion", [] { return Cut(6); }, StatusCode::kCorrupt,
     "version at byte 4 needs 4 bytes but only 2 are left"},
    {"TruncatedInTensorCount", [] { return Cut(10); }, StatusCode::kCorrupt,
     "tensor count at byte 8 needs 8 bytes but only 2 are left (file size 10; truncated download?)"},
    {"TruncatedInKvCount", [] { return Cut(20); }, StatusCode::kCorrupt, "key/value count at byte 16 needs 8 bytes"},
    {"HugeKvCount", [] { return Mutated([](RawGguf& g) { g.n_kv = 1ull << 60; }); }, StatusCode::kCorrupt,
     "key/value count at byte 16 is 1152921504606846976"},
    {"HugeTensorCount", [] { return Mutated([](RawGguf& g) { g.n_tensors = ~0ull; }); }, StatusCode::kCorrupt,
     "tensor count at byte 8 is 18446744073709551615"},
    {"TensorCountBeyondTable", [] { return Mutated([](RawGguf& g) { g.n_tensors = 5; g.data_bytes = 0; }); },
     StatusCode::kCorrupt,
     "tensor count 5 but the 103 bytes left after the metadata (at byte 89) hold at most 3 tensor infos"},
    {"KvCountCappedByBytesLeft", [] { return Cut(28); }, StatusCode::kCorrupt,
     "key/value count at byte 16 is 2 but the 4 bytes left hold at most 0 key/values"},
    {"TruncatedInKey", [] { return CutOf([](RawGguf& g) { g.n_kv = 1; g.n_tensors = 0; }, 40); },
     StatusCode::kCorrupt, "key of key/value #0 at byte 24 has length 20 but only 8 bytes are left"},
    {"HugeStringLength",
     [] { return Mutated([](RawGguf& g) { g.kvs[0].payload = U64(1ull << 50) + "test"; }); }, StatusCode::kCorrupt,
     "has length 1125899906842624 but only"},
    {"TruncatedInValue", [] { return CutOf([](RawGguf& g) { g.n_tensors = 0; }, 66); }, StatusCode::kCorrupt,
     "value of key 'general.architecture' (key/value #0) at byte 56 has length 4 but only 2 bytes are left"},
    {"UnknownValueType", [] { return Mutated([](RawGguf& g) { g.kvs[1].type = 13; }); }, StatusCode::kCorrupt,
     "key 't.u32' (key/value #1) at byte 81: unknown value type 13 (expected 0..12"},
    {"DuplicateKey",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"t.u32", kTU32, U32(8)}); }); }, StatusCode::kCorrupt,
     "duplicate key 't.u32' at byte 89 (key/value #2; first defined as #1"},
    {"BoolNotZeroOrOne",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"t.b", kTBool, std::string(1, '\x02')}); }); },
     StatusCode::kCorrupt, "bool must be 0 or 1, found 2"},
    {"NestedArray",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"t.nest", kArr, ArrayPayload(kArr, 1, ArrayPayload(kTU32, 1, U32(1)))}); }); },
     StatusCode::kUnsupported, "value of key 't.nest' (key/value #2) at byte 107: nested arrays"},
    {"UnknownArrayElementType",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"t.arr", kArr, ArrayPayload(99, 1, U32(1))}); }); },
     StatusCode::kCorrupt, "unknown array element type 99"},
    {"HugeNumericArrayCount",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"t.arr", kArr, ArrayPayload(kTU64, 1ull << 61, U64(1))}); }); },
     StatusCode::kCorrupt, "array of 2305843009213693952 u64 needs more than 2^64 bytes"},
    {"NumericArrayPastEnd",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"t.arr", kArr, ArrayPayload(kTU32, 1000, U32(1))}); }); },
     StatusCode::kCorrupt, "array of 1000 u32 needs 4000 bytes but only"},
    {"HugeStringArrayCount",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"t.arr", kArr, ArrayPayload(kStr, 1ull << 40, Str("x"))}); }); },
     StatusCode::kCorrupt, "array of 1099511627776 strings needs at least"},
    {"StringArrayElementPastEnd",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"t.arr", kArr, ArrayPayload(kStr, 2, Str("x") + U64(1u << 20))}); }); },
     StatusCode::kCorrupt, "value of key 't.arr' (key/value #2)[1] at byte"},
    {"BoolArrayBadElement",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"t.arr", kArr, ArrayPayload(kTBool, 3, std::string("\x01\x00\x05", 3))}); }); },
     StatusCode::kCorrupt, "[2] at byte"},
    {"AlignmentNotPowerOfTwo",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"general.alignment", kTU32, U32(48)}); }); },
     StatusCode::kCorrupt, "key 'general.alignment' is 48, expected a power of two"},
    {"AlignmentZero",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"general.alignment", kTU32, U32(0)}); }); },
     StatusCode::kCorrupt, "key 'general.alignment' is 0, expected a power of two"},
    {"AlignmentWrongType",
     [] { return Mutated([](RawGguf& g) { g.kvs.push_back({"general.alignment", kTU64, U64(32)}); }); },
     StatusCode::kCorrupt, "key 'general.alignment' has type u64, expected u32"},
    {"TensorCountCappedByBytesLeft", [] { return Cut(93); }, StatusCode::kCorrupt,
     "tensor count 2 but the 4 bytes left after the metadata (at byte 89) hold at most 0 tensor infos"},
    {"TruncatedInTensorName",
     [] { return CutOf([](RawGguf& g) { g.n_tensors = 1; g.tensors[0].name = std::string(40, 'n'); }, 127); },
     StatusCode::kCorrupt, "name of tensor info #0 at byte 89 has length 40 but only 30 bytes are left"},
    {"TruncatedInTensorDims",
     [] { return CutOf([](RawGguf& g) { g.n_tensors = 1; g.tensors[0].name = std::string(20, 'n'); }, 125); },
     StatusCode::kCorrupt, "ne[0] of tensor 'nnnnnnnnnnnnnnnnnnnn' (tensor info #0) at byte 121 needs 8 bytes but only 4"},
    {"TruncatedInTensorOffset", [] { return Cut(160); }, StatusCode::kCorrupt,
     "offset of tensor 'b' (tensor info #1) at byte 155 needs 8 bytes"},
    {"ZeroDims", [] { return Mutated([](RawGguf& g) { g.tensors[0].n_dims = 0; }); }, StatusCode::kCorrupt,
     "tensor 'a' (tensor info #0) at byte 98: n_dims is 0, expected 1..4"},
    {"FiveDims",
     [] { return Mutated([](RawGguf& g) { g.tensors[1].ne = {16, 2, 1, 1, 1}; }); }, StatusCode::kCorrupt,
     "tensor 'b' (tensor info #1) at byte 131: n_dims is 5, expected 1..4"},
    {"ZeroDim", [] { return Mutated([](RawGguf& g) { g.tensors[1].ne = {16, 0}; }); }, StatusCode::kCorrupt,
     "tensor 'b' (tensor info #1) at byte 143: ne[1] is 0, expected 1..2^63-1"},
    {"DimAboveInt64", [] { return Mutated([](RawGguf& g) { g.tensors[0].ne = {1ull << 63}; }); },
     StatusCode::kCorrupt, "ne[0] is 9223372036854775808"},
    {"ElementCountOverflow",
     [] { return Mutated([](RawGguf& g) { g.tensors[1].ne = {1ull << 32, 1ull << 32}; }); }, StatusCode::kCorrupt,
     "element count overflows 2^63 (shape [4294967296, 4294967296]"},
    {"ByteSizeOverflow", [] { return Mutated([](RawGguf& g) { g.tensors[0].ne = {1ull << 62}; }); },
     StatusCode::kCorrupt, "byte size of shape [4611686018427387904] overflows 2^64"},
    {"UnknownTensorTypeRemovedQ4_2", [] { return Mutated([](RawGguf& g) { g.tensors[1].type = 4; }); },
     StatusCode::kUnsupported, "tensor 'b' (tensor info #1) at byte 151: unknown ggml type id 4"},
    {"UnknownTensorTypeLarge", [] { return Mutated([](RawGguf& g) { g.tensors[0].type = 1000; }); },
     StatusCode::kUnsupported, "tensor 'a' (tensor info #0) at byte 110: unknown ggml type id 1000"},
    {"RowNotBlockMultiple",
     [] { return Mutated([](RawGguf& g) { g.tensors[1].type = 2; g.tensors[1].ne = {48, 1}; }); },
     StatusCode::kCorrupt, "tensor 'b' (tensor info #1): row length ne[0] = 48 is not a multiple of the Q4_0 block size 32"},
    {"MisalignedOffset", [] { return Mutated([](RawGguf& g) { g.tensors[1].offset = 40; }); },
     StatusCode::kCorrupt, "data offset 40 is not a multiple of the alignment 32"},
    {"MisalignedForCustomAlignment",
     [] {
       return Mutated([](RawGguf& g) {
         g.kvs.push_back({"general.alignment", kTU32, U32(64)});
         g.pad_to = 64;
       });
     },
     StatusCode::kCorrupt, "data offset 32 is not a multiple of the alignment 64"},
    {"OverlappingTensors",
     [] { return Mutated([](RawGguf& g) { g.tensors[1].ne = {16, 4}; g.tensors[0].offset = 64; g.data_bytes = 160; }); },
     StatusCode::kCorrupt, "tensor 'a' at data offset 64 overlaps tensor 'b' which spans data offsets 32..160"},
    {"SameOffsetTwice", [] { return Mutated([](RawGguf& g) { g.tensors[1].offset = 0; }); },
     StatusCode::kCorrupt, "overlaps tensor"},
    {"DataPastEnd", [] { return Mutated([](RawGguf& g) { g.data_bytes = 95; }); }, StatusCode::kCorrupt,
     "tensor 'b' (F16 [16, 2], 64 bytes at data offset 32) ends at byte 288 but the file has 287 bytes "
     "(truncated download?)"},
    {"OffsetOverflow", [] { return Mutated([](RawGguf& g) { g.tensors[1].offset = ~0ull - 31; }); },
     StatusCode::kCorrupt, "ends at byte beyond 2^64"},
    {"DataSectionMissing", [] { return Mutated([](RawGguf& g) { g.data_bytes = 0; g.pad_to = 1; }); },
     StatusCode::kCorrupt, "tensor data section should start at byte 192"},
    {"DuplicateTensorName", [] { return Mutated([](RawGguf& g) { g.tensors[1].name = "a"; }); },
     StatusCode::kCorrupt, "duplicate tensor name 'a' at byte 122 (tensor info #1; first defined as #0"},
};

class GgufCorrupt : public ::testing::TestWithParam<Case> {};

TEST_P(GgufCorrupt, RejectedWithCodeAndMessage) {
  const Case& c = GetParam();
  const std::vector<uint8_t> bytes = c.make();
  const Status st = ParseBytes(bytes);
  ASSERT_FALSE(st.ok()) << c.name << " parsed";
  EXPECT_EQ(st.code(), c.code) << st.ToString();
  EXPECT_NE(st.message().find(c.message), std::string::npos)
      << "expected substring: " << c.message << "\nactual: " << st.message();
  EXPECT_EQ(st.message().rfind("bad.gguf: ", 0), 0u) << "message must start with the file name";
}

INSTANTIATE_TEST_SUITE_P(Matrix, GgufCorrupt, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

TEST(GgufCorruptBase, BaseFileIsValid) {
  const auto bytes = Base().Serialize();
  ASSERT_EQ(bytes.size(), 288u);  // the byte offsets in the matrix assume this layout
  auto f = GgufFile::Parse(bytes.data(), bytes.size(), "base");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->data_offset(), 192u);
  EXPECT_EQ((*f)->tensors()[1].n_bytes, 64u);
  RawGguf v2 = Base();
  v2.version = 2;
  const auto b2 = v2.Serialize();
  EXPECT_TRUE(GgufFile::Parse(b2.data(), b2.size(), "v2").ok());
}

// Cutting the file at every byte must give a kCorrupt error, never a crash or success.
TEST(GgufCorruptBase, TruncatedAtEveryByte) {
  const auto full = Base().Serialize();
  for (size_t n = 0; n < full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
    const Status st = ParseBytes(cut);
    ASSERT_FALSE(st.ok()) << "prefix of " << n << " bytes parsed";
    EXPECT_EQ(st.code(), StatusCode::kCorrupt) << n << ": " << st.ToString();
    const bool says_cause = st.message().find("truncated") != std::string::npos ||
                            st.message().find("too short") != std::string::npos;
    EXPECT_TRUE(says_cause) << n << ": " << st.message();
  }
}

// A vocab-only file (no tensors) may end right after its metadata, as llama.cpp writes them.
TEST(GgufCorruptBase, NoTensorsNeedNoDataSection) {
  RawGguf g = Base();
  g.tensors.clear();
  g.data_bytes = 0;
  g.pad_to = 1;
  const auto b = g.Serialize();
  auto f = GgufFile::Parse(b.data(), b.size(), "vocab");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_TRUE((*f)->tensors().empty());
}

// Little-endian bytes for the hand-made hostile headers below.
struct Bytes {
  std::vector<uint8_t> b;
  Bytes& U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes& U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
    return *this;
  }
  Bytes& Str(const std::string& s) {
    U64(s.size());
    b.insert(b.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& Zeros(size_t n) {
    b.insert(b.end(), n, 0);
    return *this;
  }
};

Bytes Header(uint64_t n_tensors, uint64_t n_kv) {
  Bytes x;
  x.b = {'G', 'G', 'U', 'F'};
  x.U32(3).U64(n_tensors).U64(n_kv);
  return x;
}

// One input per classic GGUF-reader bug class, each a whole file.
std::vector<std::pair<std::string, std::vector<uint8_t>>> HandMadeRegressions() {
  return {
      // A string array whose count times the string size overflows 64 bits.
      {"string-array-count-overflow",
       Header(0, 1).Str("tokenizer.ggml.tokens").U32(9).U32(8).U64(0x2000000000000001ull).Str("a").Str("b").b},
      // n_dims = 2^32 - 1 used to index a 4-element shape.
      {"n-dims-huge", Header(1, 0).Str("t").U32(0xFFFFFFFFu).U64(1).U64(1).U64(1).U64(1).U32(1).U64(0).Zeros(72).b},
      // A type id far outside the type table.
      {"type-id-out-of-table", Header(1, 0).Str("t").U32(1).U64(4).U32(0x7FFFFFFFu).U64(0).Zeros(64).b},
      // offset + size wrapping past 2^64.
      {"offset-size-wraparound",
       Header(1, 0).Str("t").U32(1).U64(64).U32(0).U64(0xFFFFFFFFFFFFFF80ull).Zeros(320).b},
  };
}

// Inputs that once crashed a parser: the hand-made ones above, and any crash input
// scripts/fuzz.sh found (tests/gguf/regressions/*.bin). Each must now be an error.
TEST(GgufRegressions, EveryRegressionInputIsAnError) {
  int n = 0;
  for (const auto& [name, bytes] : HandMadeRegressions()) {
    EXPECT_FALSE(ParseBytes(bytes).ok()) << name;
    ++n;
  }
  const std::filesystem::path dir = std::filesystem::path(EDGELM_SOURCE_DIR) / "tests/gguf/regressions";
  if (std::filesystem::exists(dir)) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() != ".bin") continue;
      std::ifstream in(e.path(), std::ios::binary);
      const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      EXPECT_FALSE(ParseBytes(bytes).ok()) << e.path();
      ++n;
    }
  }
  EXPECT_GE(n, 4);
}

}  // namespace
}  // namespace edgelm
