#!/usr/bin/env bash
# Runs the benchmarks (make bench). Figures are recorded in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
"$BUILD/bench/bench_planner" --benchmark_counters_tabular=true
# One min cut against Boost's Boykov-Kolmogorov and push-relabel on CSR,
# every shape and cost regime, 1k to 1M nodes (issue 16); whole 9-table plans.
"$BUILD/bench/min_cut_peers" --max-nodes "${MIN_CUT_MAX_NODES:-1000000}" --json "$BUILD/bench/min_cut_peers.json"
"$BUILD/bench/table_speed" --max-nodes 100000 --json "$BUILD/bench/table_speed.json"
"$BUILD/bench/throughput_synthetic"
# Exact throughput against COIN-OR CBC on the same ILP (a peer for the
# benchmark only: installed here, never by make test or the product).
command -v cbc >/dev/null || { [ "$(id -u)" -eq 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q coinor-cbc >/dev/null; } || true
if command -v cbc >/dev/null; then
  for n in 300 1000; do
    echo "throughput vs CBC: layered DAG, $n nodes"
    "$BUILD/bench/throughput_vs_cbc" --synthetic layered "$n" 1
  done
  if [ -d ../shared/data/models ]; then
    "$BUILD/bench/throughput_vs_cbc" ../shared/data/models/yolox_nano_416.onnx raspberry-pi-4 nvidia-t4
    ramp=$(mktemp --suffix=.csv)
    "$BUILD/onnxcut" inspect ../shared/data/models/yolox_nano_416.onnx --json | python3 scripts/size_costs.py ramp > "$ramp"
    echo "throughput vs CBC: YOLOX-Nano, ramp costs"
    "$BUILD/bench/throughput_vs_cbc" ../shared/data/models/yolox_nano_416.onnx "$ramp"
    rm -f "$ramp"
    "$BUILD/bench/throughput_vs_cbc" ../shared/data/models/resnet50_light.onnx raspberry-pi-4 nvidia-t4
  else
    echo "throughput vs CBC on real models: skipped (../shared absent)"
  fi
else
  echo "throughput vs CBC: skipped (no cbc)"
fi
for n in 10000 100000; do
  f=$(mktemp --suffix=.json)
  ours=$("$BUILD/bench/export_dag" "$n" "$f")
  theirs=$(/usr/bin/python3 bench/networkx_mincut.py "$f")
  echo "layered DAG, $n nodes: onnxcut $ours; networkx $theirs"
  rm -f "$f"
done
# Codegen memory: split a model with ~100 MB of weights (bench/make_big_model).
big=$(mktemp -d)
"$BUILD/bench/make_big_model" "$big/big.onnx"
"$BUILD/onnxcut" inspect "$big/big.onnx" --json | python3 scripts/size_costs.py ramp > "$big/costs.csv"
/usr/bin/time -v "$BUILD/onnxcut" plan "$big/big.onnx" --costs "$big/costs.csv" --precision fp32,int8 \
  --emit-onnx -o "$big/out" > /dev/null 2> "$big/time.txt"
echo "split of a $(stat -c %s "$big/big.onnx")-byte model: $(grep -E 'Maximum resident' "$big/time.txt" | tr -s ' '), $(grep Elapsed "$big/time.txt" | tr -s ' ')"
rm -rf "$big"
# A 3 GiB model (external data, sparse zeros): planned and split in streaming.
big=$(mktemp -d)
"$BUILD/bench/make_big_model" "$big/big.onnx" --external 3
"$BUILD/onnxcut" inspect "$big/big.onnx" --json | python3 scripts/size_costs.py ramp > "$big/costs.csv"
/usr/bin/time -v "$BUILD/onnxcut" plan "$big/big.onnx" --costs "$big/costs.csv" --precision fp32 \
  --emit-onnx -o "$big/out" > /dev/null 2> "$big/time.txt"
echo "split of a $(stat -c %s "$big/big.onnx.data")-byte external-data model: $(grep -E 'Maximum resident' "$big/time.txt" | tr -s ' '), $(grep Elapsed "$big/time.txt" | tr -s ' '), $(du -s --apparent-size -B1 "$big/out" | cut -f1) bytes written"
rm -rf "$big"
# Per-tensor widths under measured fidelity budgets (issue 14, docs/precision.md).
bash bench/precision_evidence.sh "$BUILD" "$BUILD/precision_evidence"
# Runtime library: select() against tables and bands; table loading memory.
"$BUILD/bench/bench_select"
bash bench/table_memory.sh "$BUILD"
# The split run for real (issue 13, docs/measured.md): predicted vs measured
# over a shaped link, and a trace replay. Root only (network namespaces, tc).
if [ "$(id -u)" -eq 0 ]; then
  pvm=$(mktemp -d)
  bash bench/predicted_vs_measured.sh "$BUILD" "$pvm" && cp "$pvm/measured.svg" docs/measured.svg && echo "wrote docs/measured.svg"
  rm -rf "$pvm"
else
  echo "predicted vs measured: skipped (needs root for network namespaces and tc)"
fi
