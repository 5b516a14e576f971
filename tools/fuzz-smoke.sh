#!/usr/bin/env bash
# Fuzz smoke run (a CI step): build every target of fuzz/ with libFuzzer's coverage
# instrumentation and run each for $FUZZ_SECONDS (default 30), two at a time (one per core).
#
# `cargo fuzz run --sanitizer none` (libFuzzer coverage without AddressSanitizer works on
# stable, hardening.md §3.4). cargo-fuzz is installed from crates.io if missing, as a debug
# build: it only drives cargo, and the debug build compiles in a fraction of the time on a
# fresh CI machine. tools/fuzz-campaign.sh runs the long AddressSanitizer campaign.
#
# New inputs go to a scratch corpus, so fuzz/corpus keeps the committed seeds; a crash fails
# the run and leaves its input in fuzz/artifacts/<target>/ (minimise it, commit it, add a
# bug_fuzz_N test: fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${FUZZ_SECONDS:-30}
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --version 0.13.2 --locked --debug
cargo fuzz build --sanitizer none

mapfile -t targets < <(cargo fuzz list)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "fuzz-smoke: cargo fuzz list found no target"
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
run_one() {
  mkdir -p "$scratch/$1"
  cargo fuzz run --sanitizer none "$1" "$scratch/$1" "corpus/$1" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 >"$scratch/$1.log" 2>&1
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  pair=("${targets[@]:i:2}")
  pids=()
  for t in "${pair[@]}"; do
    run_one "$t" &
    pids+=("$!")
  done
  for j in "${!pair[@]}"; do
    t=${pair[j]}
    if ! wait "${pids[j]}"; then
      tail -n 80 "$scratch/$t.log"
      echo "fuzz-smoke: target $t found a bug (input in fuzz/artifacts/$t/)"
      exit 1
    fi
    echo "$t: $(grep -E '^#[0-9]+[[:space:]]+DONE' "$scratch/$t.log" | tail -n 1)"
  done
done
echo "fuzz-smoke: ${#targets[@]} targets, ${seconds}s each, no finding"
