// libFuzzer target over GgufFile::Parse, the in-memory GGUF parser.
//
// Oracles beyond "no crash, no sanitizer report": every accepted file must have its
// tensor bytes inside the buffer (touched here, so ASan sees any stray pointer), every
// key must format and answer typed look-ups, and a small accepted file copied through
// GgufWriter must parse again with the same keys and tensor bytes.
//
// Seeds: run with EDGELM_FUZZ_WRITE_SEEDS=DIR and the binary writes a few small valid
// GGUF files into DIR and exits (scripts/fuzz.sh does this).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"

namespace edgelm {
namespace {

// Copying through the writer costs O(size); only small inputs get that oracle so the
// fuzzer keeps its speed on the larger seeds.
constexpr uint64_t kMaxRoundTripBytes = 256 * 1024;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "gguf_parse_fuzz: oracle failed: %s\n", what);
  std::abort();
}

void CheckRoundTrip(const GgufFile& f) {
  GgufWriter w;
  if (!w.SetVersion(f.version()).ok()) Fail("parsed a version the writer refuses");
  for (const auto& kv : f.metadata()) w.CopyKeyValue(kv);
  for (const auto& t : f.tensors()) {
    // The writer also enforces ggml's 63-byte name limit, which the reader does not.
    if (!w.AddTensor(t.name, t.type, std::span<const int64_t>(t.ne, t.n_dims)).ok()) return;
  }
  std::vector<uint8_t> out;
  if (!w.BeginInMemory(&out).ok()) Fail("writer refused metadata the reader accepted");
  for (const auto& t : f.tensors()) {
    if (!w.WriteTensor(t.name, t.data, t.n_bytes).ok()) Fail("writer refused tensor bytes");
  }
  if (!w.Finish().ok()) Fail("writer did not finish");
  auto g = GgufFile::Parse(out.data(), out.size(), "roundtrip");
  if (!g.ok()) Fail("re-written file does not parse");
  if ((*g)->metadata().size() != f.metadata().size()) Fail("key count changed");
  if ((*g)->tensors().size() != f.tensors().size()) Fail("tensor count changed");
  for (size_t i = 0; i < f.metadata().size(); ++i) {
    if (f.ValueToString(f.metadata()[i], 1u << 20) != (*g)->ValueToString((*g)->metadata()[i], 1u << 20)) {
      Fail("value changed");
    }
  }
  for (size_t i = 0; i < f.tensors().size(); ++i) {
    const auto& a = f.tensors()[i];
    const auto& b = (*g)->tensors()[i];
    if (a.n_bytes != b.n_bytes || std::memcmp(a.data, b.data, a.n_bytes) != 0) Fail("tensor bytes changed");
  }
}

void Exercise(const GgufFile& f, uint64_t size) {
  volatile uint8_t sink = 0;
  for (const auto& t : f.tensors()) {
    if (t.data < f.file_data() || t.n_bytes == 0) Fail("tensor outside the buffer");
    sink = sink + t.data[0] + t.data[t.n_bytes - 1];
    if (f.FindTensorOrNull(t.name) != &t) Fail("tensor index");
  }
  for (const auto& kv : f.metadata()) {
    (void)f.ValueToString(kv);
    (void)f.GetU32(kv.key);
    (void)f.GetI32(kv.key);
    (void)f.GetU64(kv.key);
    (void)f.GetF32(kv.key);
    (void)f.GetBool(kv.key);
    (void)f.GetString(kv.key);
    if (kv.type == GgufValueType::kArray) {
      auto a = f.GetArray(kv.key, kv.array.element_type);
      if (!a.ok()) Fail("GetArray with the array's own element type");
      if (kv.array.count > 0 && kv.array.element_type != GgufValueType::kString) {
        sink = sink + static_cast<uint8_t>((*a)->IntAt(kv.array.count - 1) & 0xff) +
               ((*a)->FloatAt(0) > 0 ? 1 : 0);
      }
    }
    if (f.FindKeyOrNull(kv.key) != &kv) Fail("key index");
  }
  if (size <= kMaxRoundTripBytes) CheckRoundTrip(f);
}

