#!/usr/bin/env node
// The device side of a split plan (docs/wire.md): runs each frame's head in
// ONNX Runtime, sends the plan's wire tensors to the server, receives the
// tail's outputs, measures the bandwidth from its own transfers, and picks
// the plan per frame with the runtime library (select, the estimator, the
// switcher with hysteresis; server load from the server's reports). Frames
// are processed one at a time, paced at --fps when given.
//
//   node scripts/onnxcut_device.js PLAN_DIR --server HOST:PORT [--frames 50] [--fps F]
//        [--precision fp32|fp16|int8|mixed|auto] [--max-loss X]
//        [--policy adaptive|device-only|cloud-only|plan:ID|every-plan]
//        [--initial-mbps 10] [--estimator harmonic|ewma] [--window 5] [--margin 0.1] [--patience 3]
//        [--check MODEL.onnx] [--csv FRAMES.csv] [--json SUMMARY.json] [--seed 1] [--timeout-ms 30000]
//        [--device-slowdown K] [--max-seconds S]
//
// --max-seconds S: no frame starts after S seconds (a trace replay's length).
// --probe-bytes B (adaptive; default 16000): after a frame that sent
// nothing, a probe of B bytes is timed to keep the bandwidth estimate live.
// --device-slowdown K emulates a device K times slower than this machine:
// after each head run, the runner waits K - 1 times the head's time (plan
// such a device with costs whose device_ms are K times the measured ones).
// One CSV row per frame: frame, plan, precision, bytes_up, bytes_down, head_ms,
// transfer_ms (network: round trip less the server's queue and tail time),
// server_queue_ms, tail_ms, total_ms, estimate_mbps (used for this frame's
// choice), predicted_ms (the table's prediction at that estimate and load).
// --check MODEL: the whole model runs on the same inputs; every fp32 plan
// must reproduce every output bit-exactly (exit 1 otherwise).
// Exit: 0 done, 1 a check failed or the server answered an error, 2 bad
// arguments or files.
'use strict';
const fs = require('fs');
const net = require('net');
const path = require('path');
const { openPlanDir, frameReader, rng, randomTensor, toWire, fromWire, SESSION_OPTIONS } = require('./onnxcut_addon');

