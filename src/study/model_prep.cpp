#include "study/model_prep.h"

#include <unistd.h>

#include <filesystem>
#include <map>
#include <thread>

#include "gguf/gguf_reader.h"
#include "gguf/gguf_writer.h"
#include "kernels/quantize.h"
#include "model/quantize_model.h"
#include "synth/synth.h"

namespace edgelm::study {
namespace {

namespace fs = std::filesystem;

// The synthesized file's vocabulary: synth's built-in byte-level vocabulary plus a few
// merges (and their merged tokens in place of padding tokens). The engine's byte-level
// BPE tokenizer refuses a gpt2 vocabulary without merges, and the study's request test
// tokenizes a prompt; the weights are random, so which merges does not matter, only
// that the vocabulary is a valid, loadable BPE.
Result<VocabMetadata> StudyVocab(uint32_t n_vocab) {
  EDGELM_ASSIGN_OR_RETURN(VocabMetadata v, BuiltinByteVocab(n_vocab));
  static const char* kMerges[][2] = {{"\xC4\xA0", "t"}, {"h", "e"}, {"i", "n"}, {"\xC4\xA0", "a"}, {"e", "r"},
                                     {"o", "n"}, {"\xC4\xA0", "s"}, {"r", "e"}};
  // The first padding token follows <unk>, <s>, </s> and the 256 bytes.
  size_t id = 259;
  for (const auto& m : kMerges) {
    if (id >= v.tokens.size()) break;
    v.tokens[id] = std::string(m[0]) + m[1];
    if (id < v.token_types.size()) v.token_types[id] = 1;  // normal
    v.merges.push_back(std::string(m[0]) + " " + m[1]);
    ++id;
  }
  return v;
}


std::string TempName(const std::string& path) { return path + ".partial-" + std::to_string(::getpid()); }

Status Commit(const std::string& tmp, const std::string& path) {
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return IoError("cannot rename '" + tmp + "' to '" + path + "': " + ec.message());
  return Status::Ok();
}

}  // namespace

Result<FileWeights> DescribeWeights(const std::string& path) {
  EDGELM_ASSIGN_OR_RETURN(auto file, GgufFile::Open(path));
  uint64_t bytes = 0, elements = 0;
  std::map<GgmlType, uint64_t> matrix_elements;
  for (const auto& t : file->tensors()) {
    bytes += t.n_bytes;
    elements += t.n_elements;
    if (t.n_dims >= 2) matrix_elements[t.type] += t.n_elements;
  }
  if (elements == 0) return CorruptError("'" + path + "' has no tensor elements (not a model file?)");
  FileWeights w;
  w.bits_per_weight = double(bytes) * 8 / double(elements);
  uint64_t best = 0;
  for (const auto& [type, n] : matrix_elements) {
    if (n > best) {
      best = n;
      w.weight_type = GgmlTypeName(type);
    }
  }
  return w;
}

Status RequantizeFile(const std::string& src, const std::string& dst, const std::string& type, int n_threads) {
  EDGELM_ASSIGN_OR_RETURN(QuantizeTarget target, ParseQuantizeTarget(type));
  const std::string tmp = TempName(dst);
  auto r = QuantizeModelFile(src, tmp, target, n_threads);
  if (!r.ok()) {
    std::error_code ec;
    fs::remove(tmp, ec);
    return r.status();
  }
  return Commit(tmp, dst);
}

Result<std::vector<PreparedModel>> PrepareModels(const StudyConfig& c, const std::function<void(const std::string&)>& log,
                                                 const std::atomic<bool>* interrupt) {
  EDGELM_ASSIGN_OR_RETURN(const std::string cache, CacheDir(c));
  std::error_code ec;
  fs::create_directories(cache, ec);
  if (ec) return IoError("cannot create the cache directory '" + cache + "': " + ec.message());
  std::vector<GgmlType> types;
  for (const auto& name : c.weight_types) {
    // Quantization targets (also the Q4_K_M-style mixes, for files); synthesis writes
    // the target's base type.
    auto target = ParseQuantizeTarget(name);
    if (!target.ok()) {
      return InvalidArgumentError("study: weight type '" + name + "': " + target.status().message());
    }
    types.push_back(target->base);
  }
  std::vector<PreparedModel> out;
  auto add = [&](const std::string& path, const std::string& label, const std::string& origin, bool quality) -> Status {
    if (path.find('\'') != std::string::npos) {
      return InvalidArgumentError("study: model path '" + path + "' contains a single quote (hook commands get paths "
                                  "in single quotes): rename the file");
    }
    EDGELM_ASSIGN_OR_RETURN(auto w, DescribeWeights(path));
    out.push_back({path, label + (label.find(w.weight_type) == std::string::npos ? " " + w.weight_type : ""), origin,
                   w.weight_type, w.bits_per_weight, quality});
    return Status::Ok();
  };
  for (const auto& m : c.models) {
    if (interrupt && interrupt->load()) return CancelledError("study interrupted while preparing models");
    if (m.rfind("synth:", 0) == 0) {
      const std::string preset_name = m.substr(6);
      EDGELM_ASSIGN_OR_RETURN(const SynthPreset* preset, FindSynthPreset(preset_name));
      for (GgmlType t : types.empty() ? std::vector<GgmlType>{GgmlType::kF16} : types) {
        const std::string path = (fs::path(cache) / (preset_name + "-" + GgmlTypeName(t) + ".gguf")).string();
        if (!fs::exists(path)) {
          log("synthesizing " + preset_name + " at " + GgmlTypeName(t) + " into " + path);
          SynthOptions so;
          so.shape = preset->shape;
          so.preset = preset->name;
          so.type = t;
          EDGELM_ASSIGN_OR_RETURN(so.vocab, StudyVocab(preset->shape.n_vocab));
          const std::string tmp = TempName(path);
          auto r = SynthesizeModel(so, tmp);
          if (!r.ok()) {
            fs::remove(tmp, ec);
            return r.status().WithContext("synthesizing " + m);
          }
          EDGELM_RETURN_IF_ERROR(Commit(tmp, path));
        }
        EDGELM_RETURN_IF_ERROR(add(path, preset_name, m, false));
      }
      continue;
    }
    if (!fs::is_regular_file(m)) {
      return NotFoundError("study: model '" + m + "' is neither \"synth:PRESET\" nor an existing file");
    }
    if (types.empty()) {
      EDGELM_RETURN_IF_ERROR(add(m, fs::path(m).stem().string(), m, false));
      continue;
    }
    for (const std::string& t : c.weight_types) {
      const std::string path = (fs::path(cache) / (fs::path(m).stem().string() + "-requant-" + t + ".gguf")).string();
      if (!fs::exists(path) || fs::last_write_time(path, ec) < fs::last_write_time(m, ec)) {
        log("re-quantizing " + m + " to " + t + " into " + path);
        Status st = RequantizeFile(m, path, t, std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
        if (!st.ok()) return st.WithContext("re-quantizing " + m);
      }
      EDGELM_RETURN_IF_ERROR(add(path, fs::path(m).stem().string(), m, false));
    }
  }
  for (const auto& q : c.quality_models) {
    if (!fs::is_regular_file(q)) return NotFoundError("study: quality model '" + q + "' does not exist");
    EDGELM_RETURN_IF_ERROR(add(q, fs::path(q).stem().string(), q, true));
  }
  return out;
}

}  // namespace edgelm::study
