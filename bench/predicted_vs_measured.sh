#!/usr/bin/env bash
# Predicted vs measured (issue 13, part 5; docs/measured.md): the plan table's
# latency predictions against real runs of the split over a shaped link on
# this machine. Root (network namespaces, tc). Per model:
#   1. per-node costs measured here (onnxcut profile, whole-run overhead
#      shared out), the device emulated K times slower (device_ms x K, and
#      the runner's --device-slowdown K); plan at fp32 with --rtt-ms 0.2;
#   2. at 1, 5, 20, 50 and 200 Mbit/s: every plan the latency table uses,
#      plus device-only and cloud-only, run for F frames each (the first two
#      dropped: ONNX Runtime warms up); measured mean vs predict() at that rate;
#   3. a real trace replayed over the link: adaptive, device-only and
#      cloud-only (int8 plans), each for the same stretch of the trace.
# Writes OUT/rows.json and OUT/traces.json; bench/predicted_vs_measured.py
# turns them into docs/measured.md's tables and docs/measured.svg.
#   predicted_vs_measured.sh BUILD OUT [MODEL...]
set -euo pipefail
build=$(cd "$1" && pwd); out=$2; shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "predicted_vs_measured: needs root (network namespaces, tc)"; exit 77; }
shared=$root/../shared/data
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
  models=("$root/models/resnet18_light.onnx")
  for m in resnet50_light googlenet_inception_v1_light; do
    [ -f "$shared/models/$m.onnx" ] && models+=("$shared/models/$m.onnx")
  done
  [ ${#models[@]} -gt 1 ] || echo "predicted_vs_measured: ../shared/data absent: the bundled model only"
fi
K=${K:-10}            # the emulated device is K times slower than this machine
FRAMES=${FRAMES:-6}   # per plan and bandwidth (the first two are dropped: warm-up)
RATES=${RATES:-"1 5 20 50 200"}
TRACE=${TRACE:-$shared/traces/pensieve_norway_hsdpa_3g/norway_bus_1}
TRACE_SECONDS=${TRACE_SECONDS:-60}
TRACE_PRECISION=${TRACE_PRECISION:-int8}  # the trace replay's plans (3G rates: int8 cuts are what offloading can afford)
export ONNXCUT_NODE_ADDON=$build/onnxcut_node.node
link=$root/scripts/shaped_link.sh
name=pvm$(( $$ % 10000 ))
mkdir -p "$out"
cleanup() { jobs -p | xargs -r kill 2>/dev/null || true; "$link" stop "$name"; }
trap cleanup EXIT
echo "[]" > "$out/rows.json"; echo "[]" > "$out/traces.json"

for model in "${models[@]}"; do
  m=$(basename "$model" .onnx); w=$out/$m
  rm -rf "$w" && mkdir -p "$w"
  "$build/onnxcut" profile "$model" --runs 10 -o "$w/measured.csv" > "$w/profile.txt" 2>&1
  python3 - "$w/measured.csv" "$w/costs.csv" "$K" <<'PY'
import csv, sys
k = float(sys.argv[3])
with open(sys.argv[2], "w") as f:
    f.write("node,device_ms,cloud_ms\n")
    for r in csv.DictReader(open(sys.argv[1])):
        n = r["node"]
        if any(c in n for c in ',"'): n = '"' + n.replace('"', '""') + '"'
        f.write(f"{n},{float(r['device_ms']) * k:.6f},{float(r['cloud_ms']):.6f}\n")
PY
  "$build/onnxcut" plan "$model" --costs "$w/costs.csv" --rtt-ms 0.2 --min-mbps 0.1 --max-mbps 1000 --precision fp32,int8 \
    --emit-onnx -o "$w/plan" > /dev/null
  addr=$("$link" start "$name" 1)
  "$link" srv "$name" node "$root/scripts/onnxcut_server.js" "$w/plan" --host "$addr" --port 7070 > "$w/server.log" 2>&1 &
  for _ in $(seq 1 200); do grep -q listening "$w/server.log" 2>/dev/null && break; sleep 0.1; done
  candidates=$(python3 -c "
import json, sys
t = json.load(open(sys.argv[1]))
ids = {b['plan'] for x in t['tables'] if x['precision'] == 'fp32' for b in x['bands']} | {t['baselines']['device_only']['fp32'], t['baselines']['cloud_only']['fp32']}
print(' '.join(map(str, sorted(ids))))" "$w/plan/plan-table.json")
  for rate in $RATES; do
    "$link" rate "$name" "$rate"
    for p in $candidates; do
      "$link" dev "$name" node "$root/scripts/onnxcut_device.js" "$w/plan" --server "$addr:7070" --policy "plan:$p" \
        --frames "$FRAMES" --device-slowdown "$K" --initial-mbps "$rate" --csv "$w/r${rate}_p$p.csv" > /dev/null
      echo "$m: $rate Mbit/s, plan $p done"
    done
  done
  if [ -f "$TRACE" ]; then
    for policy in adaptive device-only cloud-only; do
      "$link" rate "$name" "$(awk 'NR==1 {print $2}' "$TRACE")"
      "$link" replay "$name" "$TRACE" "$TRACE_SECONDS" &
      replay=$!
      "$link" dev "$name" node "$root/scripts/onnxcut_device.js" "$w/plan" --server "$addr:7070" --policy "$policy" \
        --frames 100000 --fps 2 --max-seconds "$TRACE_SECONDS" --device-slowdown "$K" --initial-mbps 3 --precision "$TRACE_PRECISION" \
        --csv "$w/trace_$policy.csv" --json "$w/trace_$policy.json" > /dev/null
      wait "$replay" 2>/dev/null || true
      echo "$m: trace $(basename "$TRACE"), $policy done"
    done
  fi
  kill %1 2>/dev/null || true
  jobs -p | xargs -r kill 2>/dev/null || true
  "$link" stop "$name"
  python3 "$root/bench/predicted_vs_measured.py" collect "$w" "$m" "$RATES" "$out" "$(basename "$TRACE")"
done
python3 "$root/bench/predicted_vs_measured.py" report "$out" "$K" "$FRAMES"
