#!/usr/bin/env bash
# fuzz/run.sh BIN_DIR SECONDS [TARGET...]: runs each libFuzzer target for
# SECONDS on its committed seed corpus (fuzz/corpus/<target>, read only;
# new inputs go to a scratch folder), with a 10 s per-input time limit and a
# 2 GiB memory limit. Exits non-zero on any crash, hang, leak of the time
# or memory limits, or sanitizer report; prints executions and coverage.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1; seconds=$2; shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(model costs_csv ort_profile hw_profile plan_table trace wire calibration)
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT
keep=${FUZZ_ARTIFACTS:-$PWD/fuzz-artifacts}  # crashing inputs are kept here
status=0
for t in "${targets[@]}"; do
  mkdir -p "$scratch/$t" "$scratch/artifacts-$t"
  log=$scratch/$t.log
  if ASAN_OPTIONS=detect_leaks=0 "$bin/fuzz_$t" "$scratch/$t" "$here/corpus/$t" -max_total_time="$seconds" -timeout=10 \
       -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$scratch/artifacts-$t/" > "$log" 2>&1; then
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo '?')
    echo "fuzz_$t: ok, $execs executions in ${seconds} s, coverage $cov edges"
  else
    echo "fuzz_$t: FAILED"; grep -E 'ERROR|SUMMARY|==[0-9]+==|Test unit written' "$log" | head -20
    mkdir -p "$keep"
    for a in "$scratch/artifacts-$t"/*; do
      [ -f "$a" ] || continue
      cp "$a" "$keep/$t-$(basename "$a")"; echo "input kept: $keep/$t-$(basename "$a")"
    done
    status=1
  fi
done
exit $status
