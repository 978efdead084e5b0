#!/usr/bin/env bash
# Installs dependencies, builds edgelm, and runs the main job: the built-in default
# study (SmolLM2-135M- and Qwen2.5-0.5B-shaped models with random weights, synthesized
# into the cache at F16, Q8_0 and Q4_0; speed, memory, energy or its labelled estimate,
# thread scaling, cost), then prints where the HTML report is.
# QUICK=1 runs the reduced setting (one small model shape, about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release -j "$(nproc)"
EDGELM=./build/release/bin/edgelm
ARGS=()
[ "${QUICK:-0}" = 1 ] && ARGS+=(--quick)
# Real weights for the quality section, when you have them:
#   ARGS+=(--quality-model model-f16.gguf --quality-model model-q4_0.gguf --quality-text wiki.test.raw)
"$EDGELM" study "${ARGS[@]}" | tee /tmp/edgelm-study-$$.txt
REPORT=$(sed -n 's/^report: //p' /tmp/edgelm-study-$$.txt)
rm -f /tmp/edgelm-study-$$.txt
echo
echo "Open the report in a browser (it works offline): file://$REPORT"
