// edgelm inspect FILE [--tensors] [--json]: what a GGUF model file holds.
#include <cstdio>
#include <memory>
#include <string>

#include "command_registry.h"
#include "gguf/gguf_reader.h"
#include "synth/model_info.h"

namespace edgelm::cli {
namespace {

struct InspectOptions {
  std::string path;
  bool tensors = false;
  bool json = false;
};

int RunInspect(const InspectOptions& o) {
  auto file = GgufFile::Open(o.path);
  if (!file.ok()) return ReportError(file.status());
  const GgufSummary info = DescribeModel(**file);
  if (o.json) {
    // Token texts and keys come from the file and need not be valid UTF-8: replace
    // invalid bytes rather than fail.
    const std::string out = ModelInfoJson(info, o.tensors)
                                .dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    std::printf("%s\n", out.c_str());
  } else {
    std::fputs(ModelInfoText(info, o.tensors).c_str(), stdout);
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

CommandRunner AddInspect(CLI::App& root) {
  auto opts = std::make_shared<InspectOptions>();
  CLI::App* sub = root.add_subcommand(
      "inspect", "Show what a GGUF model holds: architecture, file type, parameters, weight types, "
                 "hyperparameters, tokenizer and the KV-cache size per 1,024 tokens of context");
  sub->add_option("file", opts->path, "GGUF model file")->required();
  sub->add_flag("--tensors", opts->tensors, "Also list every tensor (type, shape, bytes, offset)");
  sub->add_flag("--json", opts->json, "Print JSON instead of text");
  return [opts] { return RunInspect(*opts); };
}

}  // namespace

EDGELM_REGISTER_COMMAND(20, AddInspect);

}  // namespace edgelm::cli
