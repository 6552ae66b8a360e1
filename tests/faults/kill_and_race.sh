#!/usr/bin/env bash
# kill_and_race.sh CLI MODEL WORK [TRIALS]: `plan --emit-onnx` killed with
# SIGKILL at random moments never leaves a readable-but-wrong output: the
# folder is absent (if it was) or byte-identical to a complete run; the
# next run cleans what the killed ones left and is byte-identical too. Two
# runs racing into one folder end with one complete result. Bounded: TRIALS
# kills (default 20), each waited for.
set -euo pipefail
cli=$1; model=$2; work=$3; trials=${4:-20}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
args=(plan "$model" --device raspberry-pi-4 --cloud nvidia-t4 --load 1,2 --precision fp32,fp16,int8
      --objective latency,throughput --emit-onnx)
plan() { "$cli" "${args[@]}" -o "$1" > /dev/null 2>&1; }
start=$(date +%s%N); plan "$work/ref"; end=$(date +%s%N)
run_ns=$(( end - start )); [ "$run_ns" -gt 0 ] || run_ns=1
python3 "$here/../cli/check_plan_files.py" "$work/ref" > /dev/null

same_as_ref() { diff -r "$work/ref" "$1" > /dev/null; }
RANDOM=7  # reproducible kill times
complete=0; absent=0
for i in $(seq 1 "$trials"); do
  out=$work/out
  if [ $(( i % 2 )) -eq 0 ]; then rm -rf "$out"; had=0; else [ -d "$out" ] && had=1 || had=0; fi
  delay_ns=$(( run_ns * (RANDOM % 100) / 100 ))
  "$cli" "${args[@]}" -o "$out" > /dev/null 2>&1 & pid=$!  # $! is onnxcut itself
  sleep "$(printf '0.%09d' "$delay_ns")" 2>/dev/null || true
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -e "$out" ]; then
    same_as_ref "$out" || { echo "trial $i: killed after ${delay_ns} ns left an incomplete or wrong $out"; diff -r "$work/ref" "$out" | head; exit 1; }
    complete=$(( complete + 1 ))
  else
    [ "$had" -eq 0 ] || { echo "trial $i: killed run removed the earlier result"; exit 1; }
    absent=$(( absent + 1 ))
  fi
done
plan "$work/out"
same_as_ref "$work/out" || { echo "a run after the kills differs from the reference"; exit 1; }
left=$(ls -A "$work" | { grep -v -x -e ref -e out || true; })
[ -z "$left" ] || { echo "leftovers of killed runs were not cleaned: $left"; exit 1; }

# Two runs racing into one folder: both succeed, one complete result.
rm -rf "$work/race"
"$cli" "${args[@]}" -o "$work/race" > /dev/null 2>&1 & a=$!
"$cli" "${args[@]}" -o "$work/race" > /dev/null 2>&1 & b=$!
wait "$a" && wait "$b" || { echo "a racing run failed"; exit 1; }
same_as_ref "$work/race" || { echo "racing runs left a mixed result"; exit 1; }
echo "kill and race ok: $trials kills ($complete complete, $absent absent), reruns byte-identical"
