#include "core/interrupt.h"

#include <signal.h>
#include <unistd.h>

namespace edgelm {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<bool> g_flag_every_time{false};

void OnSignal(int sig) {
  if (g_flag_every_time.load()) {
    g_interrupted.store(true);
    return;
  }
  if (g_interrupted.exchange(true)) {
    // Second signal: the user insists. Restore the default action and re-raise.
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  static const char kMsg[] = "\nedgelm: interrupted: finishing the item in flight and saving (Ctrl-C again to abort)\n";
  ssize_t ignored = write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
  (void)ignored;
}

}  // namespace

const std::atomic<bool>& InstallInterruptHandler(InterruptMode mode) {
  g_flag_every_time.store(mode == InterruptMode::kFlagEveryTime);
  static const bool installed = [] {
    struct sigaction sa {};
    sa.sa_handler = OnSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: blocking reads (chat input) return EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    return true;
  }();
  (void)installed;
  return g_interrupted;
}

bool InterruptRequested() { return g_interrupted.load(); }

void ClearInterrupt() { g_interrupted.store(false); }

}  // namespace edgelm
