#!/usr/bin/env node
// The cloud side of a split plan (docs/wire.md): loads a plan directory,
// keeps every tail loaded in ONNX Runtime, accepts device connections on a
// local port, runs the requested plan's tail for each infer frame (one at a
// time, in arrival order: one queue), returns the outputs with the queue and
// compute times, and reports its load.
//
//   node scripts/onnxcut_server.js PLAN_DIR [--host 127.0.0.1] [--port 0]
//        [--max-queue 64] [--max-payload-mb 1024] [--max-frames N]
//
// Prints "onnxcut server listening on HOST:PORT" once ready (port 0: any free
// port). --max-frames N: exit after N results (tests). SIGINT/SIGTERM: stop.
'use strict';
const net = require('net');
const path = require('path');
const { openPlanDir, frameReader, toWire, fromWire, SESSION_OPTIONS } = require('./onnxcut_addon');

function usage(msg) {
  console.error(`onnxcut_server: ${msg}\nusage: onnxcut_server.js PLAN_DIR [--host H] [--port P] [--max-queue N] [--max-payload-mb M] [--max-frames N]`);
  process.exit(2);
}

function parseArgs(argv) {
  const a = { host: '127.0.0.1', port: 0, maxQueue: 64, maxPayload: 1024 * 1024 * 1024, maxFrames: 0, pos: [] };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const num = () => { const v = Number(argv[++i]); if (!Number.isFinite(v) || v < 0) usage(`${k} needs a number >= 0`); return v; };
    if (k === '--host') a.host = argv[++i];
    else if (k === '--port') a.port = num();
    else if (k === '--max-queue') a.maxQueue = num();
    else if (k === '--max-payload-mb') a.maxPayload = num() * 1024 * 1024;
    else if (k === '--max-frames') a.maxFrames = num();
    else if (k.startsWith('--')) usage(`unknown option ${k}`);
    else a.pos.push(k);
  }
  if (a.pos.length !== 1) usage('expected PLAN_DIR');
  return a;
}

const ERR = { bad_frame: 1, version: 2, table_mismatch: 3, no_such_plan: 4, bad_tensors: 5, overloaded: 6, internal: 7 };

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const dir = args.pos[0];
  const { addon, ort, table, info, sha } = openPlanDir(dir, usage);
  // Every tail, loaded once (plans sharing a file share the session).
  const sessions = new Map();
  for (const p of info.plans) {
    if (!p.tail || sessions.has(p.tail)) continue;
    try { sessions.set(p.tail, await ort.InferenceSession.create(path.join(dir, p.tail), SESSION_OPTIONS)); }
    catch (e) { usage(`${p.tail}: ONNX Runtime cannot load it: ${e.message}`); }
  }
  const recent = [];  // [tail ms, plan cloud_ms] of the last frames
  let queue = [], running = false, results = 0;
  const load = () => {
    const r = recent.filter(([, c]) => c > 0);
    if (!r.length) return 1;
    return Math.max(1, r.reduce((s, [ms]) => s + ms, 0) / r.reduce((s, [, c]) => s + c, 0));
  };
  const recentMs = () => recent.length ? recent.reduce((s, [ms]) => s + ms, 0) / recent.length : 0;
  const send = (sock, f) => { if (!sock.destroyed) sock.write(addon.encode(f)); };
  const error = (sock, id, code, message) => send(sock, { type: 'error', id, error_code: code, message });

  async function drain() {
    if (running) return;
    running = true;
    while (queue.length) {
      const job = queue.shift();
      const plan = info.plans[job.frame.plan];
      const started = process.hrtime.bigint();
      const queueMs = Number(started - job.arrived) / 1e6;
      try {
        const sess = sessions.get(plan.tail);
        const feeds = {};
        for (const t of job.frame.tensors) feeds[t.name] = fromWire(ort, t);
        const out = await sess.run(feeds);
        const computeMs = Number(process.hrtime.bigint() - started) / 1e6;
        recent.push([computeMs, plan.cloud_ms]);
        while (recent.length > 20) recent.shift();
        const tensors = sess.outputNames.map((n) => toWire(n, out[n]));
        send(job.sock, { type: 'result', id: job.frame.id, queue_ms: queueMs, compute_ms: computeMs,
          queue_length: queue.length, recent_compute_ms: recentMs(), load: load(), tensors });
      } catch (e) {
        error(job.sock, job.frame.id, ERR.internal, `plan ${plan.id}: the tail failed: ${e.message}`);
      }
      results++;
      if (args.maxFrames && results >= args.maxFrames) { server.close(); for (const s of sockets) s.destroy(); return; }
    }
    running = false;
  }

  const sockets = new Set();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.setNoDelay(true);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let greeted = false;
    sock.on('data', frameReader(addon, args.maxPayload, (f) => {
      if (f.type === 'hello') {
        if (f.table_sha256 !== sha) return error(sock, f.id, ERR.table_mismatch, `the server's plan table is ${sha}, the device's ${f.table_sha256}`);
        greeted = true;
        return send(sock, { type: 'hello_ack', id: f.id, table_sha256: sha });
      }
      if (!greeted) return error(sock, f.id, ERR.table_mismatch, 'say hello with the plan table\'s SHA-256 first');
      if (f.type === 'probe') return send(sock, { type: 'probe_ack', id: f.id });
      if (f.type === 'load_query')
        return send(sock, { type: 'load_report', id: f.id, queue_length: queue.length + (running ? 1 : 0), recent_compute_ms: recentMs(), load: load() });
      if (f.type !== 'infer') return error(sock, f.id, ERR.bad_frame, `a server does not take ${f.type} frames`);
      const plan = info.plans[f.plan];
      if (!plan || !plan.tail) return error(sock, f.id, ERR.no_such_plan, `plan ${f.plan}: no such plan, or it has no tail`);
      const bad = addon.checkWire(table, f.plan, f.tensors);
      if (bad) return error(sock, f.id, ERR.bad_tensors, bad);
      if (queue.length >= args.maxQueue) return error(sock, f.id, ERR.overloaded, `queue full (${queue.length} frames)`);
      queue.push({ sock, frame: f, arrived: process.hrtime.bigint() });
      drain();
    }, (msg) => { error(sock, 0, ERR.bad_frame, msg); sock.end(); }));
  });
  server.on('error', (e) => { console.error(`onnxcut_server: ${e.message}`); process.exit(2); });
  server.listen(args.port, args.host, () => {
    const a = server.address();
    console.log(`onnxcut server listening on ${a.address}:${a.port} (${sessions.size} tails of ${info.plans.length} plans)`);
  });
  const stop = () => { server.close(); for (const s of sockets) s.destroy(); process.exit(0); };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => { console.error(`onnxcut_server: ${e.message}`); process.exit(2); });
