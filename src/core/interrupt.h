// Ctrl-C handling for long runs: the first SIGINT/SIGTERM sets a flag that loops check
// between units of work (a chunk, a configuration), so what finished is saved and the
// command exits 130; a second SIGINT terminates at once.
#pragma once

#include <atomic>

namespace edgelm {

// Installs the handler (idempotent) and returns the flag it sets.
const std::atomic<bool>& InstallInterruptHandler();
// Whether an interrupt arrived (false when the handler was never installed).
bool InterruptRequested();

}  // namespace edgelm
