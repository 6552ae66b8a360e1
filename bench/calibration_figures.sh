#!/usr/bin/env bash
# Measures every shared model on this machine with ONNX Runtime, calibrates
# x86-edge-i5 on three of them and predicts the rest (docs/profiles.md).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
S=../shared/data/models
[ -d "$S" ] || { echo "SKIPPED: $S not found"; exit 0; }
w=$(mktemp -d); trap 'rm -rf "$w"' EXIT
shape() { [ "$1" = ppocr_cls_mobilenetv3 ] && echo "x=1x3x48x192" || true; }
for m in resnet50_light squeezenet1.0_light yolox_nano_416 googlenet_inception_v1_light vgg19_light deeplabv3_mobilenetv2_257 ppocr_cls_mobilenetv3; do
  sh=$(shape $m)
  "$BUILD/onnxcut" profile "$S/$m.onnx" ${sh:+--input-shape $sh} --runs 5 -o "$w/$m.csv" 2>/dev/null
done
"$BUILD/onnxcut" calibrate --base x86-edge-i5 --name this-machine -o "$w/cal.json" \
  --measured "$S/resnet50_light.onnx=$w/resnet50_light.csv" --measured "$S/squeezenet1.0_light.onnx=$w/squeezenet1.0_light.csv" \
  --measured "$S/yolox_nano_416.onnx=$w/yolox_nano_416.csv"
echo "held out:"
"$BUILD/bench/predict_costs" "$w/cal.json" $(for m in googlenet_inception_v1_light vgg19_light deeplabv3_mobilenetv2_257 ppocr_cls_mobilenetv3; do echo "$S/$m.onnx $w/$m.csv $(shape $m)"; done)
