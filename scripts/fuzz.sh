#!/usr/bin/env bash
# Fuzzes the GGUF parser for SECONDS (default 60) with the binary already built by the
# `fuzz` preset (this script builds nothing). Seeds: small valid GGUF files the fuzzer
# writes itself, the regression inputs, and ../shared .gguf files under 2 MB when present.
# Prints the number of executions; on a crash exits 1 and keeps the input under
# build/fuzz/crashes/<time>/ (add it to tests/gguf/regressions/ as fuzz-crash-<sha1>.bin).
# Mutated inputs are capped at EDGELM_FUZZ_MAX_LEN bytes (default 64 KiB): the large
# shared seeds still contribute their headers and metadata, and the fuzzer runs ~20x
# faster than on whole multi-megabyte files.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${1:-60}
BIN=build/fuzz/fuzz/gguf_parse_fuzz
if [ ! -x "$BIN" ]; then
  echo "fuzz.sh: $BIN not found; build it first: cmake --preset fuzz && cmake --build build/fuzz" >&2
  exit 1
fi
case "$SECONDS_TO_RUN" in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$SECONDS_TO_RUN'" >&2; exit 2;; esac

CORPUS=$(mktemp -d "${TMPDIR:-/tmp}/edgelm-fuzz-corpus.XXXXXX")
LOG=$(mktemp "${TMPDIR:-/tmp}/edgelm-fuzz-log.XXXXXX")
trap 'rm -rf "$CORPUS" "$LOG"' EXIT
CRASHES=build/fuzz/crashes/$(date +%Y%m%d-%H%M%S)
mkdir -p "$CRASHES"

EDGELM_FUZZ_WRITE_SEEDS="$CORPUS" "$BIN" >/dev/null 2>&1
cp tests/gguf/regressions/*.bin "$CORPUS"/ 2>/dev/null || true
if [ -d ../shared ]; then
  find ../shared -name '*.gguf' -size -2M -print0 | while IFS= read -r -d '' f; do
    cp "$f" "$CORPUS/shared-$(basename "$f")"
  done
fi
echo "fuzz.sh: $(ls "$CORPUS" | wc -l) seed files, running ${SECONDS_TO_RUN}s"

set +e
ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$BIN" "$CORPUS" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 -max_len="${EDGELM_FUZZ_MAX_LEN:-65536}" \
  -print_final_stats=1 -artifact_prefix="$CRASHES/" >"$LOG" 2>&1
rc=$?
set -e
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$LOG" | grep -o '[0-9]*$' | tail -n 1 || true)
if [ $rc -ne 0 ]; then
  tail -n 60 "$LOG"
  echo "fuzz.sh: FAILED (exit $rc) after ${execs:-?} executions; crashing input(s):" >&2
  ls -1 "$CRASHES"/* >&2
  exit 1
fi
grep -E '^#[0-9]+.*(DONE|pulse)' "$LOG" | tail -n 1 || true
echo "fuzz.sh: ${execs:-?} executions in ${SECONDS_TO_RUN}s, no crash"
