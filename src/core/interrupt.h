// Ctrl-C handling for long runs: the first SIGINT/SIGTERM sets a flag that loops check
// between units of work (a chunk, a configuration), so what finished is saved and the
// command exits 130; a second SIGINT terminates at once.
#pragma once

#include <atomic>

namespace edgelm {

enum class InterruptMode {
  kFinishThenAbort,  // batch work: the first Ctrl-C finishes the item in flight, a second aborts
  kFlagEveryTime,    // interactive chat: every Ctrl-C only sets the flag (stops the reply)
};

// Installs the handler (calling again switches the mode) and returns the flag it sets.
const std::atomic<bool>& InstallInterruptHandler(InterruptMode mode = InterruptMode::kFinishThenAbort);
// Whether an interrupt arrived (false when the handler was never installed).
bool InterruptRequested();
// Forgets an interrupt that was handled (interactive use).
void ClearInterrupt();

}  // namespace edgelm
