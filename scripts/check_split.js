#!/usr/bin/env node
// Proves an artifact directory with ONNX Runtime: for every plan, runs the
// original model and head -> tail on the same seeded random inputs and
// compares every graph output.
//
//   node scripts/check_split.js ARTIFACT_DIR MODEL.onnx [--runs N] [--seed S]
//        [--max-rel-error-fp16 X] [--max-rel-error-int8 X] [--json]
//        [--allow-nonfinite-lossy] [--batch N]
//
// fp32 plans must reproduce the outputs bit-exactly (graph optimizations are
// disabled, one thread, so both runs execute the same kernels on the same
// data). fp16/int8 plans are lossy: their errors are reported, and fail only
// past the given bounds (default: no bound) or when an output goes missing,
// changes shape, or becomes non-finite where the original is finite.
// --allow-nonfinite-lossy accepts non-finite fp16/int8 outputs (reported):
// for weight-free test models whose constant weights blow activations past
// the fp16 range, which trained models do not.
// --batch N feeds every input at batch N on the axes the plan table marks
// as the model's symbolic batch (dim_params): the same split files must then
// reproduce the model at that batch.
// Version 2 tables: the deployment manifest is checked against the files
// (docs/plan-table.md): each file's SHA-256 and size, each side's input and
// output names, dtypes and shapes as ONNX Runtime sees them, the wire
// tensors' sizes, and which graph outputs each side computes.
// Progress goes to stderr (one line per plan) when it is a terminal or
// ONNXCUT_PROGRESS=1; --json output uses snake_case keys.
// Exit: 0 all plans pass, 1 a mismatch, 2 bad arguments or files.
'use strict';
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const ort = require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));
const { rng, randomTensor } = require('./onnxcut_addon');

function usage(msg) {
  console.error(`check_split: ${msg}\nusage: check_split.js ARTIFACT_DIR MODEL.onnx [--runs N] [--seed S] [--max-rel-error-fp16 X] [--max-rel-error-int8 X] [--json]`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { runs: 2, seed: 1, batch: 0, bound: { fp16: Infinity, int8: Infinity }, json: false, allowNonFinite: false, pos: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const num = () => { const v = Number(argv[++i]); if (!Number.isFinite(v)) usage(`${k} needs a number`); return v; };
    if (k === '--runs') a.runs = num();
    else if (k === '--seed') a.seed = num();
    else if (k === '--batch') { a.batch = num(); if (!(a.batch >= 1) || !Number.isInteger(a.batch)) usage('--batch needs a whole number >= 1'); }
    else if (k === '--max-rel-error-fp16') a.bound.fp16 = num();
    else if (k === '--max-rel-error-int8') a.bound.int8 = num();
    else if (k === '--json') a.json = true;
    else if (k === '--allow-nonfinite-lossy') a.allowNonFinite = true;
    else if (k.startsWith('--')) usage(`unknown option ${k}`);
    else a.pos.push(k);
  }
  if (a.pos.length !== 2) usage('expected ARTIFACT_DIR and MODEL');
  return a;
}

// ONNX Runtime's own log lines carry colour codes whatever stderr is; its
// errors also come back as exceptions (reported here, plain), so only fatal
// lines are logged (docs/codegen.md).
ort.env.logLevel = 'fatal';
const OPTIONS = { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1,
  executionMode: 'sequential', logSeverityLevel: 4 };

async function session(file) {
  try { return await ort.InferenceSession.create(file, OPTIONS); }
  catch (e) { throw new Error(`${file}: ONNX Runtime cannot load it: ${e.message}`); }
}

const BYTES = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1, int8: 1, bool: 1, float16: 2, uint16: 2, int16: 2 };

function sameList(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }

