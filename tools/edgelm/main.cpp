// edgelm: the command-line front end. It parses flags, calls the libraries and prints;
// each subcommand lives in its own cmd_*.cpp and registers itself.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <vector>

#include "command_registry.h"
#include "core/build_info.h"
#include "core/cpu_features.h"

namespace edgelm::cli {
namespace {

struct Entry {
  int order;
  CommandFactory factory;
};

std::vector<Entry>& Registry() {
  static std::vector<Entry> entries;
  return entries;
}

std::string VersionText() {
  const BuildInfo& b = GetBuildInfo();
  const CpuFeatures& cpu = DetectCpuFeatures();
  std::string s = std::string("edgelm ") + b.version + " (commit " + b.git_commit + ")\n";
  s += std::string("build: ") + b.build_type + (b.sanitizers ? " +ASan/UBSan" : "") +
       ", " + b.compiler + ", flags '" + b.flags + "', target " + b.target_arch + "\n";
  s += std::string("kernels: best ISA path here ") + IsaName(BestIsa(cpu)) + "; CPU " +
       DescribeCpuFeatures(cpu);
  return s;
}

}  // namespace

CommandRegistration::CommandRegistration(int order, CommandFactory factory) {
  Registry().push_back({order, std::move(factory)});
}

int ReportError(const Status& status) {
  std::fprintf(stderr, "edgelm: error: %s\n", status.ToString().c_str());
  return status.code() == StatusCode::kCancelled ? kExitInterrupted : kExitFailure;
}

int UsageError(const std::string& message) {
  std::fprintf(stderr, "edgelm: error: %s\nRun with --help for usage.\n", message.c_str());
  return kExitUsage;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "edgelm: measure whether and how well a language model runs on this device\n"
      "(speed, memory, energy, quality and cost, with its own GGUF inference engine)"};
  app.set_version_flag("--version", VersionText());
  app.require_subcommand(1);
  app.fallthrough(false);

  auto& entries = Registry();
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.order < b.order; });
  std::vector<std::pair<CLI::App*, CommandRunner>> commands;
  for (auto& e : entries) {
    size_t before = app.get_subcommands({}).size();
    CommandRunner run = e.factory(app);
    auto subs = app.get_subcommands({});
    if (subs.size() > before) commands.emplace_back(subs.back(), std::move(run));
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and a hint
    return kExitUsage;
  }
  for (auto& [sub, run] : commands) {
    if (sub->parsed()) return run();
  }
  return UsageError("no subcommand given");
}

}  // namespace edgelm::cli

int main(int argc, char** argv) {
  try {
    return edgelm::cli::Main(argc, argv);
  } catch (const std::exception& e) {
    // Library code reports errors through Status; reaching here is a bug, but the user
    // still gets a message rather than an abort.
    std::fprintf(stderr, "edgelm: error: unexpected exception: %s\n", e.what());
    return edgelm::cli::kExitFailure;
  }
}
