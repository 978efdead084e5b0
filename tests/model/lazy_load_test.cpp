// Loading a model maps its weights without reading them (LoadOptions::prefault off by
// default): a small fraction of the file's mapping is resident after load, the weights
// once a forward pass has used them. With prefault on, load touches them all.
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

// Resident bytes of this process's mappings of `path` (the "Rss:" lines of its
// /proc/self/smaps entries): the weight pages the process has read, whatever the
// allocator (or a sanitizer's shadow memory) does elsewhere.
uint64_t MappedResidentBytes(const std::string& path) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in_file = false;
  uint64_t total_kb = 0;
  while (std::getline(smaps, line)) {
    if (line.rfind("Rss:", 0) == 0) {
      if (in_file) total_kb += std::stoull(line.substr(4));
      continue;
    }
    // A mapping's header, "start-end perms offset dev inode [path]", has its '-' before
    // the first space; a field line is "Name:  value".
    const size_t space = line.find(' ');
    if (space != std::string::npos && line.find('-') < space) {
      const size_t slash = line.find('/');
      in_file = slash != std::string::npos && line.substr(slash) == path;
    }
  }
  return total_kb * 1024;
}

class LazyLoadTest : public testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists("/proc/self/smaps")) GTEST_SKIP() << "needs /proc/self/smaps (Linux)";
    const std::string vocab = std::string(EDGELM_SHARED_DIR) + "/models/vocab/ggml-vocab-llama-spm.gguf";
    if (!fs::exists(vocab)) GTEST_SKIP() << "needs " << vocab << " (the shared directory) for a loadable vocabulary";
    auto source = GgufFile::Open(vocab);
    ASSERT_TRUE(source.ok()) << source.status().ToString();
    vocab_ = std::move(source).value();
    dir_ = fs::path(testing::TempDir()) / ("lazy_load_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    path_ = (fs::canonical(dir_) / "m.gguf").string();
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
  LoadOptions lo;
  lo.path = path_;
  ASSERT_FALSE(lo.prefault) << "the default load must be lazy";
  auto model = Model::Load(lo);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const uint64_t weights = (*model)->info().weights_bytes;
  ASSERT_GT(weights, 64ull << 20);
  // The header and tokenizer metadata at the start of the file are read; the weights not.
  const uint64_t after_load = MappedResidentBytes(path_);
  EXPECT_LT(after_load, weights / 10) << "load made " << after_load << " bytes of the file resident, of "
                                      << weights << " weight bytes";

  SessionOptions so;
  so.n_ctx = 64;
  so.n_threads = 1;
  auto session = (*model)->NewSession(so);
  ASSERT_TRUE(session.ok()) << session.status().ToString();
  const std::vector<int32_t> prompt = {1, 100, 200, 300};
  ASSERT_TRUE((*session)->Prefill(prompt).ok());
  // Every matrix of every layer (and the output head) has been read once now.
  EXPECT_GT(MappedResidentBytes(path_), weights / 2) << "a forward pass should have faulted the weights in";
}

TEST_F(LazyLoadTest, PrefaultTouchesEveryWeightPageAtLoad) {
  LoadOptions lo;
  lo.path = path_;
  lo.prefault = true;
  auto model = Model::Load(lo);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const uint64_t weights = (*model)->info().weights_bytes;
  EXPECT_GT(MappedResidentBytes(path_), weights * 9 / 10);
}

}  // namespace
}  // namespace edgelm
