#!/usr/bin/env node
// Measures how far models drift from a reference model on calibration
// inputs, with ONNX Runtime (docs/precision.md). onnxcut's planner writes the
// job; this script only runs models and compares outputs.
//
//   node scripts/fidelity.js JOB.json
//
// JOB.json:
//   {"reference": "base.onnx",              the fp32 model
//    "metric": "top1" | "rel_l2",
//    "samples": [{"name": "a", "feeds": {"x": {"file": "a.x.bin", "dtype": "float32", "dims": [1, 3, 8, 8]}}}],
//    "evaluations": [{"id": "e0", "model": "e0.onnx", "samples": [0, 1],
//                     "group": "g", "stop_above": 0.05}],
//    "dump": "DIR"}                          optional: every output of every run as raw bytes
//
// Per evaluation and sample, the loss against the reference's outputs:
//   top1:   the fraction of rows (last axis = classes) of the first output
//           whose arg-max differs (ties: the first index);
//   rel_l2: ||y' - y||_2 / ||y||_2 over every float output together
//           (a non-finite value, or a zero reference with y' != y: 1e30).
// Evaluations of one group run in the listed order; once one's mean loss is
// above stop_above, the rest of the group are skipped (reported skipped).
// Output (stdout, JSON): {"evaluations": [{"id", "losses": [...], "skipped"}],
//   "reference_ms": ..., "runs": N}
// Exit: 0 done, 2 a bad job, file or model (the message says which).
'use strict';
const fs = require('fs');
const path = require('path');

function fail(msg) {
  console.error(`fidelity: ${msg}`);
  process.exit(2);
}

let ort;
try { ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node')); }
catch (e) { fail(`ONNX Runtime is not installed (run 'make'): ${e.message}`); }
ort.env.logLevel = 'fatal';
const OPTIONS = { graphOptimizationLevel: 'disabled', executionMode: 'sequential', logSeverityLevel: 4 };
if (Number(process.env.ONNXCUT_FIDELITY_THREADS) > 0) OPTIONS.intraOpNumThreads = Number(process.env.ONNXCUT_FIDELITY_THREADS);

const ARRAYS = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array,
  uint8: Uint8Array, int8: Int8Array, float16: Uint16Array, uint16: Uint16Array, int16: Int16Array, bool: Uint8Array };

function readFeed(dir, spec) {
  const Arr = ARRAYS[spec.dtype];
  if (!Arr) fail(`dtype ${spec.dtype} is not supported`);
  const buf = fs.readFileSync(path.join(dir, spec.file));
  const n = spec.dims.reduce((a, b) => a * b, 1);
  if (buf.length !== n * Arr.BYTES_PER_ELEMENT) fail(`${spec.file}: ${buf.length} bytes, expected ${n * Arr.BYTES_PER_ELEMENT}`);
  const data = new Arr(n);
  new Uint8Array(data.buffer).set(buf);
  return new ort.Tensor(spec.dtype === 'float16' ? 'float16' : spec.dtype, data, spec.dims);
}

async function session(file) {
  try { return await ort.InferenceSession.create(file, OPTIONS); }
  catch (e) { fail(`${file}: ONNX Runtime cannot load it: ${e.message}`); }
}

const FLOATS = new Set(['float32', 'float64', 'float16']);

function top1(ref, got) {
  const names = Object.keys(ref);
  const r = ref[names[0]], g = got[names[0]];
  if (!g || g.data.length !== r.data.length) return 1;
  const k = r.dims.length ? r.dims[r.dims.length - 1] : 1;
  const rows = Math.max(1, r.data.length / k);
  let differ = 0;
  for (let row = 0; row < rows; row++) {
    let ai = 0, bi = 0;
    for (let i = 1; i < k; i++) {
      if (r.data[row * k + i] > r.data[row * k + ai]) ai = i;
      if (g.data[row * k + i] > g.data[row * k + bi] || Number.isNaN(g.data[row * k + bi])) bi = i;
    }
    if (ai !== bi) differ++;
  }
  return differ / rows;
}

function relL2(ref, got) {
  let num = 0, den = 0;
  for (const name of Object.keys(ref)) {
    const r = ref[name], g = got[name];
    if (!FLOATS.has(r.type)) continue;
    if (!g || g.data.length !== r.data.length) return 1e30;
    for (let i = 0; i < r.data.length; i++) {
      const d = Number(g.data[i]) - Number(r.data[i]);
      num += d * d;
      den += Number(r.data[i]) * Number(r.data[i]);
    }
  }
  if (!Number.isFinite(num)) return 1e30;
  if (den === 0) return num === 0 ? 0 : 1e30;
  return Math.sqrt(num / den);
}

function dumpOutputs(dir, id, s, outs) {
  for (const [name, t] of Object.entries(outs)) {
    const safe = name.replace(/[^A-Za-z0-9_.-]/g, '_');
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    fs.writeFileSync(path.join(dir, `${id}.${s}.${safe}.bin`), bytes);
  }
}

async function main() {
  if (process.argv.length !== 3) fail('usage: fidelity.js JOB.json');
  const jobFile = process.argv[2];
  const dir = path.dirname(jobFile);
  let job;
  try { job = JSON.parse(fs.readFileSync(jobFile, 'utf8')); } catch (e) { fail(`${jobFile}: ${e.message}`); }
  const metric = job.metric === 'top1' ? top1 : job.metric === 'rel_l2' ? relL2 : fail(`unknown metric ${job.metric}`);
  const feeds = job.samples.map((s) => {
    const f = {};
    for (const [name, spec] of Object.entries(s.feeds)) f[name] = readFeed(dir, spec);
    return f;
  });
  const ref = await session(path.join(dir, job.reference));
  const refOut = [];
  const t0 = Date.now();
  for (let s = 0; s < feeds.length; s++) {
    try { refOut.push(await ref.run(feeds[s])); } catch (e) { fail(`the model cannot run on sample ${job.samples[s].name}: ${e.message}`); }
    if (job.dump) dumpOutputs(path.join(dir, job.dump), 'reference', s, refOut[s]);
  }
  const referenceMs = (Date.now() - t0) / Math.max(1, feeds.length);
  const stopped = new Set();
  const results = [];
  let runs = feeds.length;
  for (const ev of job.evaluations) {
    if (ev.group !== undefined && stopped.has(ev.group)) { results.push({ id: ev.id, losses: [], skipped: true }); continue; }
    const sess = await session(path.join(dir, ev.model));
    const losses = [];
    for (const s of ev.samples) {
      let out;
      try { out = await sess.run(feeds[s]); } catch (e) { fail(`${ev.model} cannot run on sample ${job.samples[s].name}: ${e.message}`); }
      runs++;
      if (job.dump) dumpOutputs(path.join(dir, job.dump), ev.id, s, out);
      losses.push(metric(refOut[s], out));
    }
    if (typeof sess.release === 'function') await sess.release();
    const mean = losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length);
    if (ev.group !== undefined && ev.stop_above !== undefined && mean > ev.stop_above) stopped.add(ev.group);
    results.push({ id: ev.id, losses, skipped: false });
  }
  process.stdout.write(JSON.stringify({ evaluations: results, reference_ms: referenceMs, runs }) + '\n');
}

main().catch((e) => fail(e.message));
