#!/usr/bin/env bash
# Installs everything edgelm needs to build, test and run, from Debian 12 / Ubuntu packages.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libcli11-dev nlohmann-json3-dev libsqlite3-dev libtomlplusplus-dev libicu-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev
  clang-14 libclang-rt-14-dev
  g++-aarch64-linux-gnu qemu-user
)
# Optional extras for the full test suite: the report's browser test.
if [ "${EDGELM_WITH_BROWSER:-1}" = "1" ]; then PACKAGES+=(chromium); fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
