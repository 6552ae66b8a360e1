#!/usr/bin/env bash
# tests/badinputs/run.sh CLI SOURCE_DIR WORK [TABLE.md]: every bad input of
# the corpus through the CLI as a user would give it. Each must exit 2 with
# a message matching its pattern (never "internal error", never a signal),
# within 30 s and 4 GiB of address space, and leave no output or temporary
# behind. With TABLE.md, writes the corpus as a Markdown table
# (docs/reliability.md). Inputs are generated here; nothing is downloaded.
set -u
cli=$1; src=$2; work=$3; table=${4:-}
rm -rf "$work" && mkdir -p "$work/in" "$work/out"
cd "$work"
IN=$work/in
pass=0; fail=0; n=0
# 4 GiB of address space, except under AddressSanitizer (make check-sanitize
# sets ASAN_OPTIONS), whose shadow memory reserves terabytes of it.
vlimit=4194304; [ -z "${ASAN_OPTIONS:-}" ] || vlimit=unlimited
rows=()

# check KIND "what" REGEX -- command...: runs it, writing into out/<n>.
check() {
  local kind=$1 what=$2 regex=$3; shift 4
  n=$((n + 1))
  local o=$work/out/$n
  local args=("${@//@OUT@/$o}")
  local out rc
  out=$( (ulimit -v "$vlimit"; timeout 30 "${args[@]}") 2>&1 | tr -d '\000'; exit "${PIPESTATUS[0]}" ); rc=$?
  local bad=""
  [ "$rc" -eq 2 ] || bad="exit $rc"
  [ -z "$bad" ] && ! grep -Eq -- "$regex" <<<"$out" && bad="message does not match /$regex/"
  [ -z "$bad" ] && grep -q "internal error" <<<"$out" && bad="internal error"
  [ -z "$bad" ] && [ -e "$o" ] && bad="left $o behind"
  [ -z "$bad" ] && ls -A "$work/out" | grep -q "onnxcut-" && bad="left a temporary behind"
  if [ -n "$bad" ]; then
    fail=$((fail + 1)); echo "FAIL $n [$kind] $what: $bad"; echo "  command: ${args[*]}"; echo "  output: $(head -c 600 <<<"$out")"
  else
    pass=$((pass + 1))
  fi
  rows+=("| $n | $kind | $what | \`$(head -1 <<<"$out" | LC_ALL=C tr -cd '[:print:]' | sed 's/^onnxcut: error: //; s/|/\\|/g; s/`/'"'"'/g' | cut -c1-110)\` |")
}

D=$src/tests/data/diamond.onnx; C=$src/tests/data/diamond.costs.csv; T=$src/tests/golden/diamond.plan-table.json
TINY=$src/models/tinyresnet.onnxtxt
printf "0\t16\n100\t16\n200\t0.25\n" > "$IN/ok.trace"

# ---- models: bytes ----
: > "$IN/empty.onnx"
for k in 1 7 20 45 60 90 120 150; do
  head -c "$k" "$D" > "$IN/trunc$k.onnx"
  check model "diamond.onnx truncated to $k bytes" "trunc$k.onnx: (not a valid ONNX protobuf|not an ONNX model|the model has no graph|the graph has no outputs|no graph nodes)" -- "$cli" inspect "$IN/trunc$k.onnx"
done
for s in 1 64 4096 100000; do
  head -c "$s" /dev/urandom > "$IN/rand$s.onnx" 2>/dev/null || python3 -c "import os,sys; open(sys.argv[1],'wb').write(os.urandom($s))" "$IN/rand$s.onnx"
  check model "$s random bytes" "rand$s.onnx: (not a valid ONNX protobuf|not an ONNX model|no graph nodes|declares no opset)" -- "$cli" inspect "$IN/rand$s.onnx"
done
check model "an empty file" "the file is empty" -- "$cli" inspect "$IN/empty.onnx"
check model "a folder given as the model" "is a directory" -- "$cli" inspect "$IN"
check model "a missing file" "cannot open the file" -- "$cli" inspect "$IN/none.onnx"
check model "plan on a truncated model" "not a valid ONNX protobuf|not an ONNX model|no graph" -- "$cli" plan "$IN/trunc60.onnx" --costs "$C" -o @OUT@

# ---- models: ONNX text ----
txt() { local name=$1; shift; printf '%s\n' "$@" > "$IN/$name.onnxtxt"; }
H='<ir_version: 8, opset_import: ["" : 13]>'
txt cycle "$H" 'g (float[1,4] x) => (float[1,4] y) {' ' a = Relu (b)' ' b = Relu (a)' ' y = Add (a, x)' '}'
txt dangling "$H" 'g (float[1,4] x) => (float[1,4] y) {' ' y = Add (x, ghost)' '}'
txt twice "$H" 'g (float[1,4] x) => (float[1,4] y) {' ' y = Relu (x)' ' y = Tanh (x)' '}'
txt dup_out "$H" 'g (float[1,4] x) => (float[1,4] y, float[1,4] y) {' ' y = Relu (x)' '}'
txt dup_in "$H" 'g (float[1,4] x, float[1,4] x) => (float[1,4] y) {' ' y = Relu (x)' '}'
txt never_out "$H" 'g (float[1,4] x) => (float[1,4] z) {' ' y = Relu (x)' '}'
txt neg_dim "$H" 'g (float[-3,4] x) => (float[1,4] y) {' ' y = Relu (x)' '}'
txt neg_out_dim "$H" 'g (float[1,4] x) => (float[1,-4] y) {' ' y = Relu (x)' '}'
txt huge_dim "$H" 'g (float[99999999999999999999999,4] x) => (float[1,4] y) {' ' y = Relu (x)' '}'
txt max_dim "$H" 'g (float[9223372036854775807,4] x) => (float[1,4] y) {' ' y = Relu (x)' '}'
txt ovf_dims "$H" 'g (float[4611686018427387904,4611686018427387904] x) => (float[1,4] y) {' ' y = Relu (x)' '}'
txt ir_new '<ir_version: 99, opset_import: ["" : 13]>' 'g (float[1,4] x) => (float[1,4] y) {' ' y = Relu (x)' '}'
txt opset_new '<ir_version: 8, opset_import: ["" : 99]>' 'g (float[1,4] x) => (float[1,4] y) {' ' y = Relu (x)' '}'
txt no_opset '<ir_version: 8>' 'g (float[1,4] x) => (float[1,4] y) {' ' y = Relu (x)' '}'
txt syntax "$H" 'g (float[1,4] x) => (float[1,4] y) {' ' y = Relu (x' '}'
txt outer_read "$H" 'g (bool c, float[1,4] x) => (float[1,4] y) {' ' y = If (c) <then_branch = t () => (float[1,4] o) { o = Relu (nowhere) }, else_branch = e () => (float[1,4] o) { o = Relu (x) }>' '}'
txt bad_arity "$H" 'g (float[1,4] x) => (float[1,4] y) {' ' y = Relu (x, x, x)' '}'
txt bad_reshape "$H" 'g (float[1,4] x) => (float[?,?] y) {' ' s = Constant <value = int64[2] {3, 7}> ()' ' y = Reshape (x, s)' '}'
txt unsq_axes "$H" 'g (float[1,4] x) => (float[?] y) {' ' s = Shape (x)' ' a = Constant <value = int64[1] {9}> ()' ' u = Unsqueeze (s, a)' ' y = Reshape (x, u)' '}'
txt zero_stride "$H" 'g (float[1,2,8,8] x) => (float[?,?,?,?] y) {' ' y = MaxPool <kernel_shape = [2, 2], strides = [0, 2]> (x)' '}'
txt conv_rank '<ir_version: 4, opset_import: ["" : 9]>' 'g (float[1,8,8] x) => (float[?,?,?,?] y)' '  <float[2, 2, 1, 1] w = {0.7, -0.3, 0.2, 0.9}>' '{' ' y = Conv (x, w)' '}'
txt short_raw "$H" 'g (float[1,4] x) => (float[?] y) {' ' s = Constant <value = int64[3] {1, 4}> ()' ' y = Reshape (x, s)' '}'
# newer exports: what the pinned ONNX Runtime cannot run either, and opset
# 18+ forms that are malformed (wrong arity after lowering).
txt ir_11 '<ir_version: 11, opset_import: ["" : 21]>' 'g (float[1,4] x) => (float[1,4] y) {' ' y = Relu (x)' '}'
txt opset_23 '<ir_version: 10, opset_import: ["" : 23]>' 'g (float[1,4] x) => (float[1,4] y) {' ' y = Relu (x)' '}'
txt reduce18_arity '<ir_version: 9, opset_import: ["" : 18]>' 'g (float[2,4] x) => (float[?] y) <int64[1] a = {1}> {' ' y = ReduceMax (x, a, a)' '}'
txt pad18_axes_range '<ir_version: 9, opset_import: ["" : 18]>' 'g (float[2,4] x) => (float[?] y) <int64[2] p = {1, 1}, int64[1] a = {5}> {' ' y = Pad (x, p, , a)' '}'
for f in ir_11:"IR version 11 is newer than onnxcut reads" opset_23:"opset 23 is newer than onnxcut reads" \
         reduce18_arity:"input size 3 not in range|ReduceMax" pad18_axes_range:"no static size|Pad"; do
  name=${f%%:*}; re=${f#*:}
  check model "ONNX text: $name" "$re" -- "$cli" inspect "$IN/$name.onnxtxt"
done
# plan needs real sizes: unknown spatial dims, unsized ops of other domains
txt dyn_hw "$H" 'g (float[N,3,H,W] x) => (float[?] y) {' ' y = Relu (x)' '}'
txt custom_op '<ir_version: 8, opset_import: ["" : 13, "com.example" : 1]>' 'g (float[1,4] x) => (float[?] y) {' ' a = com.example.Mystery (x)' ' y = Relu (a)' '}'
check model "plan of unknown spatial dims" "input 'x' has unknown dims .*--input-shape x=1x3xHxW" -- "$cli" plan "$IN/dyn_hw.onnxtxt" --device raspberry-pi-4 --cloud nvidia-t4 -o @OUT@
check model "plan of an unsized op of another domain" "Mystery of domain com.example" -- "$cli" plan "$IN/custom_op.onnxtxt" --device raspberry-pi-4 --cloud nvidia-t4 -o @OUT@

for f in cycle:"not in topological order, or the graph has a cycle" dangling:"reads tensor 'ghost', which no node" twice:"tensor 'y' is produced twice" \
         dup_out:"graph output 'y' is listed twice" dup_in:"graph input 'x' is listed twice" never_out:"graph output 'z' is never produced" \
         neg_dim:"graph input 'x' has a negative dimension" neg_out_dim:"graph output 'y' has a negative dimension" \
         huge_dim:"a number is out of range or malformed" max_dim:"does not fit in 64 bits|shape inference|too large" \
         ovf_dims:"does not fit in 64 bits" ir_new:"IR version 99 is newer" opset_new:"opset 99 is newer" no_opset:"declares no opset_import" \
         syntax:"not valid ONNX text" outer_read:"reads tensor 'nowhere'" \
         short_raw:"shape inference|Reshape|3|mismatch|invalid" bad_arity:"input size 3 not in range" \
         bad_reshape:"reshapes 4 elements into 21" unsq_axes:"values in 'axes' are beyond the bounds" \
         zero_stride:"attribute 'strides' must be >= 1" conv_rank:"shape inference (crashed|failed)"; do
  name=${f%%:*}; re=${f#*:}
  check model "ONNX text: $name" "$re" -- "$cli" inspect "$IN/$name.onnxtxt"
  check model "plan of ONNX text: $name" "$re" -- "$cli" plan "$IN/$name.onnxtxt" --costs "$C" -o @OUT@
done

# ---- models: external data (generated with Debian's python3-onnx) ----
if /usr/bin/python3 -c 'import onnx' 2>/dev/null; then
  mkdir -p "$IN/ext"; printf '%016d' 0 > "$IN/ext/w.bin"; printf '%016d' 0 > "$IN/outside.bin"; ln -sf "$IN/outside.bin" "$IN/ext/link.bin"
  for loc in /etc/passwd ../outside.bin sub/../../outside.bin link.bin missing.bin; do
    safe=$(tr -c 'a-z0-9' '_' <<<"$loc")
    /usr/bin/python3 - "$IN/ext/m_$safe.onnx" "$loc" <<'PY'
import sys, onnx
from onnx import helper, TensorProto
w = TensorProto(); w.name = "w"; w.data_type = TensorProto.FLOAT; w.dims.append(4)
w.data_location = TensorProto.EXTERNAL
for k, v in (("location", sys.argv[2]), ("offset", "0"), ("length", "16")):
    e = w.external_data.add(); e.key = k; e.value = v
g = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [w])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
open(sys.argv[1], "wb").write(m.SerializeToString())
PY
    check model "external data at '$loc'" "external data (location|file) '$loc'.*(outside|does not exist)" -- "$cli" plan "$IN/ext/m_$safe.onnx" --costs "$C" -o @OUT@
  done
fi

# ---- costs CSV ----
csv() { local name=$1; shift; printf '%b' "$*" > "$IN/$name.csv"; }
csv nan 'node,device_ms,cloud_ms\nrelu,nan,1\nsig,1,1\ntanh,1,1\nadd,1,1\n'
csv inf 'node,device_ms,cloud_ms\nrelu,inf,1\nsig,1,1\ntanh,1,1\nadd,1,1\n'
csv neg 'node,device_ms,cloud_ms\nrelu,-1,1\nsig,1,1\ntanh,1,1\nadd,1,1\n'
csv huge 'node,device_ms,cloud_ms\nrelu,1e308,1\nsig,1,1\ntanh,1,1\nadd,1,1\n'
csv dup 'node,device_ms,cloud_ms\nrelu,1,1\nrelu,1,1\nsig,1,1\ntanh,1,1\nadd,1,1\n'
csv missing 'node,device_ms,cloud_ms\nrelu,1,1\nsig,1,1\n'
csv unknown 'node,device_ms,cloud_ms\nrelu,1,1\nsig,1,1\ntanh,1,1\nadd,1,1\nghost,1,1\n'
csv header 'name,a,b\nrelu,1,1\n'
csv bom '\xef\xbb\xbfnode,device_ms,cloud_ms\nrelu,1,1\nsig,1,1\ntanh,1,1\nadd,1,1\n'
csv empty ''
csv fields 'node,device_ms,cloud_ms\nrelu,1\nsig,1,1\ntanh,1,1\nadd,1,1\n'
csv quote 'node,device_ms,cloud_ms\n"relu,1,1\nsig,1,1\ntanh,1,1\nadd,1,1\n'
csv text 'node,device_ms,cloud_ms\nrelu,fast,1\nsig,1,1\ntanh,1,1\nadd,1,1\n'
csv binary '\x00\x01\x02\xff\xfe\n\x00'
for f in nan:"not finite" inf:"not finite" neg:"is negative" huge:"outside 0..1000000000 ms" dup:"duplicate row for node 'relu'" \
         missing:"node\\(s\\) have no row" unknown:"unknown node 'ghost'" header:"bad header" bom:"bad header" empty:"the file is empty" \
         fields:"expected 3 fields" quote:"unterminated quote" text:"'fast' of node 'relu' is not a number" binary:"bad header|expected"; do
  name=${f%%:*}; re=${f#*:}
  check costs "costs CSV: $name" "$re" -- "$cli" plan "$D" --costs "$IN/$name.csv" -o @OUT@
done
check costs "costs CSV of another model" "unknown node|have no row" -- "$cli" plan "$TINY" --costs "$C" -o @OUT@
check costs "a missing costs file" "cannot open the costs file" -- "$cli" plan "$D" --costs "$IN/none.csv" -o @OUT@

# ---- flags ----
while IFS='|' read -r what re args; do
  [ -n "$what" ] || continue
  # shellcheck disable=SC2086
  check flags "$what" "$re" -- "$cli" plan "$D" --costs "$C" -o @OUT@ $args
done <<'FLAGS'
min above max|--min-mbps \(50\) must be below --max-mbps|--min-mbps 50 --max-mbps 10
min zero|--min-mbps must be a positive number|--min-mbps 0
min negative|--min-mbps must be a positive number|--min-mbps -4
min denormal|--min-mbps must be from 1e-06|--min-mbps 4e-324 --max-mbps 1e-323
max huge|--max-mbps must be from 1e-06 to 1000000000|--max-mbps 1e300
max nan|--max-mbps must be a positive number|--max-mbps nan
min inf|--min-mbps must be a positive number|--min-mbps inf
load below one|--load values must be >= 1|--load 1,0.5
load nan|--load values must be >= 1|--load nan
load huge|--load values must be at most 1000000|--load 1e300
rtt negative|--rtt-ms must be from 0|--rtt-ms -1
rtt huge|--rtt-ms must be from 0 to 1000000000|--rtt-ms 1e300
down zero|--down-mbps must be a positive number|--down-mbps 0
down huge|--down-mbps must be from 1e-06|--down-mbps 1e20
precision unknown|unknown precision 'fp8'|--precision fp32,fp8
objective unknown|unknown objective 'speed'|--objective speed
pin unknown|--pin-device 'nope': no planning node|--pin-device nope
pins impossible|would have to run on the device|--pin-device add --pin-cloud relu
input shape absent|'nope', which is not a graph input|--input-shape nope=1x8
input shape rank|has rank 3, but input 'x' has rank 2|--input-shape x=1x8x1
input shape zero|dimension 0 must be positive|--input-shape x=0x8
input shape text|'abc' is not a whole number|--input-shape x=1xabc
input shape huge|is not a whole number|--input-shape x=1x99999999999999999999999
input shape syntax|expected NAME=DIMS|--input-shape x
both profiles one side|has both --device and --device-ort-profile|--device raspberry-pi-4 --device-ort-profile /nonexistent.json --cloud nvidia-t4
unknown flag|--bogus|--bogus
FLAGS
check flags "no costs at all" "give --costs FILE, or a device side" -- "$cli" plan "$D" -o @OUT@
check flags "an unknown profile" "profile 'toaster': no such file" -- "$cli" plan "$D" --device toaster --cloud nvidia-t4 -o @OUT@
check flags "select: negative bandwidth" "bandwidth must be a positive number" -- "$cli" select "$T" --mbps -3
check flags "select: no such precision" "no latency table for precision fp16" -- "$cli" select "$T" --mbps 5 --precision fp16
check flags "simulate: NaN margin" "--margin must be from 0 up to" -- "$cli" simulate "$T" --trace "$IN/ok.trace" --margin nan
check flags "simulate: NaN load" "--load must be >= 1" -- "$cli" simulate "$T" --trace "$IN/ok.trace" --load nan
check flags "simulate: frames past the cap" "--frames must be from 0 to 1000000" -- "$cli" simulate "$T" --trace "$IN/ok.trace" --frames 99999999
check flags "simulate: frame rate past the cap" "holds more than 1000000 frames" -- "$cli" simulate "$T" --trace "$IN/ok.trace" --fps 1e9
check flags "simulate: negative window" "--window must be from 1" -- "$cli" simulate "$T" --trace "$IN/ok.trace" --window -2
check flags "simulate: unknown estimator" "unknown --estimator 'magic'" -- "$cli" simulate "$T" --trace "$IN/ok.trace" --estimator magic
check flags "profile: zero runs" "--runs must be at least 1" -- "$cli" profile "$D" --runs 0 -o @OUT@
check flags "graph: neither plan nor bandwidth" "give exactly one of --plan ID or --mbps X" -- "$cli" graph "$D" "$T" -o @OUT@

# ---- plan tables (select, simulate, plot) ----
python3 - "$T" "$IN" <<'PY'
import json, sys, copy
base = json.load(open(sys.argv[1])); out = sys.argv[2]
def put(name, t): open(f"{out}/table_{name}.json", "w").write(t if isinstance(t, str) else json.dumps(t))
def edit(name, f):
    t = copy.deepcopy(base); f(t); put(name, t)
put("truncated", json.dumps(base)[:200]); put("notjson", "{plans: [}"); put("array", "[1, 2]"); put("deep", "[" * 5000 + "]" * 5000)
edit("format", lambda t: t.update(format=7)); edit("version", lambda t: t.update(version=4)); edit("bigversion", lambda t: t.update(version=1e300))
edit("rtt_neg", lambda t: t["network"].update(rtt_ms=-5)); edit("down_zero", lambda t: t["network"].update(down_mbps=0))
edit("network_str", lambda t: t.update(network="fast"))
edit("plan_id_huge", lambda t: t["plans"][0].update(id=1e300)); edit("plan_id_frac", lambda t: t["plans"][0].update(id=0.5))
edit("band_plan_huge", lambda t: t["tables"][0]["bands"][0].update(plan=1e300)); edit("band_plan_frac", lambda t: t["tables"][0]["bands"][0].update(plan=1.5))
edit("band_plan_neg", lambda t: t["tables"][0]["bands"][0].update(plan=-1))
edit("bytes_neg", lambda t: t["plans"][0].update(up_bytes_fp32=-10)); edit("down_neg", lambda t: t["plans"][0].update(down_bytes=-1))
edit("dev_ms_str", lambda t: t["plans"][0].update(device_ms="12"))
edit("head_abs", lambda t: t["plans"][0].update(head="/etc/shadow")); edit("head_up", lambda t: t["plans"][0].update(head="../../etc/passwd"))
edit("tail_up", lambda t: t["plans"][0].update(tail="plans/../../x.onnx"))
edit("nodes_num", lambda t: t["plans"][0].update(device_nodes=[1, 2]))
edit("gap", lambda t: t["tables"][0]["bands"][1].update(min_mbps=t["tables"][0]["bands"][1]["min_mbps"] * 1.5))
edit("no_bands", lambda t: t["tables"][0].update(bands=[])); edit("load_low", lambda t: t["tables"][0].update(server_load=0.5))
edit("bits_bad", lambda t: (t.update(version=3), t["plans"][0].update(cut=[{"tensor": "x", "shape": [4], "dtype": "float32", "bits": 5}])))
edit("loss_str", lambda t: (t.update(version=3), t["plans"][0].update(loss="low")))
edit("max_loss_neg", lambda t: (t.update(version=3), t["tables"][0].update(max_loss=-1)))
edit("no_tables", lambda t: t.update(tables=[])); edit("baseline_huge", lambda t: t["baselines"]["device_only"].update(fp32=1e300))
PY
for f in truncated:"not valid JSON" notjson:"not valid JSON" array:"not an onnxcut plan table" deep:"nested deeper than 64 levels" \
         format:"not an onnxcut plan table" version:"unsupported plan-table version" bigversion:"unsupported plan-table version" \
         rtt_neg:"'rtt_ms' is negative" down_zero:"'down_mbps' must be positive" network_str:"'network' is not an object" \
         plan_id_huge:"'id' is 1e\\+300" plan_id_frac:"'id' is 0.5" band_plan_huge:"'plan' is 1e\\+300" band_plan_frac:"'plan' is 1.5" \
         band_plan_neg:"'plan' is -1" bytes_neg:"'up_bytes_fp32' is negative" down_neg:"'down_bytes' is negative" \
         dev_ms_str:"'device_ms' is missing or not a number" head_abs:"'head' path '/etc/shadow'" head_up:"'head' path '../../etc/passwd'" \
         tail_up:"'tail' path 'plans/../../x.onnx'" nodes_num:"'device_nodes' holds a non-string" gap:"gap or overlap" \
         no_bands:"'bands' is missing, empty" load_low:"'server_load' is 0.5, below 1" no_tables:"'tables' is missing or empty" \
         baseline_huge:"baselines.device_only: 'fp32' is 1e\\+300" bits_bad:"'bits' is not one of 32, 16, 8, 6, 4, 2" \
         loss_str:"'loss' is not an object" max_loss_neg:"'max_loss' is negative"; do
  name=${f%%:*}; re=${f#*:}
  check table "plan table: $name (select)" "$re" -- "$cli" select "$IN/table_$name.json" --mbps 5
done
for name in truncated deep rtt_neg band_plan_huge head_up down_zero; do
  check table "plan table: $name (simulate)" "table_$name.json" -- "$cli" simulate "$IN/table_$name.json" --trace "$IN/ok.trace"
  check table "plan table: $name (plot)" "table_$name.json" -- "$cli" plot "$IN/table_$name.json" -o @OUT@
done

# ---- traces ----
mktrace() { local name=$1; shift; printf '%b' "$*" > "$IN/$name.trace"; }
mktrace p_text '0 1\n1 fast\n'; mktrace p_fields '0 1\n1 2 3\n'; mktrace p_neg '0 1\n1 -2\n'; mktrace p_back '2 1\n1 2\n'; mktrace p_empty ''
mktrace p_nan '0 1\n1 nan\n'; mktrace p_zero '0 0\n1 0\n'; mktrace p_span '0 1\n2000000 1\n'; mktrace p_rate '0 1e12\n'; mktrace p_binary '\x00\xff\x10\n'
mktrace m_back '5\n3\n'; mktrace m_text '5\nabc\n'; mktrace m_far '0\n10000000000\n'; mktrace m_neg '-5\n'; mktrace m_empty '# only a comment\n'
mktrace c_header 'a,b\n0,1\n'; mktrace c_text 'time,mbps\n0,x\n'; mktrace c_back 'time,mbps\n5,1\n1,1\n'; mktrace c_zero 'time,mbps\n0,0\n1,0\n'
for f in p_text:pensieve:"bandwidth 'fast' is not a number" p_fields:pensieve:"expected 'seconds Mbit/s'" p_neg:pensieve:"negative bandwidth" \
         p_back:pensieve:"time goes back" p_empty:pensieve:"no samples" p_nan:pensieve:"is not a number" p_zero:pensieve:"no bandwidth at all" \
         p_span:pensieve:"cap of 1e6 s" p_rate:pensieve:"above the cap of 1e9" p_binary:pensieve:"expected|not a number" \
         m_back:mahimahi:"goes back in time" m_text:mahimahi:"expected one timestamp" m_far:mahimahi:"past the cap" \
         m_neg:mahimahi:"expected one timestamp" m_empty:mahimahi:"no delivery opportunities" c_header:csv:"the CSV header must name" \
         c_text:csv:"bandwidth 'x' is not a number" c_back:csv:"time goes back" c_zero:csv:"no bandwidth at all"; do
  name=${f%%:*}; rest=${f#*:}; fmt=${rest%%:*}; re=${rest#*:}
  check trace "trace ($fmt): $name" "$re" -- "$cli" simulate "$T" --trace "$IN/$name.trace" --format "$fmt"
done
check trace "a missing trace" "cannot open the trace" -- "$cli" simulate "$T" --trace "$IN/none.trace"
check trace "an unknown trace format" "unknown trace format 'wav'" -- "$cli" simulate "$T" --trace "$IN/ok.trace" --format wav

# ---- profiles ----
printf '{"name": 5}' > "$IN/hw_types.json"; printf '[1,2' > "$IN/hw_trunc.json"; printf '{"name": "x", "compute_precision": "fp32", "description": 7}' > "$IN/hw_desc.json"
printf '[{"cat": 5, "name": "relu_kernel_time", "dur": 3}]' > "$IN/ort_cat.json"; printf '[{"cat": "Node", "name": 5, "dur": "x"}]' > "$IN/ort_name.json"
printf '{"a": 1}' > "$IN/ort_obj.json"
check profile "hardware profile with wrong types" "'name' must be a string" -- "$cli" plan "$D" --device "$IN/hw_types.json" --cloud nvidia-t4 -o @OUT@
check profile "hardware profile, truncated JSON" "hw_trunc.json" -- "$cli" plan "$D" --device "$IN/hw_trunc.json" --cloud nvidia-t4 -o @OUT@
check profile "hardware profile, description not a string" "'description' must be a string" -- "$cli" plan "$D" --device "$IN/hw_desc.json" --cloud nvidia-t4 -o @OUT@
check profile "ORT profile, 'cat' not a string" "4 of 4 planning nodes have no kernel event" -- "$cli" plan "$D" --device-ort-profile "$IN/ort_cat.json" --cloud nvidia-t4 -o @OUT@
check profile "ORT profile, 'name' not a string" "'name' missing or not a string" -- "$cli" plan "$D" --device-ort-profile "$IN/ort_name.json" --cloud nvidia-t4 -o @OUT@
check profile "ORT profile, an object" "not an ONNX Runtime profile" -- "$cli" plan "$D" --device-ort-profile "$IN/ort_obj.json" --cloud nvidia-t4 -o @OUT@

# ---- output paths ----
mkdir -p "$work/foreign"; echo mine > "$work/foreign/notes.txt"
mkdir -p "$work/ours"; "$cli" plan "$D" --costs "$C" -o "$work/ours" > /dev/null; echo mine > "$work/ours/extra.txt"
echo x > "$work/afile"
check output "an output folder of someone else's" "not an onnxcut artifact directory" -- "$cli" plan "$D" --costs "$C" -o "$work/foreign"
check output "an earlier result with a file added" "1 file\\(s\\) onnxcut did not write: extra.txt" -- "$cli" plan "$D" --costs "$C" -o "$work/ours"
check output "an output folder whose parent is missing" "does not exist" -- "$cli" plan "$D" --costs "$C" -o "$work/no/such/dir"
check output "an output path that is a file" "exists and is not a directory" -- "$cli" plan "$D" --costs "$C" -o "$work/afile"
check output "a file-size limit" "cannot write|File too large|file size limit" -- sh -c "ulimit -f 1; exec \"$cli\" plan \"$D\" --costs \"$C\" --emit-onnx -o \"$work/out/fsize\""
check output "plot into a missing folder" "does not exist" -- "$cli" plot "$T" -o "$work/no/such/x.svg"
if [ "$(id -u)" -eq 0 ] && mkdir -p "$work/tiny" && mount -t tmpfs -o size=64k tmpfs "$work/tiny" 2>/dev/null; then
  check output "a full disk (64 KiB tmpfs)" "cannot write|No space left" -- "$cli" plan "$src/models/densenet121_light.onnx" --device raspberry-pi-4 --cloud nvidia-t4 --emit-onnx -o "$work/tiny/plan"
  leftover=$(ls -A "$work/tiny"); umount "$work/tiny"
  [ -z "$leftover" ] || { fail=$((fail + 1)); echo "FAIL: the full disk kept: $leftover"; }
fi

if [ -n "$table" ]; then
  { echo "| # | kind | bad input | message (first line) |"; echo "|---|---|---|---|"; printf '%s\n' "${rows[@]}"; } > "$table"
fi
echo "bad inputs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
