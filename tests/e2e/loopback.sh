#!/usr/bin/env bash
# The split run for real, on loopback (issue 13; docs/wire.md): plans MODEL
# with synthetic ramp costs at fp32, fp16 and int8, and mixed widths under a
# fidelity budget on 4 random calibration samples (docs/precision.md), with
# split files, starts
# the server (scripts/onnxcut_server.js) on a free local port, and runs the
# device runner (scripts/onnxcut_device.js) over every plan of each
# precision with --check: every output equals the whole model's, fp32
# bit-exactly (the runner exits 1 otherwise). Then an adaptive run, and a
# device whose plan table is not the server's (refused). The server is
# stopped on every exit path.
#   loopback.sh CLI MODEL.onnx WORK [plan args...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cli=$1; model=$2; work=$3; shift 3
command -v node >/dev/null || { echo "skipped: node not found"; exit 77; }
export ONNXCUT_NODE_ADDON=${ONNXCUT_NODE_ADDON:-$root/build/onnxcut_node.node}
[ -f "$ONNXCUT_NODE_ADDON" ] || { echo "skipped: the Node.js addon is not built ($ONNXCUT_NODE_ADDON; not in sanitizer builds)"; exit 77; }
rm -rf "$work" && mkdir -p "$work"
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
"$cli" inspect "$model" --json | python3 "$root/scripts/size_costs.py" ramp > "$work/costs.csv"
"$cli" plan "$model" --costs "$work/costs.csv" --precision fp32 -o "$work/plan" "$@" > "$work/plan.log"
python3 - "$work/plan/plan-table.json" "$work/calib" <<'PY'
import json, os, struct, sys
t = json.load(open(sys.argv[1])); out = sys.argv[2]
inputs = t["model"]["inputs"]
for s in range(4):
    d = os.path.join(out, "s%d" % s) if len(inputs) > 1 else out
    os.makedirs(d, exist_ok=True)
    for i in inputs:
        n = 1
        for x in i["shape"]:
            n *= x
        h = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join("%d, " % x for x in i["shape"])
        h += " " * ((64 - (10 + len(h) + 1) % 64) % 64) + "\n"
        data = struct.pack("<%df" % n, *[((k * 7919 + s * 104729) % 1000) / 500.0 - 1 for k in range(n)])
        name = os.path.join(d, i["name"] + ".npy") if len(inputs) > 1 else os.path.join(d, "s%d.npy" % s)
        open(name, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode() + data)
PY
"$cli" plan "$model" --costs "$work/costs.csv" --precision fp32,fp16,int8 --emit-onnx -o "$work/plan" \
  --calibration "$work/calib" --max-loss 0.5 --loss-metric rel-l2 "$@" > "$work/plan.log"
node "$root/scripts/onnxcut_server.js" "$work/plan" --port 0 > "$work/server.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 100); do  # up to 10 s for the server to load its tails
  port=$(grep -o 'listening on [0-9.]*:[0-9]*' "$work/server.log" 2>/dev/null | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "FAIL: the server stopped"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$work/server.log"; echo "FAIL: the server did not start"; exit 1; }
plans=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['plans']))" "$work/plan/plan-table.json")
for prec in fp32 fp16 int8 mixed; do
  timeout 120 node "$root/scripts/onnxcut_device.js" "$work/plan" --server "127.0.0.1:$port" --precision "$prec" \
    --policy every-plan --frames "$plans" --check "$model" --csv "$work/$prec.csv" --json "$work/$prec.json" \
    || { echo "FAIL: $prec plans"; exit 1; }
done
python3 - "$work" "$work/plan/plan-table.json" <<'PY'
import csv, json, sys
work, table = sys.argv[1], json.load(open(sys.argv[2]))
mid = 0
for prec in ("fp32", "fp16", "int8", "mixed"):
    s = json.load(open(f"{work}/{prec}.json"))
    ids = {p["id"] for p in table["plans"] if p["precision"] == prec}
    assert {c["plan"] for c in s["checks"]} == ids, (prec, s["checks"], ids)
    if prec == "fp32":
        assert all(c["bit_exact"] for c in s["checks"]), s["checks"]
    rows = list(csv.DictReader(open(f"{work}/{prec}.csv")))
    for r in rows:
        p = table["plans"][int(r["plan"])]
        want = sum(w["bytes"] for w in p["wire"]) if p["tail"] else 0
        assert int(r["bytes_up"]) == want, (r, want)  # what went up is the manifest's wire
    mid += sum(1 for p in table["plans"] if p["precision"] == prec and p["head"] and p["tail"] and p["device_nodes"])
