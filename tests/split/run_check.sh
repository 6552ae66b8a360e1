#!/usr/bin/env bash
# run_check.sh CLI MODEL WORKDIR [plan args...]: plans MODEL with synthetic
# "ramp" costs at fp32, fp16 and int8 over the whole bandwidth range, emits
# the split ONNX files, and proves them with ONNX Runtime (check_split.js).
# --batch=N also runs every plan at batch N (models with a symbolic batch).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cli=$1; model=$2; work=$3; shift 3
rm -rf "$work" && mkdir -p "$work"
check_args=()
shape_args=()
for a in "$@"; do case "$a" in --input-shape=*) shape_args+=(--input-shape "${a#--input-shape=}");; esac; done
plan_args=()
batch=""
for a in "$@"; do case "$a" in
  --input-shape=*) plan_args+=(--input-shape "${a#--input-shape=}");;
  --allow-nonfinite-lossy) check_args+=("$a");;
  --batch=*) batch=${a#--batch=};;
  *) plan_args+=("$a");;
esac; done
"$cli" inspect "$model" "${shape_args[@]}" --json | python3 "$root/scripts/size_costs.py" ramp > "$work/costs.csv"
"$cli" plan "$model" --costs "$work/costs.csv" --precision fp32,fp16,int8 --emit-onnx -o "$work/out" "${plan_args[@]}" > "$work/plan.log"
node "$root/scripts/check_split.js" "$work/out" "$model" --runs 2 "${check_args[@]}"
case " ${plan_args[*]} " in
  *" --self-contained "*) ;;
  *) if [ -f "$model" ] && [ "${model##*.}" = onnx ] && ! ls "$(dirname "$model")"/*.data >/dev/null 2>&1; then
       python3 "$here/check_shared_weights.py" "$work/out" "$model"; fi;;
esac
# --batch=N: the same split files at another batch (a symbolic batch kept).
if [ -n "$batch" ]; then node "$root/scripts/check_split.js" "$work/out" "$model" --runs 2 --batch "$batch" "${check_args[@]}"; fi

# A guaranteed mid-graph cut: the node a third of the way in on the device,
# the last node on the cloud (whatever the costs prefer). Skipped when the
# caller pins nodes itself.
case " ${plan_args[*]} " in *" --pin-"*) exit 0;; esac
read -r first last < <("$cli" inspect "$model" "${shape_args[@]}" --json | python3 -c '
import json, sys
n = json.load(sys.stdin)["per_node"]
print(n[len(n) // 3]["node"], n[-1]["node"])')
"$cli" plan "$model" --costs "$work/costs.csv" --precision fp32,fp16,int8 --emit-onnx -o "$work/mid" \
  --pin-device "$first" --pin-cloud "$last" "${plan_args[@]}" > "$work/mid.log"
node "$root/scripts/check_split.js" "$work/mid" "$model" --runs 2 "${check_args[@]}"
if [ -n "$batch" ]; then node "$root/scripts/check_split.js" "$work/mid" "$model" --runs 2 --batch "$batch" "${check_args[@]}"; fi