function usage(msg) {
  console.error(`onnxcut_device: ${msg}\nusage: onnxcut_device.js PLAN_DIR --server HOST:PORT [--frames N] [--fps F] [--precision P|auto] [--max-loss X] [--policy P] [--check MODEL] [--csv F] [--json F]`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { server: '', frames: 50, fps: 0, precision: 'fp32', policy: 'adaptive', initialMbps: 10, estimator: 'harmonic',
    window: 5, alpha: 0.3, margin: 0.1, patience: 3, check: '', csv: '', json: '', seed: 1, timeoutMs: 30000,
    slowdown: 1, maxSeconds: 0, probeBytes: 16000, maxLoss: undefined, pos: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const str = () => { if (i + 1 >= argv.length) usage(`${k} needs a value`); return argv[++i]; };
    const num = () => { const v = Number(str()); if (!Number.isFinite(v) || v < 0) usage(`${k} needs a number >= 0`); return v; };
    if (k === '--server') a.server = str();
    else if (k === '--frames') a.frames = num();
    else if (k === '--fps') a.fps = num();
    else if (k === '--precision') a.precision = str();
    else if (k === '--max-loss') a.maxLoss = num();
    else if (k === '--policy') a.policy = str();
    else if (k === '--initial-mbps') a.initialMbps = num();
    else if (k === '--estimator') a.estimator = str();
    else if (k === '--window') a.window = num();
    else if (k === '--alpha') a.alpha = num();
    else if (k === '--margin') a.margin = num();
    else if (k === '--patience') a.patience = num();
    else if (k === '--check') a.check = str();
    else if (k === '--csv') a.csv = str();
    else if (k === '--json') a.json = str();
    else if (k === '--seed') a.seed = num();
    else if (k === '--timeout-ms') a.timeoutMs = num();
    else if (k === '--device-slowdown') a.slowdown = num();
    else if (k === '--max-seconds') a.maxSeconds = num();
    else if (k === '--probe-bytes') a.probeBytes = num();
    else if (k.startsWith('--')) usage(`unknown option ${k}`);
    else a.pos.push(k);
  }
  if (a.pos.length !== 1) usage('expected PLAN_DIR');
  if (!/^[^:]+:\d+$/.test(a.server)) usage('--server HOST:PORT is required');
  if (!(a.frames >= 1 && Number.isInteger(a.frames) && a.frames <= 1e6)) usage('--frames needs a whole number from 1 to 1000000');
  if (!/^(adaptive|device-only|cloud-only|every-plan|plan:\d+)$/.test(a.policy)) usage(`unknown --policy ${a.policy}`);
  if (!['harmonic', 'ewma'].includes(a.estimator)) usage('--estimator is harmonic or ewma');
  if (!(a.slowdown >= 1 && a.slowdown <= 1000)) usage('--device-slowdown is from 1 to 1000');
  return a;
}

function bitExact(a, b) {
  if (!a || !b || a.type !== b.type || a.dims.join('x') !== b.dims.join('x')) return false;
  const x = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return x.equals(y);
}
function maxRel(a, b) {
  let scale = 0, d = 0;
  for (let i = 0; i < a.data.length; i++) scale = Math.max(scale, Math.abs(Number(a.data[i])));
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return d / Math.max(scale, 1e-12);
}

function quantile(sorted, q) { return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0; }

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.pos[0];
  const { addon, ort, table, info, sha } = openPlanDir(dir, usage);
  // --precision auto: every table competes (select picks the best predicted
  // plan within --max-loss); the one-sided policies then use fp32's.
  const auto = args.precision === 'auto';
  const plansOf = info.plans.filter((p) => auto || p.precision === args.precision);
  if (!plansOf.length) usage(`the table has no ${args.precision} plans`);
  const heads = new Map();
  const head = async (p) => {
    if (!heads.has(p)) heads.set(p, await ort.InferenceSession.create(path.join(dir, p), SESSION_OPTIONS));
    return heads.get(p);
  };
  const full = args.check ? await ort.InferenceSession.create(args.check, SESSION_OPTIONS) : null;
  // Every head this run may use is loaded and run once before the first
  // frame, as a runtime would at start: a switch never pays a load.
  {
    const warm = rng(args.seed + 1000);
    const feeds = {};
    for (const spec of info.model_inputs) feeds[spec.name] = randomTensor(ort, spec, warm);
    for (const p of plansOf) {
      if (!p.head || heads.has(p.head)) continue;
      const h = await head(p.head);
      const hf = {};
      for (const n of h.inputNames) hf[n] = feeds[n];
      await h.run(hf);
    }
  }

  // The connection: one request at a time, replies matched by id.
  const [host, port] = args.server.split(':');
  const sock = net.connect({ host, port: Number(port) });
  sock.setNoDelay(true);
  const waiting = new Map();
  let failure = null;
  const failAll = (msg) => { failure = failure || msg; for (const [, w] of waiting) w.reject(new Error(msg)); waiting.clear(); };
  sock.on('data', frameReader(addon, 2 ** 31, (f) => {
    const w = waiting.get(f.id);
    if (!w) return;
    waiting.delete(f.id);
    w.resolve({ frame: f, at: process.hrtime.bigint() });
  }, (msg) => failAll(`the server's reply cannot be read: ${msg}`)));
  sock.on('error', (e) => failAll(`connection: ${e.message}`));
  sock.on('close', () => failAll('the server closed the connection'));
  await new Promise((res, rej) => { sock.once('connect', res); sock.once('error', rej); });
  let nextId = 1;
  const request = (f) => new Promise((resolve, reject) => {
    if (failure) return reject(new Error(failure));
    const id = nextId++;
    const timer = setTimeout(() => { waiting.delete(id); reject(new Error(`no reply in ${args.timeoutMs} ms`)); }, args.timeoutMs);
    waiting.set(id, { resolve: (r) => { clearTimeout(timer); resolve(r); }, reject: (e) => { clearTimeout(timer); reject(e); } });
    const bytes = addon.encode(Object.assign({ id }, f));
    const sent = process.hrtime.bigint();
    sock.write(bytes);
    waiting.get(id).sent = sent;
    waiting.get(id).bytes = bytes.length;
  });
  const hello = await request({ type: 'hello', table_sha256: sha });
  if (hello.frame.type !== 'hello_ack') { console.error(`onnxcut_device: the server refused: ${hello.frame.message}`); process.exit(1); }

  const estimator = addon.estimatorNew(args.estimator, args.window, args.alpha);
  const switcher = addon.switcherNew(args.margin, args.patience);
  let serverLoad = 1, current = null, switches = 0;
  const next = rng(args.seed);
  const rows = [];
  const check = {};
  let errors = 0;
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < args.frames; k++) {
    if (args.maxSeconds > 0 && Number(process.hrtime.bigint() - t0) / 1e9 >= args.maxSeconds) break;
    if (args.fps > 0) {  // pace: frame k starts no earlier than k / fps
      const due = Number(t0) / 1e6 + (k * 1000) / args.fps;
      const now = Number(process.hrtime.bigint()) / 1e6;
      if (due > now) await new Promise((r) => setTimeout(r, due - now));
    }
    const est = addon.estimatorMbps(estimator);
    const mbps = est === null ? args.initialMbps : est;
    let planId;
    if (args.policy === 'adaptive') {
      const q = { mbps, load: serverLoad, precision: args.precision, fps: args.fps > 0 ? args.fps : undefined };
      if (args.maxLoss !== undefined) q.max_loss = args.maxLoss;
      const sel = addon.select(table, q);
      const candMs = sel.predicted.latency_ms;
      const curMs = current === null ? candMs : addon.predict(table, current, mbps, serverLoad).latency_ms;
      const d = addon.switcherDecide(switcher, sel.plan, candMs, curMs);
      planId = d.plan;
      switches = d.switches;
    } else if (args.policy === 'device-only') planId = info.device_only[auto ? 'fp32' : args.precision];
    else if (args.policy === 'cloud-only') planId = info.cloud_only[auto ? 'fp32' : args.precision];
    else if (args.policy === 'every-plan') planId = plansOf[k % plansOf.length].id;
    else planId = Number(args.policy.slice(5));
    const plan = info.plans[planId];
    if (!plan || (!auto && plan.precision !== args.precision)) usage(`plan ${planId} is not a ${args.precision} plan of the table`);
    current = planId;

    const feeds = {};
    for (const spec of info.model_inputs) feeds[spec.name] = randomTensor(ort, spec, next);
    const start = process.hrtime.bigint();
    const avail = Object.assign({}, feeds);
    if (plan.head) {
      const h = await head(plan.head);
      const hf = {};
      for (const n of h.inputNames) hf[n] = avail[n];
      Object.assign(avail, await h.run(hf));
      // A slower device, emulated: the head takes --device-slowdown times
      // what it took here. The rest is spent busy, as a device computing
      // would be (sleeping instead let the core cool: the next head ran
      // 15 % slower than profiled).
      if (args.slowdown > 1) {
        const took = process.hrtime.bigint() - start;
        const until = process.hrtime.bigint() + BigInt(Math.round(Number(took) * (args.slowdown - 1)));
        while (process.hrtime.bigint() < until) { /* busy */ }
      }
    }
    const headDone = process.hrtime.bigint();
    let row = { frame: k, plan: planId, precision: plan.precision, bytes_up: 0, bytes_down: 0,
      head_ms: Number(headDone - start) / 1e6, transfer_ms: 0, server_queue_ms: 0, tail_ms: 0, total_ms: 0,
      estimate_mbps: mbps, predicted_ms: addon.predict(table, planId, mbps, serverLoad).latency_ms };
    if (plan.tail) {
      const tensors = plan.wire.map((w) => toWire(w.name, avail[w.name]));
      row.bytes_up = tensors.reduce((s, t) => s + t.data.length, 0);
      let r;
      try { r = await request({ type: 'infer', plan: planId, tensors }); }
      catch (e) { console.error(`onnxcut_device: frame ${k}: ${e.message}`); process.exit(1); }
      if (r.frame.type === 'error') { console.error(`onnxcut_device: frame ${k}: server error ${r.frame.error_code}: ${r.frame.message}`); errors++; break; }
      const roundTrip = Number(r.at - headDone) / 1e6;
      row.server_queue_ms = r.frame.queue_ms;
      row.tail_ms = r.frame.compute_ms;
      row.transfer_ms = Math.max(0, roundTrip - r.frame.queue_ms - r.frame.compute_ms);
      row.bytes_down = r.frame.tensors.reduce((s, t) => s + t.data.length, 0);
      serverLoad = r.frame.load;
      for (const t of r.frame.tensors) avail[t.name] = fromWire(ort, t);
      // Bandwidth from this transfer: the bytes that went up over the time
      // the network took (round trip less the server's own time).
      addon.estimatorAdd(estimator, row.bytes_up, row.transfer_ms / 1000);
    }
    row.total_ms = Number(process.hrtime.bigint() - start) / 1e6;
    rows.push(row);
    // A plan that sends nothing measures nothing: after its frame (not in
    // its latency) a probe of --probe-bytes is timed instead, so the
    // estimate follows the link while the device works alone (as
    // `onnxcut simulate` assumes: docs/simulate.md).
    if (!plan.tail && args.policy === 'adaptive' && args.probeBytes > 0) {
      const sentAt = process.hrtime.bigint();
      try {
        const r = await request({ type: 'probe', padding_bytes: args.probeBytes });
        addon.estimatorAdd(estimator, args.probeBytes, Number(r.at - sentAt) / 1e9);
      } catch (e) { console.error(`onnxcut_device: probe: ${e.message}`); process.exit(1); }
    }
    if (full) {
      const ref = await full.run(feeds);
      const c = check[planId] || (check[planId] = { plan: planId, precision: plan.precision, frames: 0, bit_exact: true, max_rel_error: 0 });
      c.frames++;
      for (const name of Object.keys(ref)) {
        const got = avail[name];
        if (!got) { c.bit_exact = false; c.missing = name; continue; }
        if (!bitExact(ref[name], got)) c.bit_exact = false;
        if (got.dims.join('x') === ref[name].dims.join('x')) c.max_rel_error = Math.max(c.max_rel_error, maxRel(ref[name], got));
        else c.max_rel_error = Infinity;
      }
    }
  }
  sock.end();

  const cols = ['frame', 'plan', 'precision', 'bytes_up', 'bytes_down', 'head_ms', 'transfer_ms', 'server_queue_ms', 'tail_ms', 'total_ms', 'estimate_mbps', 'predicted_ms'];
  const fmt = (v) => typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v);
  if (args.csv) fs.writeFileSync(args.csv, [cols.join(',')].concat(rows.map((r) => cols.map((c) => fmt(r[c])).join(','))).join('\n') + '\n');
  const totals = rows.map((r) => r.total_ms).sort((x, y) => x - y);
  const byPlan = {};
  for (const r of rows) (byPlan[r.plan] = byPlan[r.plan] || []).push(r.total_ms);
  const checks = Object.values(check);
  const failed = checks.filter((c) => (c.precision === 'fp32' && !c.bit_exact) || c.missing || !Number.isFinite(c.max_rel_error));
  const summary = { frames: rows.length, policy: args.policy, precision: args.precision, fps: args.fps || null,
    switches, plans_used: Object.fromEntries(Object.entries(byPlan).map(([p, v]) => [p, v.length])),
    mean_ms: totals.reduce((s, x) => s + x, 0) / Math.max(1, totals.length), p50_ms: quantile(totals, 0.5), p95_ms: quantile(totals, 0.95),
    mean_ms_by_plan: Object.fromEntries(Object.entries(byPlan).map(([p, v]) => [p, v.reduce((s, x) => s + x, 0) / v.length])),
    bytes_up: rows.reduce((s, r) => s + r.bytes_up, 0), server_errors: errors, checks };
  if (args.json) fs.writeFileSync(args.json, JSON.stringify(summary, null, 2) + '\n');
  console.log(`onnxcut_device: ${rows.length} frames, policy ${args.policy}, mean ${summary.mean_ms.toFixed(2)} ms, p95 ${summary.p95_ms.toFixed(2)} ms, ${switches} switches, plans ${JSON.stringify(summary.plans_used)}`);
  for (const c of checks)
    console.log(`  plan ${c.plan} (${c.precision}): ${c.frames} frames, ${c.bit_exact ? 'bit-exact' : 'max rel error ' + c.max_rel_error.toExponential(3)}${c.missing ? ', missing ' + c.missing : ''}`);
  process.exit(failed.length || errors ? 1 : 0);
}

main().catch((e) => { console.error(`onnxcut_device: ${e.message}`); process.exit(2); });
