// Subcommands register themselves: each cmd_*.cpp adds its CLI11 subcommand and returns
// the function that runs it, so adding a command touches no shared file.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "core/status.h"

namespace edgelm::cli {

// Exit codes: 0 success, 1 the operation failed (bad file, I/O...), 2 usage error,
// 130 interrupted by Ctrl-C (results already written are kept).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitInterrupted = 130;

using CommandRunner = std::function<int()>;
// Adds a subcommand to `root` and returns what runs it once parsed.
using CommandFactory = std::function<CommandRunner(CLI::App& root)>;

struct CommandRegistration {
  // `order` sorts the help listing (smaller first).
  CommandRegistration(int order, CommandFactory factory);
};

// Prints "edgelm: error: <status>" to stderr and returns the exit code for it
// (2 for invalid-argument errors that are the user's flags, 1 otherwise).
int ReportError(const Status& status);
// Prints "edgelm: error: <message>" and returns kExitUsage.
int UsageError(const std::string& message);

}  // namespace edgelm::cli

#define EDGELM_REGISTER_COMMAND(order, factory) \
  static ::edgelm::cli::CommandRegistration EDGELM_CONCAT(edgelm_command_, __LINE__)(order, factory)
