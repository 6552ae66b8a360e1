#!/usr/bin/env bash
# The main job on the bundled default model (make demo).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
CLI="$BUILD/onnxcut"
MODEL=models/tinyresnet.onnxtxt
echo "== onnxcut inspect $MODEL"
"$CLI" inspect "$MODEL"
