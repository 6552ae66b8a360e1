#!/usr/bin/env bash
# The main job (make demo): plan the default model for a Raspberry Pi 4
# talking to an NVIDIA T4 over 0.1-1000 Mbit/s, emit the split ONNX files,
# and draw what the planner decided.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
CLI="$BUILD/onnxcut"
MODEL=models/tinyyolov2_light.onnx
DEVICE=raspberry-pi-4
CLOUD=nvidia-t4
OUT=out/demo
PLAN=$OUT/plan   # the plan directory a deployment ships; pictures go beside it
mkdir -p "$OUT"
start=$(date +%s)
echo "== 1/5 the model: onnxcut inspect $MODEL --device $DEVICE"
"$CLI" inspect "$MODEL" --device "$DEVICE" | sed -n '1,6p;/^bottlenecks/,$p'
echo
echo "== 2/5 planning for $DEVICE -> $CLOUD: loads 1,2,4 x fp32,int8, latency and throughput, RTT 20 ms, with split ONNX files"
"$CLI" plan "$MODEL" --device "$DEVICE" --cloud "$CLOUD" --load 1,2,4 --precision fp32,int8 --rtt-ms 20 \
  --objective latency,throughput --emit-onnx -o "$PLAN"
echo
echo "== 3/5 pictures"
"$CLI" plot "$PLAN/plan-table.json" -o "$OUT/latency.svg"
"$CLI" graph "$MODEL" "$PLAN/plan-table.json" --mbps 50 -o "$OUT/graph-50mbps.dot" --svg "$OUT/graph-50mbps.svg"
echo
echo "== 4/5 what a runtime picks (onnxcut select)"
for bw in 5 50 500; do
  echo "-- at $bw Mbit/s, server load 2:"
  "$CLI" select "$PLAN/plan-table.json" --mbps "$bw" --load 2 | sed -n '1,3p;5p'
done
echo
echo "== 5/5 replaying a commute (traces/demo-commute.csv: Wi-Fi, LTE, a 3G tunnel, LTE, Wi-Fi) at 2 fps (onnxcut simulate)"
echo "   the adaptive runtime switches plans as the bandwidth changes; the gate fails the run if it ever loses to the best fixed plan"
"$CLI" simulate "$PLAN/plan-table.json" --trace traces/demo-commute.csv --format csv --fps 2 \
  --fail-if 'adaptive.mean_ms>best-static.mean_ms' --svg "$OUT/simulate.svg" --timeline "$OUT/simulate.csv"
TRACE=../shared/data/traces/pensieve_norway_hsdpa_3g/norway_bus_1
if [ -f "$TRACE" ]; then
  echo "-- and a real 3G bus trace ($TRACE): too slow for this device/cloud pair, so every policy stays on the device"
  "$CLI" simulate "$PLAN/plan-table.json" --trace "$TRACE" --fps 2 | sed -n '2,9p'
else
  echo "-- (no shared traces here, ../shared/data/traces: the real-trace replay is skipped)"
fi
echo
echo "written ($(find "$OUT" -type f | wc -l) files, $(( $(date +%s) - start )) s):"
find "$OUT" -maxdepth 1 -type f | sort | sed 's/^/  /'
echo "  $PLAN/plan-table.json"
echo "  $PLAN/plans/<id>/head.onnx, tail.onnx ($(find "$PLAN/plans" -name '*.onnx' | wc -l) files)"
