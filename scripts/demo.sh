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
echo "== 1/4 what the planner sees: onnxcut inspect $MODEL"
"$CLI" inspect "$MODEL"
echo
echo "== 2/4 plans for 0.1-1000 Mbit/s, loads 1,2,4, fp32 and int8, RTT 20 ms, with split ONNX files"
"$CLI" plan "$MODEL" --costs "$COSTS" --load 1,2,4 --precision fp32,int8 --rtt-ms 20 \
  --objective latency,throughput --emit-onnx -o "$OUT"
echo
echo "== 3/4 what a runtime picks (onnxcut select)"
for bw in 1 20 200; do
  echo "-- at $bw Mbit/s, load 2:"
  "$CLI" select "$OUT/plan-table.json" --mbps "$bw" --load 2
done
echo
TRACE=../shared/data/traces/pensieve_norway_hsdpa_3g/norway_train_1
if [ -f "$TRACE" ]; then
  echo "== 4/4 replaying a real 3G trace (onnxcut simulate)"
  "$CLI" simulate "$OUT/plan-table.json" --trace "$TRACE" --svg "$OUT/simulate.svg" --timeline "$OUT/simulate.csv"
else
  echo "== 4/4 skipped: no shared traces here (../shared/data/traces)"
fi
echo
echo "written:"
find "$OUT" -type f | sort | sed 's/^/  /'
