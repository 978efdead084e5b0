#!/usr/bin/env bash
# Installs dependencies, builds edgelm, and runs the main job on a built-in default:
# a random-weight model with SmolLM2-135M's exact shapes, synthesized locally.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release -j "$(nproc)"
EDGELM=./build/release/bin/edgelm
CACHE=${EDGELM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/edgelm}
mkdir -p "$CACHE"
MODEL="$CACHE/smollm2-135m-f16.gguf"
[ -f "$MODEL" ] || "$EDGELM" synth --preset smollm2-135m --type f16 -o "$MODEL"
"$EDGELM" inspect "$MODEL"
