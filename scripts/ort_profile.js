#!/usr/bin/env node
// Per-node latency with ONNX Runtime's profiler, for `onnxcut profile`.
//   node scripts/ort_profile.js MODEL.onnx RUNS INPUTS_JSON OUT_PREFIX [WHOLE_JSON]
// INPUTS_JSON: [{"name", "shape", "dtype"}]. Graph optimizations are
// disabled and one thread is used, so each ONNX node runs as one kernel.
// ORT writes the Chrome-trace JSON profile as OUT_PREFIX_<timestamp>.json.
// WHOLE_JSON: then the same runs again with profiling off, each timed whole
// (session.run from JavaScript, what a runtime sees), as {"run_ms": [...]}.
'use strict';
const path = require('path');
const ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));

// Only fatal log lines (they carry colour codes whatever stderr is; errors
// come back as exceptions anyway).
ort.env.logLevel = 'fatal';

const TYPED = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array,
  uint8: Uint8Array, int8: Int8Array, bool: Uint8Array };

async function main() {
  const [model, runsArg, inputsJson, prefix, wholeJson] = process.argv.slice(2);
  const runs = Number(runsArg);
  if (!model || !(runs >= 1) || !inputsJson || !prefix) {
    console.error('usage: ort_profile.js MODEL RUNS INPUTS_JSON OUT_PREFIX');
    process.exit(2);
  }
  const session = await ort.InferenceSession.create(model, {
    graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1,
    executionMode: 'sequential', enableProfiling: true, profileFilePrefix: prefix, logSeverityLevel: 4 });
  const feeds = {};
  let seed = 1;
  const next = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (const spec of JSON.parse(inputsJson)) {
    const T = TYPED[spec.dtype];
    if (!T) throw new Error(`input ${spec.name}: dtype ${spec.dtype} not supported`);
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new T(n);
    for (let i = 0; i < n; i++) data[i] = spec.dtype === 'int64' ? BigInt(Math.floor(next() * 4)) : (spec.dtype.startsWith('float') ? next() * 2 - 1 : Math.floor(next() * 4));
    feeds[spec.name] = new ort.Tensor(spec.dtype, data, spec.shape);
  }
  for (let r = 0; r < runs; r++) await session.run(feeds);
  session.endProfiling();  // writes OUT_PREFIX_<date>.json
  if (wholeJson) {
    const plain = await ort.InferenceSession.create(model, {
      graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1,
      executionMode: 'sequential', logSeverityLevel: 4 });
    await plain.run(feeds);  // warm-up
    const runMs = [];
    for (let r = 1; r < runs; r++) {
      const t0 = process.hrtime.bigint();
      await plain.run(feeds);
      runMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    require('fs').writeFileSync(wholeJson, JSON.stringify({ run_ms: runMs }));
  }
}
main().catch((e) => { console.error(`ort_profile: ${e.message}`); process.exit(1); });
