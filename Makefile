# onnxcut: two-command quick start (see README.md).
#   make        configure and build build/onnxcut
#   make demo   install what is missing, build, run the main job
#   make test   install what is missing, build, run the whole suite
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: all build setup demo test bench clean

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

bench: setup build
	@bash bench/run.sh $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
