// Loading a model maps its weights without reading them (LoadOptions::prefault off by
// default): the resident set grows by a small fraction of the weight bytes at load, and
// by the weights once a forward pass has used them. With prefault on, load touches them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "edgelm/engine.h"
#include "gguf/gguf_reader.h"
#include "synth/synth.h"

namespace edgelm {
namespace {

namespace fs = std::filesystem;

// Resident pages of this process, from /proc/self/statm (second field), in bytes.
uint64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  statm >> size_pages >> resident_pages;
  return resident_pages * 4096;
}

class LazyLoadTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/proc/self/statm")) GTEST_SKIP() << "needs /proc/self/statm (Linux)";
    const std::string vocab = std::string(EDGELM_SHARED_DIR) + "/models/vocab/ggml-vocab-llama-spm.gguf";
    if (!fs::exists(vocab)) GTEST_SKIP() << "needs " << vocab << " (the shared directory) for a loadable vocabulary";
    auto source = GgufFile::Open(vocab);
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    vocab_ = std::move(source).value();
    dir_ = fs::path(testing::TempDir()) / ("lazy_load_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (dir_ / "m.gguf").string();
    SynthOptions o;
    o.shape.arch = "llama";
    o.shape.name = "lazy";
    o.shape.n_embd = 768;
    o.shape.n_layer = 2;
    o.shape.n_head = 12;
    o.shape.n_head_kv = 4;
    o.shape.n_ff = 2048;
    o.shape.n_vocab = 32000;
    o.shape.n_ctx = 256;
    o.type = GgmlType::kF16;  // ~120 MB of weights, no quantization to slow the test down
    o.vocab_source = vocab_.get();
    auto r = SynthesizeModel(o, path_);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }

  std::unique_ptr<GgufFile> vocab_;
  fs::path dir_;
  std::string path_;
};

TEST_F(LazyLoadTest, LoadDoesNotReadTheWeightsAndAForwardPassDoes) {
  const uint64_t before = ResidentBytes();
  LoadOptions lo;
  lo.path = path_;
  ASSERT_FALSE(lo.prefault) << "the default load must be lazy";
  auto model = Model::Load(lo);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const uint64_t weights = (*model)->info().weights_bytes;
  ASSERT_GT(weights, 64ull << 20);
  const uint64_t after_load = ResidentBytes();
  EXPECT_LT(after_load - before, weights / 10)
      << "load made " << (after_load - before) << " bytes resident of " << weights << " weight bytes";

  SessionOptions so;
  so.n_ctx = 64;
  so.n_threads = 1;
  auto session = (*model)->NewSession(so);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  const std::vector<int32_t> prompt = {1, 100, 200, 300};
  ASSERT_TRUE((*session)->Prefill(prompt).ok());
  // Every matrix of every layer (and the output head) has been read once now.
  EXPECT_GT(ResidentBytes() - before, weights / 2)
      << "a forward pass should have faulted the weights in";
}

TEST_F(LazyLoadTest, PrefaultTouchesEveryWeightPageAtLoad) {
  const uint64_t before = ResidentBytes();
  LoadOptions lo;
  lo.path = path_;
  lo.prefault = true;
  auto model = Model::Load(lo);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const uint64_t weights = (*model)->info().weights_bytes;
  EXPECT_GT(ResidentBytes() - before, weights * 9 / 10);
}

}  // namespace
}  // namespace edgelm
