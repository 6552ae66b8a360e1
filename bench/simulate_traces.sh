#!/usr/bin/env bash
# Replays every shared bandwidth trace against plan tables of shared models
# and prints, per model and trace family, each policy's mean latency
# (averaged over the family's traces) and the adaptive policy's ratio to it.
#   [DEVICE_SCALE=0.1] bench/simulate_traces.sh [BUILD_DIR]   (figures: docs/simulate.md)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
CLI="$BUILD/onnxcut"
SHARED=../shared/data
if [ ! -d "$SHARED/traces" ]; then echo "SKIPPED: $SHARED/traces not found"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
SCALE=${DEVICE_SCALE:-1}
for m in yolox_nano_416 deeplabv3_mobilenetv2_257 resnet50_light; do
  "$CLI" inspect "$SHARED/models/$m.onnx" --json | python3 scripts/size_costs.py ramp --device-scale "$SCALE" > "$work/$m.csv"
  "$CLI" plan "$SHARED/models/$m.onnx" --costs "$work/$m.csv" --precision fp32,int8 --rtt-ms 20 \
    --objective latency,throughput -o "$work/$m" > /dev/null
  for fam in pensieve_norway_hsdpa_3g pensieve_fcc_broadband; do
    for prec in fp32 int8; do
      for tr in "$SHARED/traces/$fam"/*; do
        "$CLI" simulate "$work/$m/plan-table.json" --trace "$tr" --precision "$prec" --json > "$work/$m.$fam.$prec.$(basename "$tr").json"
      done
    done
  done
done
python3 - "$work" <<'PY'
import glob, json, os, sys, collections
work = sys.argv[1]
rows = collections.defaultdict(lambda: collections.defaultdict(list))
for f in sorted(glob.glob(os.path.join(work, "*.json"))):
    model, fam, prec, _ = os.path.basename(f).split(".", 3)
    for name, p in json.load(open(f))["policies"].items():
        rows[(model, fam, prec)][name].append(p["mean_ms"])
print("| model | traces | precision | device-only | cloud-only | best static | chain-only | **adaptive** | oracle | adaptive vs best baseline |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (model, fam, prec), pol in sorted(rows.items()):
    mean = {k: sum(v) / len(v) for k, v in pol.items()}
    base = min(mean[k] for k in ("device-only", "cloud-only", "best-static", "chain-only") if k in mean)
    cell = lambda k: f"{mean[k]:.0f}" if k in mean else "-"
    print(f"| {model} | {fam.replace('pensieve_', '')} ({len(pol['adaptive'])}) | {prec} | {cell('device-only')} | {cell('cloud-only')} | "
          f"{cell('best-static')} | {cell('chain-only')} | **{mean['adaptive']:.0f}** | {cell('oracle')} | {100 * (mean['adaptive'] / base - 1):+.1f}% |")
PY
