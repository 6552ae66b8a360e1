#!/usr/bin/env bash
# The model builders: deterministic and up to date with the committed light
# models; every model (light and random) passes the ONNX checker (full check,
# strict shape inference); ONNX Runtime runs every one, the random ones with
# finite, input-dependent outputs.
#   check_builders.sh BUILD_MODELS_BIN SOURCE_DIR WORK_DIR
set -euo pipefail
bin=$1; src=$2; work=$3
rm -rf "$work" && mkdir -p "$work/light" "$work/random"
"$bin" "$work/light" light > /dev/null
for f in "$src"/models/*_light.onnx; do
  cmp "$f" "$work/light/$(basename "$f")" || { echo "FAIL: $(basename "$f") differs from a fresh build (run build_models models light)"; exit 1; }
done
"$bin" "$work/random" random > /dev/null  # all seven (VGG-16: 553 MB)
/usr/bin/python3 - "$work" <<'PY'
import glob, sys, onnx
for f in sorted(glob.glob(sys.argv[1] + "/*/*.onnx")):
    m = onnx.load(f)
    onnx.checker.check_model(m, full_check=True)
    onnx.shape_inference.infer_shapes(m, strict_mode=True)
    print("checked", f.split("/")[-2] + "/" + f.split("/")[-1])
PY
node - "$work" "$src" <<'JS'
const path = require('path'), fs = require('fs');
const ort = require(path.join(process.argv[3], 'node_modules', 'onnxruntime-node'));
(async () => {
  for (const dir of ['light', 'random']) for (const f of fs.readdirSync(path.join(process.argv[2], dir)).sort()) {
    const s = await ort.InferenceSession.create(path.join(process.argv[2], dir, f), {graphOptimizationLevel: 'disabled', logSeverityLevel: 3});
    const dims = f.startsWith('tinyyolov2') ? [1, 3, 416, 416] : [1, 3, 224, 224];
    const n = dims.reduce((a, b) => a * b, 1);
    const outs = [];
    for (const k of [1, 2]) {
      const x = new Float32Array(n); for (let i = 0; i < n; i++) x[i] = Math.sin(i * k) ;
      const r = await s.run({[s.inputNames[0]]: new ort.Tensor('float32', x, dims)});
      const y = r[s.outputNames[0]].data;
      if (!y.every(Number.isFinite)) throw new Error(`${dir}/${f}: non-finite output`);
      outs.push(y);
    }
    const differs = outs[0].some((v, i) => v !== outs[1][i]);
    if (dir === 'random' && !differs) throw new Error(`${dir}/${f}: output does not depend on the input`);
    console.log(`ran ${dir}/${f}: output ${s.outputNames[0]} of ${outs[0].length} values${dir === 'random' ? ', input-dependent' : ''}`);
  }
  console.log('builders ok');
})().catch(e => { console.error('FAIL:', e.message); process.exit(1); });
JS