// The manifest's problems with the files (empty: none). `outs` are a run's
// outputs of each side (null when there was no run).
function manifestProblems(dir, table, plan, head, tail, outs, batched) {
  const p = [];
  const names = (l) => l.map((t) => t.name);
  for (const [side, sess, io] of [['head', head, plan.head_io], ['tail', tail, plan.tail_io]]) {
    if (!sess) { if (io) p.push(`${side}_io given but no ${side} file`); continue; }
    if (!io) { p.push(`${side} file but ${side}_io is null`); continue; }
    if (!sameList(sess.inputNames, names(io.inputs))) p.push(`${side} inputs ${sess.inputNames} != manifest ${names(io.inputs)}`);
    if (!sameList(sess.outputNames, names(io.outputs))) p.push(`${side} outputs ${sess.outputNames} != manifest ${names(io.outputs)}`);
    const got = outs && outs[side];
    if (got) for (const o of io.outputs) {
      const t = got[o.name];
      if (!t) continue;
      if (t.type !== o.dtype) p.push(`${side} output ${o.name} is ${t.type}, manifest ${o.dtype}`);
      if (!batched && o.shape && t.dims.join('x') !== o.shape.join('x')) p.push(`${side} output ${o.name} has shape ${t.dims}, manifest ${o.shape}`);
    }
  }
  if (tail && !sameList(names(plan.wire), tail.inputNames)) p.push(`wire ${names(plan.wire)} != tail inputs ${tail.inputNames}`);
  if (!batched && outs) {
    const avail = Object.assign({}, outs.feeds, outs.head || {});
    for (const w of plan.wire) {
      const t = avail[w.name];
      if (t && w.bytes !== null && t.data.length * (BYTES[t.type] || 0) !== w.bytes) p.push(`wire ${w.name} is ${t.data.length * BYTES[t.type]} bytes, manifest ${w.bytes}`);
    }
  }
  const modelOuts = new Set(table.model.outputs.map((o) => o.name));
  const fromTail = tail ? tail.outputNames.filter((n) => modelOuts.has(n)) : [];
  const fromDevice = [...modelOuts].filter((n) => !fromTail.includes(n));
  if (!sameList(plan.outputs.cloud, fromTail)) p.push(`outputs.cloud ${plan.outputs.cloud} != tail's ${fromTail}`);
  if (!sameList([...plan.outputs.device].sort(), fromDevice.sort())) p.push(`outputs.device ${plan.outputs.device} != ${fromDevice}`);
  const listed = new Map(table.files.map((f) => [f.path, f]));
  for (const k of ['head', 'tail', 'head_data', 'tail_data']) {
    if (!plan[k]) continue;
    const f = listed.get(plan[k]);
    if (!f) { p.push(`${k} ${plan[k]} is not in 'files'`); continue; }
    const bytes = fs.readFileSync(path.join(dir, f.path));
    const sha = crypto.createHash('sha256').update(bytes).digest('hex');
    if (sha !== f.sha256 || bytes.length !== f.bytes) p.push(`${f.path}: sha256/size differ from 'files'`);
  }
  return p;
}

