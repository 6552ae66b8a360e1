#!/usr/bin/env bash
# The main job on the bundled default model (make demo).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
CLI="$BUILD/onnxcut"
MODEL=models/tinyresnet.onnxtxt
COSTS=profiles/tinyresnet.costs.csv
OUT=out/demo
mkdir -p out
echo "== 1/2 what the planner sees: onnxcut inspect $MODEL"
"$CLI" inspect "$MODEL"
echo
echo "== 2/2 exact minimum-latency plans, 0.1-1000 Mbit/s, loads 1,2,4, fp32 and int8, RTT 20 ms"
"$CLI" plan "$MODEL" --costs "$COSTS" --load 1,2,4 --precision fp32,int8 --rtt-ms 20 -o "$OUT"
echo
echo "written: $OUT/plan-table.json"
