// Shared by the Node.js helpers (onnxcut_server.js, onnxcut_device.js,
// check_split.js). Loads onnxcut's runtime library for Node.js (build/onnxcut_node.node, or
// share/onnxcut/onnxcut_node.node when installed, or $ONNXCUT_NODE_ADDON)
// and reads frames off a byte stream. Framing, plan tables, selection,
// estimation and switching are all the C++ library's (docs/wire.md); this
// file only moves bytes.
'use strict';
const fs = require('fs');
const path = require('path');

function loadAddon() {
  const places = [process.env.ONNXCUT_NODE_ADDON, path.join(__dirname, '..', 'onnxcut_node.node'),
    path.join(__dirname, '..', 'build', 'onnxcut_node.node')].filter(Boolean);
  for (const p of places) if (fs.existsSync(p)) return require(p);
  throw new Error(`onnxcut's Node.js addon was not found (looked in ${places.join(', ')}): run make`);
}

function loadOrt() {
  return require(path.join(__dirname, '..', 'node_modules', 'onnxruntime-node'));
}

const HEADER = 24;

// A plan directory as both sides open it: the addon, ONNX Runtime, the
// table (the library's handle), its plans and manifest, and the SHA-256 of
// plan-table.json that hello frames carry. A table the library refuses goes
// to usage(message).
function openPlanDir(dir, usage) {
  const addon = loadAddon();
  const ort = loadOrt();
  const tablePath = path.join(dir, 'plan-table.json');
  let table;
  try { table = addon.tableLoad(tablePath); } catch (e) { usage(e.message); }
  const sha = require('crypto').createHash('sha256').update(fs.readFileSync(tablePath)).digest('hex');
  return { addon, ort, table, info: addon.tableInfo(table), sha };
}

// Calls onFrame(frame) for every whole frame that arrives on `socket`;
// onError(message) when the stream cannot be framed any more (a bad header:
// the caller closes the connection).
function frameReader(addon, maxPayload, onFrame, onError) {
  let chunks = [], have = 0, need = HEADER, header = null;
  return (data) => {
    chunks.push(data);
    have += data.length;
    while (have >= need) {
      const buf = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, have);
      chunks = [buf];
      if (!header) {
        try { header = addon.decodeHeader(buf.subarray(0, HEADER), maxPayload); }
        catch (e) { onError(e.message); chunks = []; have = 0; need = Infinity; return; }
        need = HEADER + header.payload;
        continue;
      }
      const frameBytes = buf.subarray(0, need);
      const rest = buf.subarray(need);
      let frame = null, err = null;
      try { frame = addon.decode(Buffer.from(frameBytes)); } catch (e) { err = e.message; }
      chunks = rest.length ? [rest] : [];
      have = rest.length;
      need = HEADER;
      header = null;
      if (err) onError(err, false); else onFrame(frame);
    }
  };
}

// An ORT tensor as a frame tensor and back (the bytes as ORT holds them).
function toWire(name, t) {
  const data = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return { name, dtype: t.type, dims: t.dims.map(Number), data };
}
const TYPED = { float32: Float32Array, float64: Float64Array, int64: BigInt64Array, int32: Int32Array,
  uint8: Uint8Array, int8: Int8Array, bool: Uint8Array, float16: Uint16Array, uint16: Uint16Array, int16: Int16Array,
  uint32: Uint32Array, uint64: BigUint64Array };
function fromWire(ort, w) {
  const T = TYPED[w.dtype];
  if (!T) throw new Error(`tensor ${w.name}: dtype ${w.dtype} not supported here`);
  const copy = Buffer.from(w.data);  // aligned, owned
  const arr = new T(copy.buffer, copy.byteOffset, copy.byteLength / T.BYTES_PER_ELEMENT);
  return new ort.Tensor(w.dtype, arr, w.dims);
}

// mulberry32: small seeded PRNG so runs are reproducible.
function rng(seed) {
  let s = seed >>> 0;
  return () => { s = (s + 0x6D2B79F5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}

// A seeded random input of spec {name, dtype, shape}: floats in [-1, 1),
// integers (and bools) in {0..3}.
function randomTensor(ort, spec, next) {
  const T = TYPED[spec.dtype];
  if (!T || !spec.shape) throw new Error(`input ${spec.name}: dtype ${spec.dtype} or its shape not supported`);
  const n = spec.shape.reduce((x, y) => x * y, 1);
  const data = new T(n);
  for (let i = 0; i < n; i++) {
    const u = next();
    if (spec.dtype === 'int64') data[i] = BigInt(Math.floor(u * 4));
    else if (spec.dtype === 'float32' || spec.dtype === 'float64') data[i] = u * 2 - 1;
    else data[i] = Math.floor(u * 4);
  }
  return new ort.Tensor(spec.dtype, data, spec.shape);
}

const SESSION_OPTIONS = { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, interOpNumThreads: 1,
  executionMode: 'sequential', logSeverityLevel: 4 };

module.exports = { loadAddon, loadOrt, openPlanDir, frameReader, toWire, fromWire, rng, randomTensor, SESSION_OPTIONS, HEADER };