function compare(ref, got) {
  if (!got) return { ok: false, why: 'missing output' };
  if (ref.dims.join('x') !== got.dims.join('x')) return { ok: false, why: `shape ${got.dims} != ${ref.dims}` };
  let maxAbs = 0, maxRel = 0, scale = 0, exact = true, nonFinite = false;
  for (let i = 0; i < ref.data.length; i++) scale = Math.max(scale, Math.abs(Number(ref.data[i])));
  for (let i = 0; i < ref.data.length; i++) {
    const r = Number(ref.data[i]), g = Number(got.data[i]);
    if (Object.is(r, g) || r === g) continue;
    if (Number.isNaN(r) && Number.isNaN(g)) continue;
    exact = false;
    if (Number.isFinite(r) && !Number.isFinite(g)) nonFinite = true;
    const d = Math.abs(r - g);
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(scale, 1e-12));  // relative to the output's magnitude
  }
  return { ok: !nonFinite, exact, maxAbs, maxRel, why: nonFinite ? 'non-finite values' : '' };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const [dir, modelFile] = args.pos;
  let table;
  try { table = JSON.parse(fs.readFileSync(path.join(dir, 'plan-table.json'), 'utf8')); }
  catch (e) { usage(`${dir}/plan-table.json: ${e.message}`); }
  if (table.format !== 'onnxcut.plan-table') usage(`${dir}: not an onnxcut plan table`);
  const progress = process.stderr.isTTY || process.env.ONNXCUT_PROGRESS === '1';
  if (progress) process.stderr.write(`check_split: loading ${modelFile}\n`);
  const full = await session(modelFile);
  const next = rng(args.seed);
  const samples = [];
  for (let r = 0; r < args.runs; r++) {
    const feeds = {};
    for (const spec of table.model.inputs) {
      // --batch N: every axis the table marks as the symbolic batch runs at N.
      const shape = spec.shape.map((d, i) => (args.batch && spec.dim_params && spec.dim_params[i] && spec.dim_params[i] !== '?') ? args.batch : d);
      feeds[spec.name] = randomTensor(ort, Object.assign({}, spec, { shape }), next);
    }
    samples.push({ feeds, ref: await full.run(feeds) });
  }
  const results = [];
  let failed = 0;
  for (const plan of table.plans) {
    if (plan.head === undefined || (plan.head === null && plan.tail === null && plan.cut.length > 0))
      usage(`plan ${plan.id} has no ONNX files: plan with --emit-onnx`);
    const head = plan.head ? await session(path.join(dir, plan.head)) : null;
    const tail = plan.tail ? await session(path.join(dir, plan.tail)) : null;
    if (progress) process.stderr.write(`check_split: plan ${plan.id} (${table.plans.indexOf(plan) + 1}/${table.plans.length})\n`);
    const res = { id: plan.id, precision: plan.precision, maxAbs: 0, maxRel: 0, exact: true, ok: true, why: '' };
    let outs = null;
    for (const s of samples) {
      const avail = Object.assign({}, s.feeds);
      const run = { feeds: s.feeds };
      if (head) {
        const hf = {}; for (const n of head.inputNames) hf[n] = avail[n];
        Object.assign(avail, run.head = await head.run(hf));
      }
      if (tail) {
        const tf = {};
        for (const n of tail.inputNames) { if (!avail[n]) throw new Error(`plan ${plan.id}: tail input ${n} comes from nowhere`); tf[n] = avail[n]; }
        Object.assign(avail, run.tail = await tail.run(tf));
      }
      outs = outs || run;
      for (const name of Object.keys(s.ref)) {
        const c = compare(s.ref[name], avail[name]);
        res.exact = res.exact && c.exact === true;
        res.maxAbs = Math.max(res.maxAbs, c.maxAbs || 0);
        res.maxRel = Math.max(res.maxRel, c.maxRel || 0);
        if (!c.ok && plan.precision !== 'fp32' && args.allowNonFinite && c.why === 'non-finite values') {
          res.note = `${name}: non-finite values (allowed)`;
        } else if (!c.ok) { res.ok = false; res.why = `${name}: ${c.why}`; }
      }
    }
    if (res.ok && plan.precision === 'fp32' && !res.exact) { res.ok = false; res.why = 'fp32 plan is not bit-exact'; }
    if (res.ok && plan.precision !== 'fp32' && res.maxRel > args.bound[plan.precision]) {
      res.ok = false; res.why = `relative error ${res.maxRel} above ${args.bound[plan.precision]}`;
    }
    if (table.version >= 2) {
      const problems = manifestProblems(dir, table, plan, head, tail, outs, args.batch > 0);
      res.manifest = problems.length ? 'MISMATCH' : 'ok';
      if (problems.length && res.ok) { res.ok = false; res.why = `manifest: ${problems.join('; ')}`; }
    }
    res.devNodes = plan.device_nodes.length;
    if (!res.ok) failed++;
    results.push(res);
  }
  if (args.json) {
    const snake = results.map((r) => ({ id: r.id, precision: r.precision, device_nodes: r.devNodes, max_abs_error: r.maxAbs,
      max_rel_error: r.maxRel, bit_exact: r.exact, ok: r.ok, why: r.why, note: r.note || '', manifest: r.manifest || null }));
    console.log(JSON.stringify({ model: table.model.file, plans: snake }, null, 2));
  } else {
    console.log(`check_split: ${table.model.file}, ${results.length} plans, ${args.runs} random inputs (seed ${args.seed})`);
    console.log('plan  precision  device nodes  max abs err   max rel err   result');
    for (const r of results)
      console.log(`${String(r.id).padStart(4)}  ${r.precision.padEnd(9)}  ${String(r.devNodes).padStart(12)}  ${r.maxAbs.toExponential(3).padStart(11)}  ${r.maxRel.toExponential(3).padStart(12)}   ${r.ok ? (r.exact ? 'ok (bit-exact)' : 'ok') + (r.manifest ? ', manifest ok' : '') + (r.note ? ' ' + r.note : '') : 'MISMATCH: ' + r.why}`);
  }
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(`check_split: ${e.message}`); process.exit(2); });
