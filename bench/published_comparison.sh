#!/usr/bin/env bash
# Predicted whole-model latency of the bundled jetson-nano profile (not
# calibrated) against a published measurement: kentaroy47/benchmark-FP32-
# FP16-INT8-with-TensorRT, README.md (commit 036e942): Jetson Nano, TensorRT,
# input 1x3x256x256: resnet18 26 ms FP32 / 18 ms FP16; resnet50 79 / 42 ms.
# Our ResNets end in global average pooling, so they run at 256x256 as built;
# only the input dims are rewritten.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
python3 - "$w" <<'PY'
import json, sys
p = json.load(open("profiles/jetson-nano.json"))
p["name"], p["compute_precision"] = "jetson-nano-fp32", "fp32"
json.dump(p, open(sys.argv[1] + "/jetson-nano-fp32.json", "w"))
PY
echo "| model (256x256) | precision | published ms | predicted ms | error |"
echo "|---|---|---|---|---|"
for spec in "resnet18 26 18" "resnet50 79 42"; do
  set -- $spec
  /usr/bin/python3 - "models/${1}_light.onnx" "$w/$1.onnx" <<'PY'
import sys, onnx
m = onnx.load(sys.argv[1])
d = m.graph.input[0].type.tensor_type.shape.dim
d[2].dim_value = d[3].dim_value = 256
onnx.save(m, sys.argv[2])
PY
  for prec in fp32 fp16; do
    prof=jetson-nano; pub=$3
    [ $prec = fp32 ] && prof="$w/jetson-nano-fp32.json" && pub=$2
    pred=$("$BUILD/onnxcut" inspect "$w/$1.onnx" --device "$prof" | sed -n 's/.*estimated \([0-9.]*\) ms.*/\1/p')
    python3 -c "print(f'| $1 | $prec | $pub | {float($pred):.1f} | {100*(float($pred)/$pub-1):+.0f}% |')"
  done
done
