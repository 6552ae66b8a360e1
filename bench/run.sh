#!/usr/bin/env bash
# Runs the benchmarks (make bench). Figures are recorded in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
"$BUILD/bench/bench_planner" --benchmark_counters_tabular=true
for n in 10000 100000; do
  f=$(mktemp --suffix=.json)
  ours=$("$BUILD/bench/export_dag" "$n" "$f")
  theirs=$(/usr/bin/python3 bench/networkx_mincut.py "$f")
  echo "layered DAG, $n nodes: onnxcut $ours; networkx $theirs"
  rm -f "$f"
done
