#!/usr/bin/env bash
# Long fuzzing run of every cargo-fuzz target, one after another, with AddressSanitizer
# (nightly features on stable through RUSTC_BOOTSTRAP=1) and a scratch corpus seeded from
# fuzz/corpus. Prints one summary line per target: executions, coverage (cov), features (ft),
# corpus size and the libFuzzer rate; a finding stops the run with exit 1 and leaves the input
# in fuzz/artifacts/<target>/.
#
#   tools/fuzz-campaign.sh [SECONDS_PER_TARGET=600] [TARGET ...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo fuzz list)
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O
out=${FUZZ_CAMPAIGN_DIR:-$(mktemp -d)}
echo "fuzz campaign: ${secs}s per target, AddressSanitizer, logs in $out"
for t in "${targets[@]}"; do
  mkdir -p "$out/$t"
  start=$(date +%s)
  if ! cargo fuzz run -O "$t" "$out/$t" "corpus/$t" -- -max_total_time="$secs" \
    -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 >"$out/$t.log" 2>&1; then
    tail -n 60 "$out/$t.log"
    echo "$t: FINDING (see fuzz/artifacts/$t/)"
    exit 1
  fi
  end=$(date +%s)
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$out/$t.log" | tail -n 1)
  rate=$(grep -E '^stat::average_exec_per_sec' "$out/$t.log" | awk '{print $2}')
  echo "$t: $((end - start))s wall, ${rate:-?} exec/s, $done_line"
done