assert mid > 0, "no plan cuts mid-graph: the test would not send a cut tensor"
packed = [p["id"] for p in table["plans"] if any(w["encoding"] == "packed" for w in p["wire"])]
assert packed, "no mixed plan sends packed widths: the test would not exercise them"
print(f"loopback: every plan of every precision ran over the wire; {mid} mid-graph plans, {len(packed)} with packed widths")
PY
timeout 120 node "$root/scripts/onnxcut_device.js" "$work/plan" --server "127.0.0.1:$port" --policy adaptive --frames 10 \
  --csv "$work/adaptive.csv" > "$work/adaptive.log" || { cat "$work/adaptive.log"; echo "FAIL: adaptive run"; exit 1; }
# Any precision within a budget: every plan used has its measured loss within it.
timeout 120 node "$root/scripts/onnxcut_device.js" "$work/plan" --server "127.0.0.1:$port" --policy adaptive --frames 6 \
  --precision auto --max-loss 0.01 --csv "$work/auto.csv" > "$work/auto.log" || { cat "$work/auto.log"; echo "FAIL: auto run"; exit 1; }
python3 - "$work/auto.csv" "$work/plan/plan-table.json" <<'PY'
import csv, json, sys
plans = json.load(open(sys.argv[2]))["plans"]
for r in csv.DictReader(open(sys.argv[1])):
    loss = plans[int(r["plan"])]["loss"]
    assert max(loss["fit"], loss["held_out"]) <= 0.01, (r["plan"], loss)
PY
[ "$(wc -l < "$work/adaptive.csv")" -eq 11 ] || { echo "FAIL: adaptive CSV rows"; exit 1; }
# Two devices at once on one server: both served, every output still checked.
pids=()
for d in 1 2; do
  timeout 120 node "$root/scripts/onnxcut_device.js" "$work/plan" --server "127.0.0.1:$port" --policy every-plan \
    --frames "$plans" --seed "$d" --check "$model" > "$work/concurrent$d.log" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { cat "$work"/concurrent*.log; echo "FAIL: concurrent devices"; exit 1; }; done
# A device holding another table is refused by the server.
mkdir -p "$work/other" && cp -r "$work/plan/plans" "$work/other/"
sed 's/"rtt_ms": 20.0/"rtt_ms": 21.0/' "$work/plan/plan-table.json" > "$work/other/plan-table.json"
if node "$root/scripts/onnxcut_device.js" "$work/other" --server "127.0.0.1:$port" --frames 1 > "$work/other.log" 2>&1; then
  echo "FAIL: a device with another plan table was served"; exit 1
fi
grep -q "the server refused" "$work/other.log" || { cat "$work/other.log"; echo "FAIL: no refusal message"; exit 1; }
# Bytes that are not a frame: the server answers one bad_frame error and
# closes the connection; a frame announcing 1 TiB is refused the same way.
for junk in "not an onnxcut frame at all" "OCUT-huge"; do
  timeout 20 node -e '
    const net = require("net"), addon = require(process.env.ONNXCUT_NODE_ADDON);
    const [port, junk] = process.argv.slice(1);
    let bytes = Buffer.from(junk);
    if (junk === "OCUT-huge") { bytes = Buffer.alloc(24); bytes.write("OCUT"); bytes.writeUInt16LE(1, 4); bytes.writeUInt16LE(3, 6); bytes.writeBigUInt64LE(1n << 40n, 16); }
    const s = net.connect(Number(port), "127.0.0.1", () => s.write(bytes));
    let got = Buffer.alloc(0);
    s.on("data", (d) => { got = Buffer.concat([got, d]); });
    s.on("close", () => {
      const f = addon.decode(got);
      if (f.type !== "error" || f.error_code !== 1) { console.error("unexpected reply", f); process.exit(1); }
      console.log("server refused junk: " + f.message);
    });' "$port" "$junk" || { echo "FAIL: junk bytes were not refused with a bad_frame error"; exit 1; }
done
kill -0 "$server_pid" || { echo "FAIL: the server died on junk input"; exit 1; }
echo "loopback ok"
