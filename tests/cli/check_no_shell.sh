#!/usr/bin/env bash
# check_no_shell.sh CLI MODEL WORK: output names full of shell syntax are
# only names. `graph --svg` used to build a shell command from them.
set -euo pipefail
cli=$1; model=$2; work=$3
rm -rf "$work" && mkdir -p "$work" && cd "$work"
"$cli" plan "$model" --device raspberry-pi-4 --cloud nvidia-t4 -o plan > /dev/null
dot_name="g'\$(touch INJECTED)'.dot"
svg_name="s\$(touch INJECTED2);\`touch INJECTED3\`.svg"
"$cli" graph "$model" plan/plan-table.json --plan 0 -o "$dot_name" --svg "$svg_name" > /dev/null
for trap in INJECTED INJECTED2 INJECTED3; do
  [ ! -e "$trap" ] || { echo "a shell ran a command from an output name ($trap exists)"; exit 1; }
done
[ -s "$dot_name" ] && grep -q '</svg>' "$svg_name" || { echo "the files with unusual names were not written"; ls -la; exit 1; }
# A name that looks like an option is a file name too.
"$cli" graph "$model" plan/plan-table.json --plan 0 -o ./-Tpng.dot --svg ./-o.svg > /dev/null
grep -q '</svg>' ./-o.svg || { echo "an output named like an option was not written as SVG"; exit 1; }
echo "no shell ok"
