#!/usr/bin/env bash
# Evidence for docs/precision.md: per-tensor widths under measured fidelity
# budgets on three real-weight models of ../shared/data/models (a
# classifier, a detector, a segmenter), calibrated on real photographs from
# Debian's python3-skimage (installed here when missing, as root).
#
#   bench/precision_evidence.sh [BUILD_DIR] [OUT_DIR]
#
# Writes OUT_DIR/<model>/plan-table.json and prints the report
# (bench/precision_report.py). Skips (exit 0, with a message) when the
# shared models are absent.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
out="${2:-$build/precision_evidence}"
cli="$build/onnxcut"
models="$root/../shared/data/models"
if [ ! -d "$models" ]; then
  echo "precision evidence: skipped, $models not found"
  exit 0
fi
skdata=/usr/lib/python3/dist-packages/skimage/data
if [ ! -d "$skdata" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "precision evidence: installing python3-skimage (its data folder holds the photographs)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-skimage >/dev/null
  else
    echo "precision evidence: skipped, $skdata missing (install python3-skimage)"
    exit 0
  fi
fi
rm -rf "$out"
mkdir -p "$out/photos"
# Real photographs only (no synthetic test patterns); skimage's own
# truncated.jpg is left out on purpose (it is broken: see cli.calibration).
for f in astronaut.png camera.png chelsea.png coffee.png rocket.jpg motorcycle_left.png motorcycle_right.png \
         hubble_deep_field.jpg retina.jpg coins.png moon.png ihc.png grass.png gravel.png brick.png page.png text.png \
         cell.png microaneurysms.png; do
  [ -f "$skdata/$f" ] && ln -s "$skdata/$f" "$out/photos/$f"
done
echo "precision evidence: $(ls "$out/photos" | wc -l) photographs from $skdata"

common=(--device raspberry-pi-zero-2w --cloud nvidia-t4 --precision fp32,fp16,int8 --calibration "$out/photos"
        --calibration-samples 0)
run() {  # NAME MODEL ARGS...
  local name=$1 model=$2
  shift 2
  /usr/bin/time -f "$name: planning with calibration %e s, %M KiB peak" \
    "$cli" plan "$models/$model" -o "$out/$name" "${common[@]}" "$@" > "$out/$name.txt"
}
# Classifier: PP-OCR text-direction (2 classes), inputs (x/255 - 0.5) / 0.5; top-1 agreement.
run classifier ppocr_cls_mobilenetv3.onnx --input-shape x=1x3x48x192 --image-mean 0.5 --image-std 0.5 \
  --loss-metric top1 --max-loss 0,0.1,0.2
# Detector: YOLOX-Nano takes 0-255 pixels (BGR); relative L2 of its 3549x85 outputs.
run detector yolox_nano_416.onnx --image-scale 1 --image-bgr --loss-metric rel-l2 --max-loss 0.01,0.03,0.1
# Segmenter: DeepLab-v3 takes x/127.5 - 1 (NHWC); per-pixel class disagreement (top1 over the class axis).
run segmenter deeplabv3_mobilenetv2_257.onnx --image-scale 0.00784313725 --image-mean 1 --image-std 1 \
  --loss-metric top1 --max-loss 0.005,0.02,0.05
/usr/bin/python3 "$root/bench/precision_report.py" "$out/classifier/plan-table.json" "$out/detector/plan-table.json" \
  "$out/segmenter/plan-table.json"
