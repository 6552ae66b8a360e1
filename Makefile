# onnxcut: two-command quick start (see README.md).
#   make        configure and build build/onnxcut
#   make demo   install what is missing, build, run the main job
#   make test   install what is missing, build, run the whole suite
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

SANITIZE_DIR ?= build-sanitize
SANITIZE_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer

.PHONY: all build setup demo test bench clean check-sanitize fuzz

all: build

setup:
	@bash scripts/setup.sh

build:
	@cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

demo: setup build
	@bash scripts/demo.sh $(BUILD_DIR)

test: setup build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The whole suite built with AddressSanitizer and UndefinedBehaviorSanitizer
# (docs/reliability.md): any report fails its test. The Python module is
# left out (an instrumented extension cannot load into Debian's Python), and
# so is the Node.js addon (the loopback tests skip there).
check-sanitize: setup
	@cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONNXCUT_BUILD_PYTHON=OFF -DONNXCUT_BUILD_NODE=OFF -DONNXCUT_BUILD_FUZZ=OFF \
	  -DONNXCUT_BUILD_BENCH=OFF -DCMAKE_CXX_FLAGS="$(SANITIZE_FLAGS)" \
	  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)
	@cd $(SANITIZE_DIR) && ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS)

# Long fuzzing runs (docs/reliability.md): FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 300
fuzz: setup build
	@bash fuzz/run.sh $(BUILD_DIR)/fuzz $(FUZZ_SECONDS)

bench: setup build
	@bash bench/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