void WriteSeed(const std::string& dir, const std::string& name, GgufWriter* w,
               const std::vector<std::vector<uint8_t>>& tensor_bytes) {
  std::vector<uint8_t> out;
  if (!w->BeginInMemory(&out).ok()) Fail("seed: begin");
  for (const auto& b : tensor_bytes) {
    if (!w->Write(b.data(), b.size()).ok()) Fail("seed: write");
  }
  if (!w->Finish().ok()) Fail("seed: finish");
  const std::string path = dir + "/" + name;
  std::FILE* fp = std::fopen(path.c_str(), "wb");
  if (fp == nullptr || std::fwrite(out.data(), 1, out.size(), fp) != out.size() || std::fclose(fp) != 0) {
    Fail("seed: cannot write file");
  }
}

void WriteSeeds(const std::string& dir) {
  {
    GgufWriter w;  // header only
    WriteSeed(dir, "seed-empty.gguf", &w, {});
  }
  {
    GgufWriter w;  // every value type, three tensor types
    w.SetString("general.architecture", "llama");
    w.SetU8("s.u8", 1); w.SetI8("s.i8", -1); w.SetU16("s.u16", 2); w.SetI16("s.i16", -2);
    w.SetU32("s.u32", 3); w.SetI32("s.i32", -3); w.SetF32("s.f32", 0.5f); w.SetBool("s.bool", true);
    w.SetU64("s.u64", 4); w.SetI64("s.i64", -4); w.SetF64("s.f64", 0.25);
    const std::vector<std::string> toks = {"<s>", "</s>", "a", "b", "ab"};
    w.SetStringArray("tokenizer.ggml.tokens", toks);
    const std::vector<int32_t> types = {3, 3, 1, 1, 1};
    w.SetI32Array("tokenizer.ggml.token_type", types);
    const std::vector<float> scores = {0, 0, -1, -2, -3};
    w.SetF32Array("tokenizer.ggml.scores", scores);
    const uint8_t bools[] = {1, 0};
    (void)w.SetArray("s.bools", GgufValueType::kBool, bools, 2);
    (void)w.AddTensor("token_embd.weight", GgmlType::kF16, {8, 5});
    (void)w.AddTensor("blk.0.attn_q.weight", GgmlType::kQ8_0, {32, 2});
    (void)w.AddTensor("output_norm.weight", GgmlType::kF32, {8});
    WriteSeed(dir, "seed-all-types.gguf", &w,
              {std::vector<uint8_t>(80, 0x3c), std::vector<uint8_t>(68, 0x11), std::vector<uint8_t>(32, 0)});
  }
  {
    GgufWriter w;  // version 2, custom alignment, k-quant and 3-D tensors
    (void)w.SetVersion(2);
    w.SetU32("general.alignment", 64);
    w.SetString("general.name", "v2");
    (void)w.AddTensor("q4k", GgmlType::kQ4_K, {256, 1});
    (void)w.AddTensor("cube", GgmlType::kBF16, {2, 3, 4});
    WriteSeed(dir, "seed-v2-align64.gguf", &w, {std::vector<uint8_t>(144, 7), std::vector<uint8_t>(48, 9)});
  }
  {
    GgufWriter w;  // vocab-only, merges
    w.SetString("tokenizer.ggml.model", "gpt2");
    const std::vector<std::string> merges = {"a b", "ab c"};
    w.SetStringArray("tokenizer.ggml.merges", merges);
    WriteSeed(dir, "seed-vocab-only.gguf", &w, {});
  }
}

}  // namespace
}  // namespace edgelm

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("EDGELM_FUZZ_WRITE_SEEDS")) {
    edgelm::WriteSeeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto f = edgelm::GgufFile::Parse(data, size, "fuzz");
  if (f.ok()) {
    edgelm::Exercise(**f, size);
  } else if (f.status().message().empty()) {
    edgelm::Fail("error without a message");
  }
  return 0;
}
