#!/usr/bin/env bash
# Installs the build to a temporary prefix, then builds and runs the two
# consumer examples with find_package(onnxcut) and nothing else:
#   runtime_example: onnxcut::runtime picks plans from a plan table;
#   planner_example: onnxcut::planner plans a model and writes a plan table,
#                    which must equal the CLI's for the same request.
#   check_examples.sh BUILD_DIR SOURCE_DIR WORK_DIR [CXX_FLAGS [LINKER_FLAGS]]
# (the flags of the build under test, e.g. sanitizers, so the consumers link
# against instrumented libraries the way the build itself does)
set -euo pipefail
build=$1; src=$2; work=$3; cxx_flags=${4:-}; link_flags=${5:-}
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > /dev/null
for ex in runtime_example planner_example; do
  cmake -S "$src/examples/$ex" -B "$work/$ex" -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_FLAGS="$cxx_flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$link_flags" > "$work/$ex.cmake.log" \
    || { cat "$work/$ex.cmake.log"; exit 1; }
  cmake --build "$work/$ex" > "$work/$ex.build.log" 2>&1 || { cat "$work/$ex.build.log"; exit 1; }
done
out=$("$work/runtime_example/runtime_example" "$src/tests/golden/diamond.plan-table.json")
grep -Eq 'switches: [0-9]+' <<<"$out" || { echo "runtime_example: unexpected output:"; echo "$out"; exit 1; }

model=$src/tests/data/diamond.onnx costs=$src/tests/data/diamond.costs.csv
"$work/planner_example/planner_example" "$model" "$costs" "$work/lib_out"
"$build/onnxcut" plan "$model" --costs "$costs" -o "$work/cli_out" --load 1,2 --precision fp32,int8 > /dev/null
cmp "$work/lib_out/plan-table.json" "$work/cli_out/plan-table.json" \
  || { echo "the library's plan table differs from the CLI's"; exit 1; }
echo "package examples ok"
