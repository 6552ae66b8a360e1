#!/usr/bin/env bash
# The installed tool stands alone (docs/install.md):
#  1. install the build to a prefix, move the prefix elsewhere (so nothing
#     compiled in points at it), and, as root, hide the source and build trees
#     behind an empty tmpfs in a mount namespace of this test's own; then run
#     `plan --device ... --cloud ... --emit-onnx`, `profile` (ONNX Runtime
#     through the installed helper script and npm packages), `profiles`, and
#     a C program built against the installed C API;
#  2. configure runtime/ as a project of its own (C++17, no Boost, ONNX or
#     protobuf looked for), install it, and build the C program and the C++17
#     runtime example against that install alone.
#   check_install.sh BUILD_DIR SOURCE_DIR WORK_DIR [CXX_FLAGS [LINKER_FLAGS]]
# (the flags of the build under test, e.g. sanitizers, so a consumer of the
# installed libraries links the way the build itself does)
set -euo pipefail
build=$(cd "$1" && pwd); src=$(cd "$2" && pwd); work=$3; cxx_flags=${4:-}; link_flags=${5:-}
rm -rf "$work" && mkdir -p "$work"
away=$(mktemp -d /tmp/onnxcut-install-XXXXXX)
trap 'rm -rf "$away"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
mv "$work/prefix" "$away/moved"
prefix=$away/moved
cmake -S "$src/examples/c_consumer" -B "$work/c_consumer" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$cxx_flags" \
  -DCMAKE_CXX_FLAGS="$cxx_flags" -DCMAKE_EXE_LINKER_FLAGS="$link_flags" > "$work/c.cmake.log" \
  || { cat "$work/c.cmake.log"; fail "the C consumer does not configure against the install"; }
cmake --build "$work/c_consumer" > "$work/c.build.log" 2>&1 || { cat "$work/c.build.log"; fail "the C consumer does not build"; }
cp "$work/c_consumer/c_consumer" "$away/c_consumer"
cp "$src/models/tinyyolov2_light.onnx" "$away/model.onnx"

# What runs with the source tree out of sight: only the moved prefix, /tmp and the system.
cat > "$away/run.sh" <<SCRIPT
set -euo pipefail
cd "$away"
unset ONNXCUT_DATA_DIR
test ! -e "$src/CMakeLists.txt" || echo "note: the source tree is still visible (not root): relocation only"
"$prefix/bin/onnxcut" --version
"$prefix/bin/onnxcut" profiles > profiles.txt
grep -q "raspberry-pi-4" profiles.txt
grep -q "from $prefix/share/onnxcut/profiles, installed" profiles.txt
"$prefix/bin/onnxcut" plan model.onnx --device raspberry-pi-4 --cloud nvidia-t4 --precision fp32,int8 --emit-onnx -o out > plan.txt
test -s out/plan-table.json
"$prefix/bin/onnxcut" profile model.onnx -o costs.csv --runs 2 > profile.txt 2> profile.err
head -1 costs.csv | grep -q "node,device_ms,cloud_ms"
"$prefix/bin/onnxcut" plan model.onnx --costs costs.csv -o out2 > /dev/null
./c_consumer out/plan-table.json > c.txt
grep -q "table version 2" c.txt
grep -Eq "switches: [0-9]+" c.txt
echo "installed tool ok"
SCRIPT
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
  unshare -m bash -c "mount -t tmpfs -o size=1m onnxcut-hidden '$src' && bash '$away/run.sh'" \
    || { cat "$away"/*.txt "$away"/*.err 2>/dev/null; fail "the installed tool needs its source tree"; }
else
  echo "not root: the source tree cannot be hidden; checking the moved install only"
  bash "$away/run.sh" || { cat "$away"/*.txt "$away"/*.err 2>/dev/null; fail "the moved install does not work"; }
fi

# The runtime alone: its own project, C++17, nothing heavy.
cmake -S "$src/runtime" -B "$work/rt" -DCMAKE_CXX_STANDARD=17 > "$work/rt.cmake.log" \
  || { cat "$work/rt.cmake.log"; fail "runtime/ does not configure alone"; }
if grep -Eiq "^(Boost|ONNX|Protobuf)_DIR:|^Protobuf_LIBRARY" "$work/rt/CMakeCache.txt"; then
  fail "runtime/ looked for Boost, ONNX or protobuf"
fi
cmake --build "$work/rt" > "$work/rt.build.log" 2>&1 || { cat "$work/rt.build.log"; fail "runtime/ does not build alone"; }
cmake --install "$work/rt" --prefix "$work/rtprefix" > /dev/null
test -f "$work/rtprefix/include/onnxcut_runtime_c.h" || fail "runtime install lacks the C header"
for ex in c_consumer runtime_example; do
  cmake -S "$src/examples/$ex" -B "$work/rt_$ex" -DCMAKE_PREFIX_PATH="$work/rtprefix" > "$work/rt_$ex.log" \
    || { cat "$work/rt_$ex.log"; fail "$ex does not configure against the runtime alone"; }
  cmake --build "$work/rt_$ex" > "$work/rt_$ex.build.log" 2>&1 || { cat "$work/rt_$ex.build.log"; fail "$ex does not build"; }
done
"$work/rt_c_consumer/c_consumer" "$away/out/plan-table.json" | grep -q "table version 2" || fail "C consumer (runtime alone)"
"$work/rt_runtime_example/runtime_example" "$src/tests/golden/diamond.plan-table.json" | grep -Eq "switches: [0-9]+" \
  || fail "runtime_example (runtime alone)"
# A planner asked of the runtime-only package is refused by find_package.
mkdir -p "$work/ask_planner"
printf 'cmake_minimum_required(VERSION 3.16)\nproject(p CXX)\nfind_package(onnxcut REQUIRED COMPONENTS planner)\n' > "$work/ask_planner/CMakeLists.txt"
if cmake -S "$work/ask_planner" -B "$work/ask_planner/b" -DCMAKE_PREFIX_PATH="$work/rtprefix" > "$work/ask.log" 2>&1; then
  fail "the runtime-only package claimed to have the planner"
fi
echo "install ok"
