#!/usr/bin/env bash
# Fuzz smoke run (a CI step): build every target of fuzz/ with libFuzzer's coverage
# instrumentation and run each for $FUZZ_SECONDS (default 30), two at a time (one per core).
#
# The build uses the flags `cargo fuzz build --sanitizer none` passes (cargo-fuzz 0.13.2; all
# of them work on stable, hardening.md §3.4) without cargo-fuzz itself: installing it compiles
# it from source on every fresh CI machine. One codegen unit, as cargo-fuzz does, builds in
# half the time of the default 16 here. `cargo fuzz run` and tools/fuzz-campaign.sh (AddressSanitizer) are for
# longer runs by hand.
#
# New inputs go to a scratch corpus, so fuzz/corpus keeps the committed seeds; a crash fails
# the run and leaves its input in fuzz/artifacts/<target>/ (minimise it, commit it, add a
# bug_fuzz_N test: fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${FUZZ_SECONDS:-30}
host=$(rustc -vV | sed -n 's/^host: //p')
flags=(
  -Cpasses=sancov-module
  -Cllvm-args=-sanitizer-coverage-level=4
  -Cllvm-args=-sanitizer-coverage-inline-8bit-counters
  -Cllvm-args=-sanitizer-coverage-pc-table
  -Cllvm-args=-sanitizer-coverage-trace-compares
  -Cllvm-args=-sanitizer-coverage-stack-depth
  -Cllvm-args=-simplifycfg-branch-fold-threshold=0
  --cfg fuzzing
  -Cdebug-assertions
  -Ccodegen-units=1
)
# --target keeps the instrumentation out of build scripts and proc-macros, as cargo-fuzz does.
RUSTFLAGS="${flags[*]}" cargo build --release --bins --target "$host"
bin_dir="target/$host/release"

mapfile -t targets < <(sed -n '/^\[\[bin\]\]/{n;s/^name = "\(.*\)"$/\1/p}' Cargo.toml)
if [ "${#targets[@]}" -eq 0 ]; then
  echo "fuzz-smoke: no [[bin]] targets found in fuzz/Cargo.toml"
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
run_one() {
  mkdir -p "$scratch/$1" "artifacts/$1"
  "$bin_dir/$1" -artifact_prefix="artifacts/$1/" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=10 "$scratch/$1" "corpus/$1" >"$scratch/$1.log" 2>&1
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
